"""The CIFAR-10 checks of each classifier: accuracy of the grader's own reference,
trained with the student's saved hyperparameters, and what the grader verifies of the
saved model file.

Every accuracy point is scored here, in the trusted parent, on a W that the parent's
reference training made (`Grading.reference_train`): nothing student code computes on
CIFAR-10 is scored, since every CIFAR-10 label is public and a W can be fitted offline on
the evaluation images. The reference stands for the student's training only once the
checks of what SGD computes pass (`Grading.unverified_training`). The saved settings are
rounded to SIGNIFICANT_DIGITS and must lie in the rubric's ranges and cost cap before
anything is trained; the time the training takes is not charged to the submission.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import numpy as np

from autograder.assignments.linear.tables import HYPERPARAMETERS
from autograder.checks import Check, Verdict, failed, out_of_range, passed
from autograder.rubric import Rubric

if TYPE_CHECKING:
    from autograder.assignments.linear.grading import Grading

# Saved hyperparameters are rounded to this many significant digits before the reference
# trains with them: settings that differ only further share one training and one score.
SIGNIFICANT_DIGITS = 3
# Each classifier's name in the Gradescope leaderboard's columns.
LEADERBOARD = {"LinearSVM": "SVM", "Softmax": "Softmax"}


def significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """`value` rounded to `digits` significant digits (0 stays 0)."""
    return float(f"{value:.{digits - 1}e}") if value else 0.0


def _saved(g: Grading, cls: str) -> tuple[Mapping | None, str | None]:
    """What the sandbox read from `cls`'s model file (W and the hyperparameters, as plain
    data), or (None, why not)."""
    rule = g.rubric.own.accuracy[cls]
    out = g.call(rule.weights_file, "saved_weights", memo=("saved", cls),
                 name=rule.weights_file)
    if not out.ok:
        return None, (f"could not read {rule.weights_file} ({out.error}): it is written by "
                      f"{rule.saved_by}")
    return (out.value if isinstance(out.value, Mapping) else {}), None


def _hyperparameters(g: Grading, cls: str) -> tuple[dict | None, str]:
    """The saved hyperparameters of `cls`, rounded to 3 significant digits and inside the
    rubric's ranges and cost cap: (settings, how they read) or (None, why not)."""
    rule = g.rubric.own.accuracy[cls]
    value, why = _saved(g, cls)
    if value is None:
        return None, why
    try:
        raw = {key: float(value[key]) for key in HYPERPARAMETERS}
    except (KeyError, TypeError, ValueError) as exc:
        return None, (f"{rule.weights_file} lacks a usable hyperparameter ({exc}): it is "
                      f"written by {rule.saved_by}")
    if not all(math.isfinite(v) for v in raw.values()):
        return None, f"{rule.weights_file} holds hyperparameters that are not finite: {raw}"
    hyper = {key: significant(v) for key, v in raw.items()}
    for key in ("num_iters", "batch_size"):
        hyper[key] = int(round(hyper[key]))
    settings = ", ".join(f"{k}={v:g}" for k, v in hyper.items())
    outside = out_of_range(rule.weights_file, hyper, raw, rule.ranges)
    if outside:
        return None, outside
    examples = hyper["num_iters"] * hyper["batch_size"]
    if examples > rule.max_examples:
        return None, (f"{rule.weights_file} asks for num_iters x batch_size = "
                      f"{hyper['num_iters']} x {hyper['batch_size']} = {examples:,} examples, "
                      f"over the course's cap of {rule.max_examples:,} per training: the "
                      "grader trains only settings under it; save fewer iterations or a "
                      "smaller batch")
    rounded = any(hyper[k] != raw[k] for k in HYPERPARAMETERS)
    return hyper, settings + (f" (your values rounded to {SIGNIFICANT_DIGITS} significant "
                              "digits)" if rounded else "")


def accuracy_of(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of argmax(X @ W) on labels y, computed here (float64)."""
    return float(np.mean(np.argmax(X @ W.astype(np.float64), axis=1) == y))


def _weights_problem(W: object, shape: tuple[int, int], what: str) -> str | None:
    if not isinstance(W, np.ndarray) or W.shape != shape \
            or not np.issubdtype(W.dtype, np.floating):
        got = (W.shape, str(W.dtype)) if isinstance(W, np.ndarray) else None
        return f"{what} must be a float array of shape {shape}; got {got}"
    if not np.all(np.isfinite(W)):
        return f"{what} contains nan or inf"
    return None


def _reference_accuracy(g: Grading, cls: str) -> tuple[dict[str, float] | None, str]:
    """The grader's reference `cls`, trained here with the saved hyperparameters, scored
    here on the validation and test images: ({'val': ..., 'test': ...}, how) or (None, why
    not). Once per classifier and grading run."""
    if cls not in g._references:
        g._references[cls] = _train_reference(g, cls)
    return g._references[cls]


def _train_reference(g: Grading, cls: str) -> tuple[dict[str, float] | None, str]:
    unverified = g.unverified_training(cls)
    if unverified:
        shown = "; ".join(unverified[:2]) + ("; ..." if len(unverified) > 2 else "")
        return None, (f"not trained: the grader's reference {cls} stands for your training "
                      f"only once these checks pass: {shown}. Your own code is never trained "
                      "on CIFAR-10 for a score, since nothing it returns there can be "
                      "verified")
    hyper, how = _hyperparameters(g, cls)
    if hyper is None:
        return None, how
    if g.reference_train is None:
        return None, "not graded: the grader ran without its reference training"
    scaled = {**hyper, "reg": hyper["reg"] * g.rubric.own.reg_factor}
    started = time.monotonic()
    W = g.reference_train(cls, scaled)
    if g.deadline is not None:
        # The grader's own work: the submission's budget covers only its own code.
        g.deadline += time.monotonic() - started
    accuracy = {split: accuracy_of(W, g.data[f"X_{split}"], g.data[f"y_{split}"])
                for split in ("val", "test")}
    return accuracy, (f"of the grader's reference {cls}, trained on the CIFAR-10 training "
                      f"images with your saved {how}")


def accuracy_check(cls: str, split: str) -> Check:
    """The grader's reference `cls`, trained with the saved hyperparameters: its `split`
    accuracy >= threshold. Scored once the student's training is verified to compute what
    the reference's does (its loss's gradient, train's losses, step and sampling): it
    measures the choice of hyperparameters."""

    def evaluate(g: Grading) -> Verdict:
        rule = g.rubric.own.accuracy[cls]
        threshold = rule.val if split == "val" else rule.test
        accuracy, how = _reference_accuracy(g, cls)
        if accuracy is None:
            return failed(how)
        name = "validation" if split == "val" else "test"
        message = (f"{name} accuracy {accuracy[split]:.3f} (needs {threshold:g}) {how}")
        return (passed if accuracy[split] >= threshold else failed)(message, accuracy[split])

    name = "validation" if split == "val" else "test"
    return Check(f"{cls}: CIFAR-10 {name} accuracy", cls, f"{split}_accuracy", evaluate,
                 needs=("data",), of_correctness=False,
                 leaderboard=f"{LEADERBOARD[cls]} {split} accuracy")


def saved_weights_check(cls: str, weights_file: str) -> Check:
    """What the grader can verify of the model file: it loads (in the sandbox, no pickle),
    W is a finite float array of shape (D, C), and the hyperparameters are present and
    inside the rubric's ranges. The saved W's accuracy is not scored: nothing tells the
    grader how it was fitted."""

    def evaluate(g: Grading) -> Verdict:
        value, why = _saved(g, cls)
        if value is None:
            return failed(why)
        X_val, y_val = g.data["X_val"], g.data["y_val"]
        shape = (X_val.shape[1], int(y_val.max()) + 1)
        problem = _weights_problem(value.get("W"), shape, f"the W saved in {weights_file}")
        if problem:
            return failed(problem)
        hyper, how = _hyperparameters(g, cls)
        if hyper is None:
            return failed(how)
        return passed(f"{weights_file} loads, its W has shape {shape} with finite values, "
                      f"and its hyperparameters lie in the course's ranges ({how}); the "
                      "accuracy checks score those settings")

    return Check(f"{cls}: saved best weights ({weights_file}) load with valid hyperparameters",
                 cls, "saved_weights", evaluate, needs=("data",), of_correctness=False)


def accuracy_checks(rubric: Rubric, classifiers: Iterable[str]) -> list[Check]:
    """The CIFAR-10 checks and the saved-model check of each of `classifiers`."""
    return [check for cls in classifiers for check in (
        accuracy_check(cls, "val"), accuracy_check(cls, "test"),
        saved_weights_check(cls, rubric.own.accuracy[cls].weights_file))]
