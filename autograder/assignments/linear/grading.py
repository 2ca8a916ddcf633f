"""What the linear checks share: the edition's names (`Api`), and `Grading`, a grading run
of these checks (hidden cases, oracle answers, timings, mutations seen, what train's checks
found), with the loss call every check and timing goes through.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from autograder import checks as engine
from autograder.assignments.linear import inputs
from autograder.assignments.linear.inputs import LossCase
from autograder.assignments.linear.oracle import kind_of, oracle_for
from autograder.assignments.linear.tables import REGULARIZATION
from autograder.checks import Check
from autograder.outcome import Outcome, Session
from cs231n_data.gradient_check import rel_error

LOSS_FUNCTIONS = (
    "svm_loss_naive",
    "svm_loss_vectorized",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
)
CLASSIFIERS = ("LinearSVM", "Softmax")
TARGETS = (*LOSS_FUNCTIONS, "linear_classifier", *CLASSIFIERS)
NOTEBOOK = {
    "svm_loss_naive": "svm.ipynb",
    "svm_loss_vectorized": "svm.ipynb",
    "softmax_loss_naive": "softmax.ipynb",
    "softmax_loss_vectorized": "softmax.ipynb",
    "LinearClassifier.train": "svm.ipynb",
    "LinearClassifier.predict": "svm.ipynb",
}
# The loss each classifier's (given) subclass calls.
CLASS_LOSS = {"LinearSVM": "svm_loss_vectorized", "Softmax": "softmax_loss_vectorized"}
NAIVE_OF = {"svm_loss_vectorized": "svm_loss_naive",
            "softmax_loss_vectorized": "softmax_loss_naive"}
# The functions the speed checks time (the rubric's [speed.<fn>] tables).
VECTORIZED = tuple(NAIVE_OF)


TRAIN = "LinearClassifier.train"
# train's checks that decide whether the grader's reference, trained with the student's
# hyperparameters, stands for the student's training (predict and the initial W's shape
# do not change what SGD computes on CIFAR-10).
HISTORY_CHECK = "train returns one loss per iteration"
SAMPLING_CHECK = "train samples minibatches at random, rows with their labels"
STEP_CHECK = "train steps W by -learning_rate * gradient"
TRAINING_CHECKS = (HISTORY_CHECK, SAMPLING_CHECK, STEP_CHECK)
PREDICT = "LinearClassifier.predict"


@dataclass(frozen=True)
class Api:
    """How an edition's classifier code is named, where it lives, and how the fixes in
    its messages are worded (the checks call it through the same operations)."""

    train: str = TRAIN                      # what the messages call train and predict
    predict: str = PREDICT
    train_target: str = "linear_classifier"   # the definitions they belong to
    predict_target: str = "linear_classifier"
    sample: str = "np.random.choice(num_train, batch_size)"
    update: str = "update self.W -= learning_rate * grad"
    init: str = "initialise self.W = 0.001 * np.random.randn(D, C) when it is None"
    classes: str = "C = np.max(y) + 1"
    argmax: str = "np.argmax(X.dot(self.W), axis=1)"
    argmax_scores: str = "np.argmax(scores, axis=1)"
    notebooks: Mapping[str, str] = field(default_factory=lambda: dict(NOTEBOOK))  # by subject
    left_W: str = "train left W as None"
    # Beside train's own checks (TRAINING_CHECKS) and the gradient of the classifier's
    # loss, the checks whose failure means the reference no longer stands for the
    # student's training (the torch edition's sample_batch rows).
    training_also: tuple[str, ...] = ()
    # How the fixes the diagnoses name are spelled in this edition's library: (NumPy's
    # spelling, this edition's), applied in order to every hint (diagnose.py words them
    # with NumPy).
    spellings: tuple[tuple[str, str], ...] = ()

    def spell(self, hint: str | None) -> str | None:
        """`hint` (a diagnosis, never the student's own text) in this edition's spelling."""
        if hint is None:
            return None
        for numpy_spelling, ours in self.spellings:
            hint = hint.replace(numpy_spelling, ours)
        return hint


NUMPY = Api()


@dataclass
class Grading(engine.Grading):
    """A grading run of this assignment's checks: the engine's, with the edition's API
    and what the loss, speed and accuracy checks share (hidden cases, oracle answers,
    timings, mutations seen, reference accuracies)."""

    api: Api = NUMPY
    _references: dict[str, tuple[dict[str, float] | None, str]] = field(
        default_factory=dict)
    # check name -> passed (for the gradient checks the reference's standing needs).
    _passed: dict[str, bool] = field(default_factory=dict)
    # (train's check, classifier) -> what failed through that classifier, or None.
    _training: dict[tuple[str, str], str | None] = field(default_factory=dict)
    _oracle: dict[tuple, tuple[float, np.ndarray]] = field(default_factory=dict)
    _speed: dict[str, tuple[list[SpeedRound], str | None]] = field(default_factory=dict)
    _naive_problem: dict[str, str] = field(default_factory=dict)
    _loss_cases: dict[str, list[LossCase]] = field(default_factory=dict)
    _mutations: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)
    # loss function -> the factor of the other convention it follows throughout, or None.
    _conventions: dict[str, float | None] = field(default_factory=dict)

    @property
    def notebooks(self) -> Mapping[str, str]:
        return self.api.notebooks

    def record(self, check: Check, passed: bool) -> None:
        super().record(check, passed)
        self._passed[check.name] = passed

    def unverified_training(self, cls: str) -> list[str]:
        """The checks that say whether `cls` trains as the reference does (its loss's
        gradient; train's losses, step and sampling as seen through `cls`) that did not
        run or did not pass."""
        loss_fn = CLASS_LOSS[cls]
        needed = [f"{loss_fn}: gradient, {case.label}" for case in self.cases(loss_fn)]
        needed += list(self.api.training_also)
        missing = [name for name in needed if not self._passed.get(name)]
        return missing + [f"{self.api.train_target}: {key}" for key in TRAINING_CHECKS
                          if (key, cls) not in self._training or self._training[key, cls]]

    def cases(self, fn: str) -> list[LossCase]:
        kind = kind_of(fn)
        if kind not in self._loss_cases:
            self._loss_cases[kind] = inputs.loss_cases(kind, self.seed)
        return self._loss_cases[kind]

    def loss(self, fn: str, case: LossCase, memo: bool = True,
             session: Session | None = None, subject: str | None = None) -> Outcome:
        """One call of loss function `fn` on `case`. Checked or timed, every call is the
        same operation, and the inputs it changed (seen by the session, not reported by
        the child) are recorded for the mutation check."""
        out = self.call(subject or fn, "loss", memo=("loss", fn, case.label) if memo else None,
                        session=session, fn=fn, W=case.W, X=case.X, y=case.y, reg=case.reg)
        if session is None and out.ok and isinstance(out.value, Mapping):
            calls = self._mutations.setdefault(fn, [])
            if (case.label, out.value.get("mutated")) not in calls:
                calls.append((case.label, list(out.value.get("mutated") or [])))
        return out

    def mutations(self, fn: str) -> list[tuple[str, list[str]]]:
        """(case label, inputs it changed) for every successful call of `fn` so far."""
        return self._mutations.get(fn, [])

    def oracle(self, fn: str, case: LossCase) -> tuple[float, np.ndarray]:
        key = (kind_of(fn), case.label)
        if key not in self._oracle:
            scaled = self.scaled(case)
            self._oracle[key] = oracle_for(fn)(scaled.W, scaled.X, scaled.y, scaled.reg)
        return self._oracle[key]

    def scaled(self, case: LossCase) -> LossCase:
        """`case` with the reg the oracle's reg * sum(W**2) needs for the course's term."""
        factor = self.rubric.own.reg_factor
        return case if factor == 1.0 else dataclasses.replace(case, reg=case.reg * factor)

    def convention(self) -> str:
        return f" (this course's regularization term: {self.rubric.own.regularization})"

    def other_convention(self, fn: str) -> float | None:
        """The factor of the regularization convention (tables.REGULARIZATION) that the
        rubric did not choose, when `fn` gives the oracle's loss and gradient under it on
        every hidden case; else None. Calls `fn` on every case (memoized: the checks make
        the same calls)."""
        if fn not in self._conventions:
            ours = self.rubric.own.reg_factor
            self._conventions[fn] = next((factor for factor in REGULARIZATION.values()
                                          if factor != ours and self._right_under(fn, factor)),
                                         None)
        return self._conventions[fn]

    def _right_under(self, fn: str, factor: float) -> bool:
        own = self.rubric.own
        for case in self.cases(fn):
            loss, dW, problem = loss_value(self.loss(fn, case))
            if problem:
                return False
            expected_loss, expected_dW = oracle_for(fn)(case.W, case.X, case.y,
                                                        case.reg * factor)
            tolerance = (own.gradient_float32_tolerance if dW.dtype == np.float32
                         else own.gradient_tolerance)
            if not (rel_error(loss, expected_loss) <= own.loss_tolerance
                    and dW.shape == expected_dW.shape
                    and rel_error(dW, expected_dW) <= tolerance):
                return False
        return True

    def speed(self, fn: str) -> tuple[list[SpeedRound], str | None]:
        """Timing rounds of vectorized `fn` (see SpeedRound), or why there are none."""
        if fn not in self._speed:
            self._speed[fn] = self._measure(fn)
        return self._speed[fn]

    def _timed(self, fn: str, case: LossCase, reference: bool = False,
               checked: bool = False) -> tuple[float | None, str | None]:
        """CPU seconds of one ordinary loss call, or (None, why not). `checked`: the
        answer (loss and gradient) must be right for the time to count."""
        session = self.reference_session if reference else None
        subject = f"reference {fn}" if reference else fn
        out = self.loss(fn, case, memo=False, session=session, subject=subject)
        if not out.ok:
            if reference:
                raise RuntimeError(f"the reference session failed to time {fn}: {out.error}")
            return None, self.failure(fn, out.error)
        if out.cpu_seconds is None:
            return None, "the grader could not read the CPU time of the call"
        if checked:
            wrong = wrong_answer(self, fn, case, out)
            if wrong:
                return None, (f"{fn} {wrong} on one of its timed calls (every timed call is "
                              f"an ordinary call on a fresh {case.shape_label} input, and is "
                              "checked like any other)")
        return max(out.cpu_seconds, 0.0), None

    def _measure(self, fn: str) -> tuple[list[SpeedRound], str | None]:
        rule = self.rubric.own.speed
        naive = NAIVE_OF[fn]
        kind = kind_of(fn)
        with_reference = self.reference_session is not None
        rounds: list[SpeedRound] = []
        spent = 0.0
        for i in range(rule.samples):
            # Fresh inputs each round (the student's code never sees one input twice:
            # nothing to look up); the reference, in its own session, times the same work
            # on the same input. The four calls run back to back, so a change of the
            # machine's load hits them alike.
            case = [inputs.timing_case(kind, self.seed, 2 * i + k) for k in range(2)]
            ref_naive = self._timed(naive, case[0], reference=True)[0] if with_reference \
                else None
            own_naive = None
            if fn not in self._naive_problem:
                own_naive, why = self._timed(naive, case[0])
                if own_naive is None:
                    # The speedup cannot be scored; the time against the reference still can.
                    self._naive_problem[fn] = f"could not time your {naive}: {why}"
            own, why = self._timed(fn, case[1], checked=True)
            if own is None:
                return [], why
            ref = self._timed(fn, case[1], reference=True)[0] if with_reference else None
            rounds.append(SpeedRound(own_naive, own, ref_naive, ref))
            spent += (own_naive or 0.0) + own
            if spent >= rule.budget_seconds:
                break
        return rounds, None


@dataclass(frozen=True)
class SpeedRound:
    """CPU seconds of four calls made back to back on two fresh dev-shaped inputs (one
    for the naive versions, one for the vectorized): yours (naive None if it could not
    be timed) and the reference's (None without a reference)."""

    own_naive: float | None
    own: float
    ref_naive: float | None
    ref: float | None

    def speedup(self, naive_cap: float) -> float:
        naive = self.own_naive or 0.0
        if self.ref_naive is not None:
            naive = min(naive, naive_cap * self.ref_naive)
        return naive / max(self.own, 1e-9)


def wrong_answer(g: Grading, fn: str, case: LossCase, out: Outcome) -> str | None:
    """None when the call's loss and gradient match the oracle (float32 precision for
    the gradient, as on the dev-set shape); else what was wrong."""
    loss, dW, problem = loss_value(out)
    if problem:
        return problem
    expected_loss, expected_dW = g.oracle(fn, case)
    if not rel_error(loss, expected_loss) <= g.rubric.own.loss_tolerance:
        return f"returned a wrong loss ({loss:.6g}, expected {expected_loss:.6g})"
    if dW.shape != expected_dW.shape or \
            not rel_error(dW, expected_dW) <= g.rubric.own.gradient_float32_tolerance:
        return "returned a wrong gradient"
    return None


def loss_value(out: Outcome) -> tuple[float | None, np.ndarray | None, str | None]:
    """(loss, dW, None) from a loss call's value, or (None, None, what is wrong)."""
    value = out.value if isinstance(out.value, Mapping) else {}
    loss, dW = value.get("loss"), value.get("dW")
    try:
        loss = float(loss)
    except (TypeError, ValueError):
        return None, None, f"returned a loss that is not a number ({type(loss).__name__})"
    if dW is None:
        return loss, None, "returned no gradient dW"
    dW = np.asarray(dW)
    if not np.issubdtype(dW.dtype, np.floating):
        return loss, None, f"returned dW of dtype {dW.dtype}: it must be a float array"
    return loss, dW, None
