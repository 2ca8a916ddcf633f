"""The linear editions' own rubric tables: tolerances, the regularization convention, the
timing bands and the CIFAR-10 accuracy rules (the engine reads [points], [timeouts] and
[budget]; `parse_rubric` validates the rest and is what `Rubric.own` holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from autograder.assignment import Assignment
from autograder.rubric import Bands, Table

HYPERPARAMETERS = ("learning_rate", "reg", "num_iters", "batch_size")

# The regularization term a course's loss functions add, and the factor by which the
# oracle scales `reg` to match it (the older CS231n starter uses 0.5 * reg * sum(W**2)).
REGULARIZATION = {"reg * sum(W**2)": 1.0, "0.5 * reg * sum(W**2)": 0.5}


@dataclass(frozen=True)
class AccuracyRule:
    """One classifier's CIFAR-10 checks: the thresholds its reference training must reach,
    and the hyperparameters the grader agrees to train with (bounded, so the grader's own
    work per setting is bounded too)."""

    # The model file (assignment.toml's [files]) and the cell that writes it.
    weights_file: str
    saved_by: str
    val: float
    test: float
    # Allowed [low, high] of each saved hyperparameter; outside them nothing is trained.
    ranges: Mapping[str, tuple[float, float]]
    # num_iters x batch_size at most this many examples: the cost of one reference training.
    max_examples: int


@dataclass(frozen=True)
class SpeedRule:
    """How the timing checks measure and how they score."""

    samples: int
    budget_seconds: float
    # The student's naive time counts for at most this many times the reference naive's:
    # a naive loop slowed down on purpose cannot inflate the speedup.
    naive_cap: float
    # per vectorized function: ((speedup over naive at least this fraction of the
    # reference's speedup, fraction of points), ...); absolute x where no reference runs
    speedup_bands: Mapping[str, Bands]
    # per vectorized function: ((your time / the reference's at most this fraction of the
    # reference's naive / vectorized ratio, fraction of points), ...)
    vs_reference_bands: Mapping[str, Bands]
    # ... but a band's limit is never below this many times the reference's time
    vs_reference_floor: float


@dataclass(frozen=True)
class LinearRubric:
    """What the linear checks read of rubric.toml beside the engine's part."""

    loss_tolerance: float
    gradient_tolerance: float
    gradient_float32_tolerance: float
    speed: SpeedRule
    accuracy: Mapping[str, AccuracyRule]
    regularization: str = "reg * sum(W**2)"

    @property
    def reg_factor(self) -> float:
        return REGULARIZATION[self.regularization]


def parse_rubric(top: Table, spec: Assignment, vectorized: tuple[str, ...]) -> LinearRubric:
    """[tolerance], [loss], [speed] (a table per function of `vectorized`) and [accuracy]
    (a table per classifier: `spec`'s data targets)."""
    tol = top.table("tolerance")
    tolerances = [tol.number(key, 0.0, 1.0) for key in ("loss", "gradient", "gradient_float32")]
    tol.done()

    loss_table = top.table("loss")
    regularization = loss_table.text("regularization")
    if regularization not in REGULARIZATION:
        loss_table.fail(f"[loss] regularization must be one of {list(REGULARIZATION)}, got "
                        f"{regularization!r}")
    loss_table.done()
    return LinearRubric(
        loss_tolerance=tolerances[0], gradient_tolerance=tolerances[1],
        gradient_float32_tolerance=tolerances[2], speed=_speed(top, vectorized),
        accuracy=_accuracy(top, spec), regularization=regularization)


def _speed(top: Table, vectorized: tuple[str, ...]) -> SpeedRule:
    speed_table = top.table("speed")
    samples = int(speed_table.number("samples", 1, 100, integer=True))
    budget = float(speed_table.number("budget_seconds", 0.1, 600.0))
    naive_cap = float(speed_table.number("naive_cap", 1.0, 1000.0))
    vs_reference_floor = float(speed_table.number("vs_reference_floor", 1.0, 1000.0))
    speedup: dict[str, Bands] = {}
    vs_reference: dict[str, Bands] = {}
    for fn in vectorized:
        table = speed_table.table(fn)
        speedup[fn] = table.bands("speedup_bands", increasing=False)
        vs_reference[fn] = table.bands("vs_reference_bands", increasing=True)
        table.done()
    speed_table.done()
    return SpeedRule(samples, budget, naive_cap, speedup, vs_reference, vs_reference_floor)


def _accuracy(top: Table, spec: Assignment) -> dict[str, AccuracyRule]:
    accuracy_table = top.table("accuracy")
    accuracy: dict[str, AccuracyRule] = {}
    files = {target: name for name, target in spec.model_targets.items()}
    for cls in spec.data_targets:
        table = accuracy_table.table(cls)
        accuracy[cls] = AccuracyRule(
            weights_file=files[cls], saved_by=spec.saved_by[files[cls]],
            val=float(table.number("val", 0.0, 1.0)),
            test=float(table.number("test", 0.0, 1.0)),
            ranges=_ranges(table),
            max_examples=int(table.number("max_examples", 1, 10**9, integer=True)),
        )
        table.done()
    accuracy_table.done()
    return accuracy


def _ranges(table: Table) -> dict[str, tuple[float, float]]:
    """[low, high] of each hyperparameter, e.g. `num_iters = [1, 5000]`."""
    return {key: table.span(key, whole=key in ("num_iters", "batch_size"))
            for key in HYPERPARAMETERS}
