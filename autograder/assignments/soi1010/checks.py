"""The SOI1010 edition's face to the engine (`AssignmentChecks`): its targets, the list of
its hidden checks, its rubric tables, its CIFAR-10 preparation and reference training.

Each check is an engine `Check` whose `evaluate` calls student code only through
`Grading.call` and compares the plain data that comes back with the oracle (oracle.py,
torch autograd in float64; nn.CrossEntropyLoss for the cross-entropy) here, in the trusted
parent. The checks live by what they check: functions.py (the split, normalization,
binary subset, one-vs-all labels and prediction), losses.py (the hinge loss and the
softmax cross-entropy), training.py (train_svm, train_softmax), steps.py (their exact
SGD steps: lr, epochs and batch_size used as asked), accuracy.py (CIFAR-10,
trained by the grader with the saved settings).

    run_checks(session, seed, rubric) -> [CheckResult, ...]
    probes(seed) -> {target: [Probe, ...]}   (the class report's behaviour groups)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import numpy as np

from autograder import checks as engine
from autograder.assignment import Assignment
from autograder.assignments.soi1010 import functions, inputs, losses, tables
from autograder.assignments.soi1010.accuracy import accuracy_checks
from autograder.assignments.soi1010.grading import Grading
from autograder.assignments.soi1010.steps import step_checks
from autograder.assignments.soi1010.tables import Soi1010Rubric
from autograder.assignments.soi1010.training import training_checks
from autograder.checks import Check, CheckResult
from autograder.outcome import Session
from autograder.probes import Probe
from autograder.rubric import Rubric, Table

TARGETS = ("split_train_val", "normalize_splits", "binary_subset", "hinge_loss", "train_svm",
           "one_vs_all_labels", "one_vs_all_predict", "softmax_cross_entropy",
           "train_softmax", "binary_svm", "one_vs_all", "softmax")


def parse_rubric(top: Table, spec: Assignment) -> Soi1010Rubric:
    """This edition's own rubric tables (tables.py)."""
    return tables.parse_rubric(top, spec)


def limits_note(rubric: Rubric) -> str:
    """The time limits the student's code ran under, in the words of the feedback."""
    t = rubric.timeouts
    return (f"Time limits: {rubric.budget.submission_seconds:g} s for all the calls into "
            f"your code; one call of a loss {t['hinge_loss']:g} s, of a training function "
            f"on the small hidden problems {t['train_svm']:g} s. The grader's own CIFAR-10 "
            "training with your settings is not counted.")


def reference_cells() -> dict[str, str]:
    """No timing reference: this assignment has no speed checks."""
    return {}


def reference_train(target: str, settings: Mapping[str, float],
                    training: Mapping[str, np.ndarray], seed: int) -> dict[str, np.ndarray]:
    """The grader's model of `target` ({"W": (K, 3072), "b": (K,)}), trained in the parent
    on the CIFAR-10 training split with a student's (canonical) settings."""
    from autograder.assignments.soi1010 import reference

    return reference.train(target, settings, training, seed)


def prepare_data(path: object, spec: Assignment
                 ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """CIFAR-10 as the notebook prepares it (reference.prepare): the images the parent
    scores on (X_val, y_val, X_test, y_test) and the training split the reference trains
    on."""
    from autograder.assignments.soi1010 import reference

    return reference.prepare(path)


# Rows of the normalization case a probe sends: the whole case is too many numbers for a
# fingerprint (probes.MAX_ENTRIES per field).
PROBE_ROWS = {"X_train": 16, "X_val": 4, "X_test": 4}


def probes(seed: int) -> dict[str, list[Probe]]:
    """The class-common probe calls (autograder/probes.py) of the functions whose answers
    can be compared: their hidden cases drawn from `seed` (the losses' first two, lam 0 and
    lam > 0; the normalization's first rows); the answer is what the operation returns.
    The training functions have none: a probe would train once more within the
    submission's budget, and weights after many SGD steps need not agree to
    probes.SIGNIFICANT digits between two ways of writing one bug."""
    hinge, logits = inputs.hinge_cases(seed)[:2], inputs.logits_cases(seed)[:2]
    splits, subset = inputs.splits_case(seed), inputs.subset_case(seed)
    models = inputs.models_case(seed)
    return {
        "split_train_val": [Probe("split_train_val", "split_train_val", {
            "num_examples": c.num_examples, "val_fraction": c.val_fraction, "seed": c.seed},
            ("train", "val")) for c in inputs.split_cases(seed)[1:]],
        "normalize_splits": [Probe("normalize_splits", "normalize_splits", {
            name: getattr(splits, name)[:rows] for name, rows in PROBE_ROWS.items()},
            ("train", "val", "test"))],
        "binary_subset": [Probe("binary_subset", "binary_subset", {
            "X": subset.X, "y": subset.y, "positive_class": subset.positive,
            "negative_class": subset.negative}, ("X", "y"))],
        "hinge_loss": [Probe("hinge_loss", "hinge_loss", {
            "margin_scores": c.scores, "y": c.y, "w": c.w, "lam": c.lam},
            ("loss", "dscores", "dw")) for c in hinge],
        "one_vs_all_labels": [Probe("one_vs_all_labels", "one_vs_all_labels", {
            "y": inputs.labels_case(seed), "num_classes": inputs.NUM_CLASSES}, ("labels",))],
        "one_vs_all_predict": [Probe("one_vs_all_predict", "one_vs_all_predict", {
            "W": models.W, "b": models.b, "X": models.X}, ("y_pred",))],
        "softmax_cross_entropy": [Probe("softmax_cross_entropy", "cross_entropy", {
            "logits": c.logits, "y": c.y}, ("loss", "dlogits")) for c in logits],
    }


def build_checks(seed: int, rubric: Rubric) -> list[Check]:
    """Every hidden check, in the order they run: the same list for every submission
    (the functions' checks before the accuracy checks that stand on them)."""
    return (functions.split_checks(seed) + functions.normalize_checks(seed)
            + functions.subset_checks(seed) + losses.hinge_checks(seed)
            + training_checks("train_svm", seed) + step_checks("train_svm", seed)
            + functions.one_vs_all_checks(seed) + losses.cross_entropy_checks(seed)
            + training_checks("train_softmax", seed) + step_checks("train_softmax", seed)
            + accuracy_checks())


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
    trains the grader's model (its time is not charged to `budget_s`, the wall-clock
    seconds of all calls into student code). Every comparison and score is computed here;
    `probes` fingerprint the wrong answers no diagnosis names.
    """
    grading = Grading(session, seed, rubric, data, reference_session,
                      reference_train=reference_train,
                      findings=dict(getattr(submission, "findings", None) or {}))
    return engine.run(build_checks(seed, rubric), TARGETS, grading, targets=targets,
                      budget_s=budget_s, probes=probes)
