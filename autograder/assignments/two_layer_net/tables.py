"""The two-layer network's own rubric tables: tolerances, what TwoLayerNet's initialization
must look like, and the CIFAR-10 accuracy rule (the engine reads [points], [timeouts] and
[budget]; `parse_rubric` validates the rest and is what `Rubric.own` holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from autograder.assignment import Assignment
from autograder.rubric import Table

# The hyperparameters the search cell saves beside the model, in the order it saves them.
SETTINGS = ("hidden_size", "learning_rate", "lr_decay", "reg", "num_epochs", "batch_size")
WHOLE = ("hidden_size", "num_epochs", "batch_size")


@dataclass(frozen=True)
class AccuracyRule:
    """The CIFAR-10 checks: the thresholds the reference trained with the saved settings
    must reach, and the settings the grader agrees to train with (bounded, so that its own
    work per setting is bounded too)."""

    model_file: str          # CS231n's TwoLayerNet.save file (the parameters)
    settings_file: str       # the hyperparameters behind it
    saved_by: str
    val: float
    test: float
    ranges: Mapping[str, tuple[float, float]]
    # num_epochs x hidden_size at most this: one epoch's cost grows with the hidden size.
    max_epoch_units: int


@dataclass(frozen=True)
class TwoLayerRubric:
    """What the two-layer checks read of rubric.toml beside the engine's part."""

    value_tolerance: float
    gradient_tolerance: float
    float32_tolerance: float
    # TwoLayerNet's weights: their standard deviation within this fraction of
    # weight_scale, their mean within this fraction of weight_scale of 0.
    init_std: float
    init_mean: float
    accuracy: AccuracyRule


def parse_rubric(top: Table, spec: Assignment) -> TwoLayerRubric:
    """[tolerance], [init] and [accuracy.<the data target>]."""
    tol = top.table("tolerance")
    values = [float(tol.number(key, 0.0, 1.0)) for key in ("value", "gradient", "float32")]
    tol.done()
    init = top.table("init")
    init_std = float(init.number("std", 0.0, 1.0))
    init_mean = float(init.number("mean", 0.0, 1.0))
    init.done()
    return TwoLayerRubric(value_tolerance=values[0], gradient_tolerance=values[1],
                          float32_tolerance=values[2], init_std=init_std, init_mean=init_mean,
                          accuracy=_accuracy(top, spec))


def _accuracy(top: Table, spec: Assignment) -> AccuracyRule:
    accuracy_table = top.table("accuracy")
    (target,) = spec.data_targets
    table = accuracy_table.table(target)
    files = [name for name, t in spec.model_targets.items() if t == target]
    model = next(name for name in files if name.endswith(".npy"))
    settings = next(name for name in files if name.endswith(".json"))
    rule = AccuracyRule(
        model_file=model, settings_file=settings,
        saved_by=spec.saved_by.get(settings, spec.saved_by.get(model, "the search cell")),
        val=float(table.number("val", 0.0, 1.0)), test=float(table.number("test", 0.0, 1.0)),
        ranges=_ranges(table),
        max_epoch_units=int(table.number("max_epoch_units", 1, 10**7, integer=True)))
    table.done()
    accuracy_table.done()
    return rule


def _ranges(table: Table) -> dict[str, tuple[float, float]]:
    """[low, high] of each saved hyperparameter, e.g. `num_epochs = [1, 20]`."""
    return {key: table.span(key, whole=key in WHOLE) for key in SETTINGS}
