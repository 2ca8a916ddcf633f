"""Load and validate rubric.toml: points, tolerances, timing bands, accuracy thresholds.

The rubric is data an instructor edits. A mistake in it (a missing or misspelled key,
a negative number, bands out of order) is reported with the file and the key, before
any submission is graded.
"""

from __future__ import annotations

import itertools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from autograder import assignment

# The default assignment's rubric (each assignment keeps its own in its folder).
DEFAULT_PATH = assignment.load().rubric_path

Bands = tuple[tuple[float, float], ...]


class RubricError(ValueError):
    """The rubric file is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class AccuracyRule:
    """One classifier's CIFAR-10 checks: the thresholds its reference training must reach,
    and the hyperparameters the grader agrees to train with (bounded, so the grader's own
    work per setting is bounded too)."""

    weights_file: str
    # Where the student's notebook writes `weights_file` (named when it is missing).
    saved_by: str
    val: float
    test: float
    # Allowed [low, high] of each saved hyperparameter; outside them nothing is trained.
    ranges: Mapping[str, tuple[float, float]]
    # num_iters x batch_size at most this many examples: the cost of one reference training.
    max_examples: int


HYPERPARAMETERS = ("learning_rate", "reg", "num_iters", "batch_size")

# The regularization term a course's loss functions add, and the factor by which the
# oracle scales `reg` to match it (the older CS231n starter uses 0.5 * reg * sum(W**2)).
REGULARIZATION = {"reg * sum(W**2)": 1.0, "0.5 * reg * sum(W**2)": 0.5}


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
class Budget:
    """What one submission's own code may cost (wall clock); the grader's reference
    training is not part of it."""

    submission_seconds: float


@dataclass(frozen=True)
class Rubric:
    """The validated contents of rubric.toml."""

    source: str
    loss_tolerance: float
    gradient_tolerance: float
    gradient_float32_tolerance: float
    points: Mapping[str, Mapping[str, float]]
    speed: SpeedRule
    accuracy: Mapping[str, AccuracyRule]
    timeouts: Mapping[str, float]
    budget: Budget
    regularization: str = "reg * sum(W**2)"

    @property
    def reg_factor(self) -> float:
        return REGULARIZATION[self.regularization]

    def timeout(self, op: str) -> float:
        """Seconds one call of operation `op` may take."""
        return self.timeouts[op]


class _Table:
    """One TOML table, read key by key; every complaint names the file and the key."""

    def __init__(self, source: str, where: str, raw: object) -> None:
        self.source, self.where = source, where
        if not isinstance(raw, Mapping):
            self.fail(f"[{where}] must be a table")
        self.raw = raw
        self.used: set[str] = set()

    def fail(self, message: str) -> None:
        raise RubricError(f"{self.source}: {message}")

    def get(self, key: str) -> object:
        if key not in self.raw:
            self.fail(f"[{self.where}] is missing the key '{key}'")
        self.used.add(key)
        return self.raw[key]

    def table(self, key: str) -> _Table:
        return _Table(self.source, f"{self.where}.{key}" if self.where else key, self.get(key))

    def number(self, key: str, low: float = 0.0, high: float = math.inf,
               integer: bool = False) -> float:
        value = self.get(key)
        kind = "an integer" if integer else "a number"
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            self.fail(f"[{self.where}] {key} must be {kind}, got {value!r}")
        if not low <= value <= high:
            self.fail(f"[{self.where}] {key} must be between {low} and {high}, got {value!r}")
        return value

    def text(self, key: str) -> str:
        value = self.get(key)
        if not isinstance(value, str) or not value:
            self.fail(f"[{self.where}] {key} must be a non-empty string, got {value!r}")
        return value

    def bands(self, key: str, increasing: bool) -> Bands:
        value = self.get(key)
        shape_ok = isinstance(value, list) and value and all(
            isinstance(b, list) and len(b) == 2
            and all(isinstance(v, int | float) and not isinstance(v, bool) for v in b)
            for b in value
        )
        if not shape_ok:
            self.fail(f"[{self.where}] {key} must be a list of [threshold, fraction] pairs, "
                      f"got {value!r}")
        bands = tuple((float(t), float(f)) for t, f in value)
        thresholds = [t for t, _ in bands]
        fractions = [f for _, f in bands]
        order = sorted(thresholds, reverse=not increasing)
        if thresholds != order or len(set(thresholds)) != len(thresholds):
            direction = "increasing" if increasing else "decreasing"
            self.fail(f"[{self.where}] {key}: thresholds must be strictly {direction}, "
                      f"best band first, got {thresholds}")
        if any(not 0 <= f <= 1 for f in fractions) or fractions[0] == 0 \
                or any(lo >= hi for hi, lo in itertools.pairwise(fractions)):
            self.fail(f"[{self.where}] {key}: fractions must lie in [0, 1] and fall "
                      f"strictly band by band, got {fractions}")
        if any(t <= 0 for t in thresholds):
            self.fail(f"[{self.where}] {key}: thresholds must be positive, got {thresholds}")
        return bands

    def done(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            self.fail(f"[{self.where or 'top level'}] has an unknown key '{unknown[0]}'")


def parse(data: Mapping[str, object], source: str = "rubric.toml",
          spec: assignment.Assignment | None = None) -> Rubric:
    """Validate a parsed rubric (a dict as tomllib returns it) of assignment `spec`
    (default: the NumPy one) and build a Rubric. Which point keys each target has and
    which functions are timed come from the assignment's checks module; its classifiers
    (the targets that need CIFAR-10) and operations name the other tables' keys."""
    spec = spec or assignment.load()
    checks = spec.check_module
    top = _Table(source, "", data)

    tol = top.table("tolerance")
    tolerances = [tol.number(key, 0.0, 1.0) for key in ("loss", "gradient", "gradient_float32")]
    tol.done()

    loss_table = top.table("loss")
    regularization = loss_table.text("regularization")
    if regularization not in REGULARIZATION:
        loss_table.fail(f"[loss] regularization must be one of {list(REGULARIZATION)}, got "
                        f"{regularization!r}")
    loss_table.done()

    points_table = top.table("points")
    points: dict[str, dict[str, float]] = {}
    for target, keys in checks.POINT_KEYS.items():
        table = points_table.table(target)
        points[target] = {key: float(table.number(key, 0.0, 1000.0)) for key in keys}
        table.done()
    points_table.done()

    speed_table = top.table("speed")
    samples = int(speed_table.number("samples", 1, 100, integer=True))
    budget = float(speed_table.number("budget_seconds", 0.1, 600.0))
    naive_cap = float(speed_table.number("naive_cap", 1.0, 1000.0))
    vs_reference_floor = float(speed_table.number("vs_reference_floor", 1.0, 1000.0))
    speedup: dict[str, Bands] = {}
    vs_reference: dict[str, Bands] = {}
    for fn in checks.VECTORIZED:
        table = speed_table.table(fn)
        speedup[fn] = table.bands("speedup_bands", increasing=False)
        vs_reference[fn] = table.bands("vs_reference_bands", increasing=True)
        table.done()
    speed_table.done()

    accuracy_table = top.table("accuracy")
    accuracy: dict[str, AccuracyRule] = {}
    for cls in spec.data_targets:
        table = accuracy_table.table(cls)
        accuracy[cls] = AccuracyRule(
            weights_file=table.text("weights_file"),
            saved_by=table.text("saved_by"),
            val=float(table.number("val", 0.0, 1.0)),
            test=float(table.number("test", 0.0, 1.0)),
            ranges=_ranges(table),
            max_examples=int(table.number("max_examples", 1, 10**9, integer=True)),
        )
        table.done()
    accuracy_table.done()

    timeout_table = top.table("timeouts")
    timeouts = {op: float(timeout_table.number(op, 0.1, 86_400.0)) for op in spec.operations}
    timeout_table.done()
    budget_table = top.table("budget")
    grading_budget = Budget(
        submission_seconds=float(budget_table.number("submission_seconds", 1.0, 86_400.0)))
    budget_table.done()
    top.done()

    return Rubric(
        source=source,
        loss_tolerance=tolerances[0],
        gradient_tolerance=tolerances[1],
        gradient_float32_tolerance=tolerances[2],
        points=points,
        speed=SpeedRule(samples, budget, naive_cap, speedup, vs_reference,
                        vs_reference_floor),
        accuracy=accuracy,
        timeouts=timeouts,
        budget=grading_budget,
        regularization=regularization,
    )


def _ranges(table: _Table) -> dict[str, tuple[float, float]]:
    """[low, high] of each hyperparameter, e.g. `num_iters = [1, 5000]`."""
    ranges = {}
    for key in HYPERPARAMETERS:
        value = table.get(key)
        if not (isinstance(value, list) and len(value) == 2 and all(
                isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                for v in value) and 0 <= value[0] <= value[1]):
            table.fail(f"[{table.where}] {key} must be a [low, high] pair of numbers with "
                       f"0 <= low <= high, got {value!r}")
        ranges[key] = (float(value[0]), float(value[1]))
    for key in ("num_iters", "batch_size"):
        if ranges[key][0] < 1:
            table.fail(f"[{table.where}] {key} must allow only whole numbers >= 1, got "
                       f"{list(ranges[key])}")
    return ranges


def load(path: str | Path | None = None, spec: assignment.Assignment | None = None) -> Rubric:
    """Read and validate a rubric file of assignment `spec` (default: the one whose folder
    holds `path`, else the NumPy assignment; without `path`, `spec`'s own rubric.toml)."""
    if spec is None and path is not None and Path(path).parent.name in assignment.names() \
            and Path(path).resolve().parent.parent == assignment.FOLDER:
        spec = assignment.load(Path(path).parent.name)
    spec = spec or assignment.load()
    path = Path(path) if path is not None else spec.rubric_path
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except FileNotFoundError:
        raise RubricError(f"{path}: rubric file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise RubricError(f"{path}: not valid TOML: {exc}") from None
    return parse(data, source=str(path), spec=spec)
