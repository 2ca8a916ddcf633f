"""The CIFAR-10 checks: the accuracy of the grader's own two-layer network, trained here
with the student's saved hyperparameters, and what the grader verifies of the saved model.

Every accuracy point is scored here, in the trusted parent, on parameters that the
parent's reference training made (`Grading.reference_train`): nothing student code
computes on CIFAR-10 is scored (every CIFAR-10 label is public, so a model can be fitted
offline on the evaluation images). The reference stands for the student's training only
once TwoLayerNet's checks pass (its loss and every gradient against the oracle). The saved
settings are rounded to SIGNIFICANT_DIGITS and must lie in the rubric's ranges and cost
cap before anything is trained; the training's time is not charged to the submission.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping

import numpy as np

from autograder.assignments.two_layer_net import reference
from autograder.assignments.two_layer_net.grading import Grading
from autograder.assignments.two_layer_net.tables import SETTINGS, WHOLE
from autograder.checks import Check, Verdict, failed, out_of_range, passed

TARGET = "best_model"
NET = "TwoLayerNet"
# Saved settings are rounded to this many significant digits before the reference trains
# with them: settings that differ only further share one training and one score.
SIGNIFICANT_DIGITS = 3
LEADERBOARD = {"val": "Two-layer net val accuracy", "test": "Two-layer net test accuracy"}


def significant(value: float, digits: int = SIGNIFICANT_DIGITS) -> float:
    """`value` rounded to `digits` significant digits (0 stays 0)."""
    return float(f"{value:.{digits - 1}e}") if value else 0.0


def _saved(g: Grading, op: str, name: str) -> tuple[Mapping | None, str | None]:
    """What the sandbox read from model file `name` (plain data), or (None, why not)."""
    out = g.call(name, op, memo=(op,), name=name)
    if not out.ok:
        return None, (f"could not read {name} ({out.error}): it is written by "
                      f"{g.own.accuracy.saved_by}")
    return (out.value if isinstance(out.value, Mapping) else {}), None


def settings_of(g: Grading) -> tuple[dict | None, str]:
    """The saved hyperparameters, rounded and inside the rubric's ranges and cost cap:
    (settings, how they read) or (None, why not)."""
    rule = g.own.accuracy
    raw, why = _saved(g, "saved_settings", rule.settings_file)
    if raw is None:
        return None, why
    values = {key: float(raw.get(key, math.nan)) for key in SETTINGS}
    if not all(math.isfinite(v) for v in values.values()):
        return None, f"{rule.settings_file} holds hyperparameters that are not finite"
    settings = {key: significant(v) for key, v in values.items()}
    for key in WHOLE:
        if not values[key].is_integer():
            return None, (f"{rule.settings_file} gives {key} = {values[key]:g}, expected a "
                          "whole number")
        settings[key] = int(values[key])
    outside = out_of_range(rule.settings_file, settings, values, rule.ranges)
    if outside:
        return None, outside
    units = settings["num_epochs"] * settings["hidden_size"]
    if units > rule.max_epoch_units:
        return None, (f"{rule.settings_file} asks for num_epochs x hidden_size = "
                      f"{settings['num_epochs']} x {settings['hidden_size']} = {units:,}, over "
                      f"the course's cap of {rule.max_epoch_units:,} per training: the grader "
                      "trains only settings under it; save fewer epochs or a smaller net")
    shown = ", ".join(f"{k}={v:g}" for k, v in settings.items())
    rounded = any(settings[k] != values[k] for k in SETTINGS)
    return settings, shown + (f" (your values rounded to {SIGNIFICANT_DIGITS} significant "
                              "digits)" if rounded else "")


def _reference_accuracy(g: Grading) -> tuple[dict[str, float] | None, str]:
    """The grader's network trained here with the saved settings, scored here on the
    validation and test images: ({'val': ..., 'test': ...}, how) or (None, why not)."""
    if TARGET not in g._reference:
        g._reference[TARGET] = _train_reference(g)
    return g._reference[TARGET]


def _train_reference(g: Grading) -> tuple[dict[str, float] | None, str]:
    if not g.verified(NET):
        return None, ("not trained: the grader's reference network stands for your "
                      f"training only once every check of {NET} passes (its loss and the "
                      "gradient of every parameter). Your own code is never trained on "
                      "CIFAR-10 for a score, since nothing it returns there can be verified")
    settings, how = settings_of(g)
    if settings is None:
        return None, how
    if g.reference_train is None:
        return None, "not graded: the grader ran without its reference training"
    started = time.monotonic()
    params = g.reference_train(TARGET, settings)
    if g.deadline is not None:
        # The grader's own work: the submission's budget covers only its own code.
        g.deadline += time.monotonic() - started
    accuracy = {split: reference.accuracy(params, g.data[f"X_{split}"], g.data[f"y_{split}"])
                for split in ("val", "test")}
    return accuracy, (f"of the grader's two-layer network, trained on the CIFAR-10 training "
                      f"images as CS231n's Solver trains it, with your saved {how}")


def accuracy_check(split: str) -> Check:
    """The grader's network, trained with the saved settings: its `split` accuracy at
    least the rubric's threshold (it measures the choice of hyperparameters)."""
    name = "validation" if split == "val" else "test"

    def evaluate(g: Grading) -> Verdict:
        threshold = getattr(g.own.accuracy, split)
        accuracy, how = _reference_accuracy(g)
        if accuracy is None:
            return failed(how)
        message = f"{name} accuracy {accuracy[split]:.3f} (needs {threshold:g}) {how}"
        return (passed if accuracy[split] >= threshold else failed)(message, accuracy[split])

    return Check(f"{NET}: CIFAR-10 {name} accuracy", TARGET, f"{split}_accuracy", evaluate,
                 needs=("data",), of_correctness=False, leaderboard=LEADERBOARD[split])


def _params_problem(params: Mapping, shapes: Mapping[str, tuple[int, ...]], name: str
                    ) -> str | None:
    for key, shape in shapes.items():
        value = params.get(key)
        if not isinstance(value, np.ndarray) or value.shape != shape \
                or not np.issubdtype(value.dtype, np.floating):
            got = (value.shape, str(value.dtype)) if isinstance(value, np.ndarray) else None
            return f"{key} in {name} must be a float array of shape {shape}; got {got}"
        if not np.all(np.isfinite(value)):
            return f"{key} in {name} contains nan or inf"
    return None


def saved_model_check() -> Check:
    """What the grader verifies of the files: the model loads as a dict of arrays (in the
    sandbox, never by a general unpickler), W1, b1, W2, b2 have the shapes the saved
    hidden_size gives on CIFAR-10 and finite values, and the settings lie in the rubric's
    ranges. The saved model's own accuracy is not scored."""

    def evaluate(g: Grading) -> Verdict:
        rule = g.own.accuracy
        settings, how = settings_of(g)
        if settings is None:
            return failed(how)
        params, why = _saved(g, "saved_params", rule.model_file)
        if params is None:
            return failed(why)
        D = int(np.prod(g.data["X_val"].shape[1:]))
        C = int(g.data["y_val"].max()) + 1
        H = settings["hidden_size"]
        problem = _params_problem(params, {"W1": (D, H), "b1": (H,), "W2": (H, C),
                                           "b2": (C,)}, rule.model_file)
        if problem:
            return failed(problem + f" (hidden_size {H} from {rule.settings_file})")
        return passed(f"{rule.model_file} loads as W1, b1, W2, b2 of the shapes of a "
                      f"{D}-{H}-{C} network with finite values, and {rule.settings_file} "
                      f"holds settings in the course's ranges ({how}); the accuracy checks "
                      "score those settings")

    return Check(f"{NET}: the saved best model and its hyperparameters", TARGET, "saved_model",
                 evaluate, needs=("data",), of_correctness=False)


def accuracy_checks() -> list[Check]:
    return [accuracy_check("val"), accuracy_check("test"), saved_model_check()]
