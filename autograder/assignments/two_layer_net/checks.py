"""The two-layer network's face to the engine (`AssignmentChecks`): its targets, the list of
its hidden checks, its rubric tables, its CIFAR-10 preparation and reference training.

Each check is an engine `Check`: its name starts with the function or class it checks,
its target is the definition cell it belongs to, its rubric key names its points in
rubric.toml, and its `evaluate` step calls student code only through `Grading.call` and
compares the plain data that comes back with the oracle (oracle.py, torch autograd in
float64), here, in the trusted parent. The checks live by what they check: layers.py (the
layer functions and layer_utils), net.py (TwoLayerNet), accuracy.py (CIFAR-10 and the
saved model).

    run_checks(session, seed, rubric) -> [CheckResult, ...]
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np

from autograder import checks as engine
from autograder.assignment import Assignment
from autograder.assignments.two_layer_net import layers, reference, tables
from autograder.assignments.two_layer_net.accuracy import accuracy_checks
from autograder.assignments.two_layer_net.grading import Grading
from autograder.assignments.two_layer_net.net import net_checks
from autograder.assignments.two_layer_net.tables import TwoLayerRubric
from autograder.checks import Check, CheckResult
from autograder.outcome import Session
from autograder.rubric import Rubric, Table

TARGETS = ("affine_forward", "affine_backward", "relu_forward", "relu_backward",
           "softmax_loss", "layer_utils", "TwoLayerNet", "best_model")


def parse_rubric(top: Table, spec: Assignment) -> TwoLayerRubric:
    """This edition's own rubric tables (tables.py)."""
    return tables.parse_rubric(top, spec)


def limits_note(rubric: Rubric) -> str:
    """The time limits the student's code ran under, in the words of the feedback."""
    t = rubric.timeouts
    return (f"Time limits: {rubric.budget.submission_seconds:g} s for all the calls into "
            f"your code; one call of a layer {t['affine_backward']:g} s, of TwoLayerNet's "
            f"loss {t['net_loss']:g} s, reading the saved model {t['saved_params']:g} s. The "
            "grader's own CIFAR-10 training with your hyperparameters is not counted.")


def reference_cells() -> dict[str, str]:
    """No timing reference: this assignment has no speed checks."""
    return {}


def reference_train(target: str, settings: Mapping[str, float],
                    training: Mapping[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """The parameters of the grader's two-layer network, trained in the parent on the
    CIFAR-10 training split with a student's (canonical) settings, as the Solver does."""
    return reference.train(settings, training, seed)


def prepare_data(path: object, spec: Assignment
                 ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """CIFAR-10 as the notebook preprocesses it ((N, 3, 32, 32) images, 0-255 pixels minus
    the mean training image): the evaluation splits the parent keeps, and what the
    reference trains on (the training split, and the validation split the Solver picks
    its best parameters on)."""
    from cs231n_data.images import get_cifar10_images

    data = get_cifar10_images(path, num_training=49000, num_validation=1000, num_test=1000)
    return ({name: data[name] for name in ("X_val", "y_val", "X_test", "y_test")},
            {name: data[name] for name in ("X_train", "y_train", "X_val", "y_val")})


# The layer functions' class-common probe calls (autograder/probes.py).
probes = layers.probes


def build_checks(seed: int, rubric: Rubric) -> list[Check]:
    """Every hidden check, in the order they run: the same list for every submission,
    whatever its layout or the files it holds (TwoLayerNet's before the accuracy checks
    that stand on them)."""
    return (layers.affine_checks(seed) + layers.relu_checks(seed) + layers.softmax_checks(seed)
            + layers.layer_utils_checks(seed) + net_checks(seed) + accuracy_checks())


def run_checks(session: Session, seed: int, rubric: Rubric,
               targets: Iterable[str] | None = None, *,
               data: Mapping[str, np.ndarray] | None = None,
               reference_session: Session | None = None,
               budget_s: float | None = None,
               reference_train: Callable[[str, Mapping[str, float]], object] | None = None,
               submission: object = None) -> list[CheckResult]:
    """Run the hidden checks of `targets` (default: all) against one submission's session.

    `data` holds what the parent keeps from the student (X_val, y_val, X_test, y_test);
    without it the CIFAR-10 checks are left out. `reference_train(target, settings)`
    trains the grader's network (its time is not charged to `budget_s`, the wall-clock
    seconds of all calls into student code). Every comparison and score is computed here.
    """
    grading = Grading(session, seed, rubric, data, reference_session,
                      reference_train=reference_train,
                      findings=dict(getattr(submission, "findings", None) or {}))
    return engine.run(build_checks(seed, rubric), TARGETS, grading, targets=targets,
                      budget_s=budget_s, probes=probes)
