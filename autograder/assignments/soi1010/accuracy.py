"""The CIFAR-10 checks: the test accuracy of the grader's own training (reference.py), in
the trusted parent, with the settings the student's search cells saved in
soi1010_settings.json (read in the sandbox as JSON numbers, checked here against the
rubric's ranges). Nothing student code computes on CIFAR-10 is scored. A target is trained
only once the checks of the functions it stands on pass; its training time is the grader's,
not charged to the submission.

- binary_svm: the student's pair, trained with their settings; the threshold is the
  rubric's tuned settings' accuracy on the same pair (trained once per pair) minus `margin`;
- one_vs_all, softmax: an absolute `test` threshold.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

import numpy as np

from autograder.assignments.soi1010.grading import Grading
from autograder.assignments.soi1010.tables import WHOLE, AccuracyRule
from autograder.checks import Check, Verdict, failed, out_of_range, passed

SIGNIFICANT_DIGITS = 3
NUM_CLASSES = 10
# What each target's accuracy stands on (assignment.toml's [needs]).
STANDS_ON = {"binary_svm": ("hinge_loss", "train_svm"),
             "one_vs_all": ("hinge_loss", "train_svm", "one_vs_all_labels",
                            "one_vs_all_predict"),
             "softmax": ("softmax_cross_entropy", "train_softmax")}
OPERATION = {"binary_svm": "binary_settings", "one_vs_all": "one_vs_all_settings",
             "softmax": "softmax_settings"}
LEADERBOARD = {"binary_svm": "Binary SVM test accuracy",
               "one_vs_all": "One-vs-all test accuracy", "softmax": "Softmax test accuracy"}
TITLE = {"binary_svm": "the binary SVM", "one_vs_all": "the ten one-vs-all SVMs",
         "softmax": "softmax regression"}


def significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """`value` rounded to `digits` significant digits (0 stays 0)."""
    return float(f"{value:.{digits - 1}e}") if value else 0.0


def settings_of(g: Grading, rule: AccuracyRule) -> tuple[dict[str, float] | None, str]:
    """The saved settings of `rule.target`, flat (lam_0..lam_9), rounded and inside the
    rubric's ranges: (settings, how they read) or (None, why not)."""
    op = OPERATION[rule.target]
    # One subject per section: the engine remembers a failed first call per subject, and
    # a bad value in one section must cost only its own target, not the file's three.
    out = g.call(f"{rule.settings_file}, {op}", op, memo=(op,), name=rule.settings_file)
    if not out.ok:
        return None, (f"could not read {rule.settings_file} ({out.error}): it is written by "
                      f"{rule.saved_by}")
    raw: dict[str, float] = {}
    for key, value in out.value.items():
        if isinstance(value, np.ndarray):
            if value.shape != (NUM_CLASSES,):
                return None, f"{rule.settings_file}: {key} must hold {NUM_CLASSES} numbers"
            raw.update({f"{key}_{k}": float(v) for k, v in enumerate(value)})
        else:
            raw[key.removesuffix("_class")] = float(value)
    if not all(math.isfinite(v) for v in raw.values()):
        return None, f"{rule.settings_file} holds settings that are not finite"
    for key in WHOLE:
        if key in raw and not raw[key].is_integer():
            return None, (f"{rule.settings_file} gives {key} = {raw[key]:g}, expected a "
                          "whole number")
    settings = {k: float(int(v)) if k in WHOLE else significant(v) for k, v in raw.items()}
    ranges = {key: rule.ranges[key.rsplit("_", 1)[0] if key[-1].isdigit() else key]
              for key in settings if key not in ("positive", "negative")}
    outside = out_of_range(rule.settings_file, settings, raw, ranges)
    if outside:
        return None, outside
    if rule.target == "binary_svm":
        pair = (settings["positive"], settings["negative"])
        if not all(0 <= c < NUM_CLASSES for c in pair) or pair[0] == pair[1]:
            return None, (f"{rule.settings_file} names the classes {pair[0]:g} and "
                          f"{pair[1]:g}: positive and negative are two different classes "
                          f"of 0..{NUM_CLASSES - 1}")
    shown = ", ".join(f"{k}={v:g}" for k, v in settings.items())
    return settings, shown


def _trained_accuracy(g: Grading, target: str, settings: Mapping[str, float]) -> float:
    from autograder.assignments.soi1010 import reference

    started = time.monotonic()
    params = g.reference_train(target, settings)
    if g.deadline is not None:
        # The grader's own work: the submission's budget covers only its own code.
        g.deadline += time.monotonic() - started
    return float(reference.accuracy(target, params, g.data["X_test"], g.data["y_test"],
                                    settings))


def accuracy_check(target: str) -> Check:
    """The grader's training of `target` with the saved settings: its test accuracy at
    least the rubric's threshold (it measures the choice of hyperparameters)."""

    def evaluate(g: Grading) -> Verdict:
        rule: AccuracyRule = g.own.accuracy[target]
        if not g.verified(*STANDS_ON[target]):
            return failed(f"not trained: the grader's training stands for yours only once "
                          f"every check of {', '.join(STANDS_ON[target])} passes")
        settings, how = settings_of(g, rule)
        if settings is None:
            return failed(how)
        if g.reference_train is None:
            return failed("not graded: the grader ran without its reference training")
        accuracy = _trained_accuracy(g, target, settings)
        if rule.margin is not None:
            tuned = {**rule.tuned, "positive": settings["positive"],
                     "negative": settings["negative"]}
            threshold = _trained_accuracy(g, target, tuned) - rule.margin
            needs = (f"needs {threshold:.3f}: the course's tuned settings reach "
                     f"{threshold + rule.margin:.3f} on this pair, minus {rule.margin:g}")
        else:
            threshold = rule.test
            needs = f"needs {threshold:g}"
        message = (f"test accuracy {accuracy:.3f} ({needs}) of {TITLE[target]} trained by "
                   f"the grader on the CIFAR-10 training split with your saved {how}")
        return (passed if accuracy >= threshold else failed)(message, accuracy)

    return Check(f"{target}: CIFAR-10 test accuracy", target, "test_accuracy", evaluate,
                 needs=("data",), of_correctness=False,
                 leaderboard=LEADERBOARD[target])


def accuracy_checks() -> list[Check]:
    return [accuracy_check(target) for target in STANDS_ON]
