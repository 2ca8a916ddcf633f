"""The NumPy assignment's face to the engine (`AssignmentChecks`): its targets, the list of
its hidden checks, its rubric tables, its CIFAR-10 preparation and reference training.

Each check is an engine `Check` (autograder/checks.py): its name starts with the function
it checks, its target is the notebook cell it belongs to, its rubric key names its points
in rubric.toml, and its `evaluate` step calls student code only through `Grading.call`
and compares the plain data that comes back with the oracle (oracle.py beside this file),
here, in the trusted parent. The checks live by what they measure: losses.py, speed.py,
training.py (LinearClassifier), accuracy.py (CIFAR-10 and the saved model).

    run_checks(session, seed, rubric) -> [CheckResult, ...]
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping

import numpy as np

from autograder import checks as engine
from autograder.assignment import Assignment
from autograder.assignments.linear import inputs, reference, tables
from autograder.assignments.linear.accuracy import accuracy_checks
from autograder.assignments.linear.grading import (  # noqa: F401 - the edition's names
    CLASS_LOSS,
    CLASSIFIERS,
    LOSS_FUNCTIONS,
    NAIVE_OF,
    NUMPY,
    TARGETS,
    VECTORIZED,
    Api,
    Grading,
    SpeedRound,
)
from autograder.assignments.linear.losses import (
    gradient_check,
    large_scores_check,
    loss_check,
    no_mutation_check,
)
from autograder.assignments.linear.oracle import kind_of
from autograder.assignments.linear.speed import speedup_check, vs_reference_check
from autograder.assignments.linear.tables import LinearRubric
from autograder.assignments.linear.training import (
    predict_check,
    train_history_check,
    train_init_check,
    train_sampling_check,
    train_step_check,
)
from autograder.checks import Check, CheckResult
from autograder.outcome import Session
from autograder.probes import Probe, Probes
from autograder.rubric import Rubric, Table

# ---------------------------------------------------------------- the reference


def reference_cells() -> dict[str, str]:
    """The reference loss functions as definition cells for the timing session (the
    child's namespaces have np), each vectorized loss with the data term it calls."""
    helper = {"svm_loss_vectorized": reference.svm_data_term,
              "softmax_loss_vectorized": reference.softmax_data_term}
    return {name: "".join(inspect.getsource(f) + "\n\n" for f in (
                *([helper[name]] if name in helper else []), getattr(reference, name)))
            for name in LOSS_FUNCTIONS}


def reference_train(target: str, settings: Mapping[str, float],
                    training: Mapping[str, np.ndarray], seed: int) -> np.ndarray:
    """W of the reference classifier `target`, trained in the parent on the CIFAR-10
    training split with a student's (canonical) hyperparameters."""
    return reference.train(target, training["X_train"], training["y_train"],
                           float(settings["learning_rate"]), float(settings["reg"]),
                           int(settings["num_iters"]), int(settings["batch_size"]), seed=seed)


def prepare_data(path: object, spec: Assignment
                 ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """CIFAR-10 as the notebooks preprocess it (rows of 3073: pixels times
    `spec.pixel_scale`, minus the mean training image, and the bias column): the
    evaluation splits the parent keeps, and the training split the reference trains on."""
    from cs231n_data.cifar10 import get_cifar10_data

    data = get_cifar10_data(path, num_training=49000, num_validation=1000, num_test=1000,
                            num_dev=0, pixel_scale=spec.pixel_scale)
    return ({name: data[name] for name in ("X_val", "y_val", "X_test", "y_test")},
            {name: data[name] for name in ("X_train", "y_train")})


def parse_rubric(top: Table, spec: Assignment) -> LinearRubric:
    """This edition's own rubric tables (tables.py)."""
    return tables.parse_rubric(top, spec, VECTORIZED)


def limits_note(rubric: Rubric) -> str:
    """The time limits the student's code ran under, in the words of the feedback."""
    t = rubric.timeouts
    return (f"Time limits: {rubric.budget.submission_seconds:g} s for all the calls into "
            f"your code; one call of a loss function {t['loss']:g} s, of train "
            f"{t['train']:g} s, of predict {t['predict']:g} s. The grader's own CIFAR-10 "
            "training with your hyperparameters is not counted.")


def probes(seed: int) -> dict[str, list[Probe]]:
    """The class-common probe calls (autograder/probes.py) of each loss function: its
    first two hidden cases (reg 0 and a large reg, so that the data and regularization
    terms both show), drawn from `seed`; the answer is the loss and dW."""
    return {fn: [Probe(fn, "loss", {"fn": fn, "W": case.W, "X": case.X, "y": case.y,
                                    "reg": case.reg}, ("loss", "dW"))
                 for case in inputs.loss_cases(kind_of(fn), seed)[:2]]
            for fn in LOSS_FUNCTIONS}


# ---------------------------------------------------------------- the list


def build_checks(seed: int, rubric: Rubric, api: Api = NUMPY) -> list[Check]:
    """Every hidden check, in the order they run (a function's ordinary case first): the
    same list for every submission, whatever its layout or the files it holds."""
    checks: list[Check] = []
    for fn in LOSS_FUNCTIONS:
        for case in inputs.loss_cases(kind_of(fn), seed):
            checks.append(loss_check(fn, case, rubric.own.loss_tolerance))
            checks.append(gradient_check(fn, case))
        if kind_of(fn) == "softmax":
            checks.append(large_scores_check(fn))
        checks.append(no_mutation_check(fn))
    for fn in NAIVE_OF:
        checks.append(speedup_check(fn))
        checks.append(vs_reference_check(fn))
    return checks + classifier_checks(api) + accuracy_checks(rubric, CLASSIFIERS)


def classifier_checks(api: Api = NUMPY) -> list[Check]:
    """The train and predict checks of the targets `api` names."""
    return [train_history_check(api), train_sampling_check(api), train_step_check(api),
            train_init_check(api), predict_check(api)]


def run_checks(session: Session, seed: int, rubric: Rubric,
               targets: Iterable[str] | None = None,
               data: Mapping[str, np.ndarray] | None = None,
               reference_session: Session | None = None,
               budget_s: float | None = None,
               reference_train: Callable[[str, Mapping[str, float]], np.ndarray] | None
               = None, submission: object = None) -> list[CheckResult]:
    """Run the hidden checks of `targets` (default: all) against one submission's session.

    `budget_s`: wall-clock seconds for the whole run; each call into student code gets at
    most what is left, and the checks left when it is spent score 0, saying so.

    `data` holds what the parent keeps from the student (the evaluation images X_val and
    X_test and their labels y_val and y_test); without it the CIFAR-10 checks are left
    out, and without `reference_session` the speed-vs-reference checks are. Every
    comparison and score is computed here, in the caller's process.

    `reference_train(cls, hyperparameters) -> W` trains the trusted reference on the
    CIFAR-10 training split; every accuracy point is scored on its W (the student's code
    never trains on CIFAR-10 for a score). Its time is not charged to `budget_s`.
    `submission`: the parsed submission (intake's), whose rule findings checks may read.
    """
    return run(build_checks(seed, rubric), TARGETS, session, seed, rubric,
               targets=targets, data=data, reference_session=reference_session,
               budget_s=budget_s, reference_train=reference_train,
               findings=getattr(submission, "findings", None) or {})


def run(checks: list[Check], known: Iterable[str], session: Session, seed: int,
        rubric: Rubric, *, targets: Iterable[str] | None = None,
        data: Mapping[str, np.ndarray] | None = None,
        reference_session: Session | None = None, budget_s: float | None = None,
        reference_train: Callable[[str, Mapping[str, float]], np.ndarray] | None = None,
        api: Api = NUMPY,
        findings: Mapping[str, Mapping[str, list[str]]] | None = None,
        probe_calls: Probes | None = probes) -> list[CheckResult]:
    """Run `checks` (an edition's list, every target among `known`) as `run_checks` says,
    with `probe_calls` fingerprinting the wrong answers no diagnosis names."""
    grading = Grading(session, seed, rubric, data, reference_session,
                      reference_train=reference_train,
                      findings=dict(findings or {}), api=api)
    return engine.run(checks, known, grading, targets=targets, budget_s=budget_s,
                      probes=probe_calls)
