"""The SOI1010 edition's own rubric tables: tolerances, what the training checks ask, and
the three CIFAR-10 accuracy rules (the engine reads [points], [timeouts] and [budget];
`parse_rubric` validates the rest and is what `Rubric.own` holds).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from autograder.assignment import Assignment
from autograder.rubric import Table

# The settings each accuracy target trains with, as the checks pass them to the reference
# (flat: one_vs_all's ten lam and lr become lam_0..lam_9, lr_0..lr_9), and which of them
# must be whole numbers.
RANGED = {"binary_svm": ("lam", "lr", "batch_size", "epochs"),
          "one_vs_all": ("lam", "lr", "batch_size", "epochs"),
          "softmax": ("lr", "batch_size", "epochs", "weight_decay")}
WHOLE = ("batch_size", "epochs", "positive", "negative")


@dataclass(frozen=True)
class AccuracyRule:
    """One CIFAR-10 target: the threshold its reference must reach on the test images
    (`test`; for the binary SVM, the tuned settings' accuracy on the same pair minus
    `margin`), the ranges of its settings and the cap on epochs x training rows."""

    target: str
    settings_file: str
    saved_by: str
    ranges: Mapping[str, tuple[float, float]]
    test: float | None = None
    margin: float | None = None
    tuned: Mapping[str, float] | None = None


@dataclass(frozen=True)
class Soi1010Rubric:
    """What the SOI1010 checks read of rubric.toml beside the engine's part."""

    value_tolerance: float
    gradient_tolerance: float
    float32_tolerance: float
    # The training checks' small separable problems: the accuracy a correct SGD reaches on
    # its own training rows, and how much smaller ||W|| must be with a strong penalty.
    train_accuracy: float
    shrink: float
    accuracy: Mapping[str, AccuracyRule]


def parse_rubric(top: Table, spec: Assignment) -> Soi1010Rubric:
    """[tolerance], [training] and [accuracy.<each data target>]."""
    tol = top.table("tolerance")
    values = [float(tol.number(key, 0.0, 1.0)) for key in ("value", "gradient", "float32")]
    tol.done()
    training = top.table("training")
    train_accuracy = float(training.number("accuracy", 0.0, 1.0))
    shrink = float(training.number("shrink", 0.0, 1.0))
    training.done()
    accuracy = top.table("accuracy")
    rules = {target: _rule(accuracy.table(target), target, spec)
             for target in spec.data_targets}
    accuracy.done()
    return Soi1010Rubric(value_tolerance=values[0], gradient_tolerance=values[1],
                         float32_tolerance=values[2], train_accuracy=train_accuracy,
                         shrink=shrink, accuracy=rules)


def _rule(table: Table, target: str, spec: Assignment) -> AccuracyRule:
    (settings_file,) = spec.model_files
    ranges = {key: table.span(key, whole=key in WHOLE) for key in RANGED[target]}
    test = margin = tuned = None
    if target == "binary_svm":
        margin = float(table.number("margin", 0.0, 1.0))
        raw = table.table("tuned")
        tuned = {key: float(raw.number(key, ranges[key][0], ranges[key][1],
                                       integer=key in WHOLE))
                 for key in RANGED[target]}
        raw.done()
    else:
        test = float(table.number("test", 0.0, 1.0))
    table.done()
    return AccuracyRule(target=target, settings_file=settings_file,
                        saved_by=spec.saved_by.get(settings_file, "the search cells"),
                        ranges=ranges, test=test, margin=margin, tuned=tuned)
