"""The NumPy assignment's hidden checks: what is called, with what, compared how, for
how many points.

Each is an engine `Check` (autograder/checks.py): its name starts with the function it
checks, its target is the notebook cell it belongs to, its points come from rubric.toml,
and its `evaluate` step calls student code only through `Grading.call` and compares the
plain data that comes back with the oracle (oracle.py beside this file), here, in the
trusted parent.

    run_checks(session, seed, rubric) -> [CheckResult, ...]
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import math
import statistics
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from autograder import checks as engine
from autograder.assignments.linear import diagnose, inputs, reference
from autograder.assignments.linear.accuracy import accuracy_checks
from autograder.assignments.linear.inputs import LossCase
from autograder.assignments.linear.oracle import kind_of, oracle_for
from autograder.checks import Check, CheckResult, Verdict, failed, passed
from autograder.outcome import Outcome, Session
from autograder.rubric import Rubric
from cs231n_data.gradient_check import rel_error

LOSS_FUNCTIONS = (
    "svm_loss_naive",
    "svm_loss_vectorized",
    "softmax_loss_naive",
    "softmax_loss_vectorized",
)
CLASSIFIERS = ("LinearSVM", "Softmax")
TARGETS = (*LOSS_FUNCTIONS, "linear_classifier", *CLASSIFIERS)
# The rubric's [points.<target>] keys: one per check (or per case, for loss and gradient).
POINT_KEYS: dict[str, tuple[str, ...]] = {
    "svm_loss_naive": ("loss", "gradient", "no_mutation"),
    "svm_loss_vectorized": ("loss", "gradient", "no_mutation", "speedup", "vs_reference"),
    "softmax_loss_naive": ("loss", "gradient", "no_mutation", "large_scores"),
    "softmax_loss_vectorized": (
        "loss", "gradient", "no_mutation", "large_scores", "speedup", "vs_reference",
    ),
    "linear_classifier": (
        "train_returns_one_loss_per_iteration",
        "train_samples_with_replacement",
        "train_gradient_step",
        "train_initialises_W",
        "predict_argmax",
    ),
    "LinearSVM": ("val_accuracy", "test_accuracy", "saved_weights"),
    "Softmax": ("val_accuracy", "test_accuracy", "saved_weights"),
}
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
SAMPLING_CHECK = "train samples minibatches with replacement"
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
        factor = self.rubric.reg_factor
        return case if factor == 1.0 else dataclasses.replace(case, reg=case.reg * factor)

    def convention(self) -> str:
        return f" (this course's regularization term: {self.rubric.regularization})"

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
            wrong = _wrong_answer(self, fn, case, out)
            if wrong:
                return None, (f"{fn} {wrong} on one of its timed calls (every timed call is "
                              f"an ordinary call on a fresh {case.shape_label} input, and is "
                              "checked like any other)")
        return max(out.cpu_seconds, 0.0), None

    def _measure(self, fn: str) -> tuple[list[SpeedRound], str | None]:
        rule = self.rubric.speed
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


def _wrong_answer(g: Grading, fn: str, case: LossCase, out: Outcome) -> str | None:
    """None when the call's loss and gradient match the oracle (float32 precision for
    the gradient, as on the dev-set shape); else what was wrong."""
    loss, dW, problem = _loss_value(out)
    if problem:
        return problem
    expected_loss, expected_dW = g.oracle(fn, case)
    if not rel_error(loss, expected_loss) <= g.rubric.loss_tolerance:
        return f"returned a wrong loss ({loss:.6g}, expected {expected_loss:.6g})"
    if dW.shape != expected_dW.shape or \
            not rel_error(dW, expected_dW) <= g.rubric.gradient_float32_tolerance:
        return "returned a wrong gradient"
    return None


# ---------------------------------------------------------------- loss functions


def _loss_value(out: Outcome) -> tuple[float | None, np.ndarray | None, str | None]:
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


def loss_check(fn: str, case: LossCase, points: float, tolerance: float) -> Check:
    """`fn` on `case`: its loss equals the oracle's within `tolerance`."""

    def evaluate(g: Grading) -> Verdict:
        out = g.loss(fn, case)
        if not out.ok:
            return failed(g.failure(fn, out.error))
        loss, _, problem = _loss_value(out)
        if loss is None:
            return failed(f"{fn} {problem}")
        expected, _ = g.oracle(fn, case)
        if not math.isfinite(loss):
            return failed(f"loss is {loss}: {diagnose.nonfinite_hint(fn, large_scores=False)}")
        error = rel_error(loss, expected)
        if error <= tolerance:
            return passed(f"loss {loss:.6g} is correct (relative error {error:.1e})")
        hint = diagnose.loss_hint(fn, g.scaled(case), loss)
        return failed(f"loss {loss:.6g}, expected {expected:.6g} (relative error {error:.1e} "
                      f"> {tolerance:g})" + (f": {hint}" if hint else "") + g.convention())

    return Check(f"{fn}: loss, {case.label}", fn, points, evaluate)


def _compare_gradient(fn: str, case: LossCase, dW: np.ndarray, expected: np.ndarray,
                      g: Grading, large_scores: bool = False) -> Verdict:
    rubric = g.rubric
    if dW.shape != case.W.shape:
        return failed(diagnose.shape_hint(dW.shape, case.W.shape))
    if not np.all(np.isfinite(dW)):
        return failed("dW contains nan or inf: " + diagnose.nonfinite_hint(fn, large_scores))
    tolerance = (rubric.gradient_float32_tolerance if dW.dtype == np.float32
                 else rubric.gradient_tolerance)
    error = rel_error(dW, expected)
    if error <= tolerance:
        return passed(f"gradient is correct (relative error {error:.1e})")
    hint = diagnose.gradient_hint(fn, g.scaled(case), dW.astype(np.float64))
    return failed(f"gradient wrong: relative error {error:.1e} > {tolerance:g}"
                  + (f": {hint}" if hint else "") + g.convention())


def gradient_check(fn: str, case: LossCase, points: float) -> Check:
    """`fn` on `case`: dW has W's shape and equals the oracle's gradient within tolerance."""

    def evaluate(g: Grading) -> Verdict:
        out = g.loss(fn, case)
        if not out.ok:
            return failed(g.failure(fn, out.error))
        _, dW, problem = _loss_value(out)
        if dW is None:
            return failed(f"{fn} {problem}")
        return _compare_gradient(fn, case, dW, g.oracle(fn, case)[1], g)

    return Check(f"{fn}: gradient, {case.label}", fn, points, evaluate)


def large_scores_check(fn: str, points: float) -> Check:
    """`fn` on scores of about +-1e3: loss and gradient finite and equal to the oracle's."""

    def evaluate(g: Grading) -> Verdict:
        case = inputs.large_scores_case(g.seed)
        out = g.loss(fn, case)
        if not out.ok:
            return failed(g.failure(fn, out.error))
        loss, dW, problem = _loss_value(out)
        if loss is None or dW is None:
            return failed(f"{fn} {problem}")
        expected_loss, expected_dW = g.oracle(fn, case)
        if not math.isfinite(loss):
            return failed(f"loss is {loss}: " + diagnose.nonfinite_hint(fn, large_scores=True))
        error = rel_error(loss, expected_loss)
        if error > g.rubric.loss_tolerance:
            return failed(f"loss {loss:.6g}, expected {expected_loss:.6g} on scores of about "
                          f"1e3 (relative error {error:.1e})")
        return _compare_gradient(fn, case, dW, expected_dW, g, large_scores=True)

    return Check(f"{fn}: large scores (overflow)", fn, points, evaluate)


def no_mutation_check(fn: str, points: float) -> Check:
    """Every call of `fn` made by the checks left W, X and y as they were sent: compared
    by the grader in the memory it sent them in, not taken from the child's word."""

    def evaluate(g: Grading) -> Verdict:
        first = g.loss(fn, g.cases(fn)[0])
        calls = g.mutations(fn)
        if not calls:
            return failed(g.failure(fn, first.error))
        for label, changed in calls:
            if changed:
                names = " and ".join(changed)
                return failed(f"{fn} modified its input {names} (on {label}): work on a "
                              "copy, and avoid in-place operations such as X -= ... or "
                              "W[...] = ... on the arguments")
        return passed(f"W, X and y unchanged after {len(calls)} calls")

    return Check(f"{fn}: does not modify its inputs", fn, points, evaluate)


# ---------------------------------------------------------------- speed


def _band(value: float, bands: Iterable[tuple[float, float]], higher_is_better: bool) -> float:
    """The fraction of points at `value`, on the line through the bands' (threshold,
    fraction) anchors, best first: the best fraction from the first threshold on, the last
    fraction past the last one. Continuous, so a measurement near a threshold moves the
    score by as little as it moves itself (timing noise is ~10% per grading here)."""
    anchors = [(t if higher_is_better else -t, f) for t, f in bands]
    x = value if higher_is_better else -value
    if x >= anchors[0][0]:
        return anchors[0][1]
    for (t_hi, f_hi), (t_lo, f_lo) in itertools.pairwise(anchors):
        if t_lo <= x < t_hi:
            return f_lo + (f_hi - f_lo) * (x - t_lo) / (t_hi - t_lo)
    return anchors[-1][1]


def _correct_on_dev(g: Grading, fn: str) -> str | None:
    """None when `fn` is correct on the dev-set shape; else why speed is not scored."""
    case = g.cases(fn)[-1]
    out = g.loss(fn, case)
    if not out.ok:
        return g.failure(fn, out.error)
    loss, dW, problem = _loss_value(out)
    expected_loss, expected_dW = g.oracle(fn, case)
    correct = (dW is not None and dW.shape == expected_dW.shape
               and rel_error(loss, expected_loss) <= g.rubric.loss_tolerance
               and rel_error(dW, expected_dW) <= g.rubric.gradient_float32_tolerance)
    if correct:
        return None
    return (f"speed is scored only once {fn} is correct on {case.label}: see its loss and "
            "gradient checks")


def speedup_check(fn: str, points: float) -> Check:
    """CPU time of your naive version / CPU time of `fn`, on the dev-set shape, in bands
    that are fractions of the reference's own speedup measured in the same rounds (so the
    score does not depend on the machine, nor on its load)."""
    naive = NAIVE_OF[fn]

    def evaluate(g: Grading) -> Verdict:
        reason = _correct_on_dev(g, fn)
        if reason:
            return failed(reason)
        rounds, why = g.speed(fn)
        if why:
            return failed(why)
        if fn in g._naive_problem:
            return failed(g._naive_problem[fn])
        rule = g.rubric.speed
        speedup = statistics.median(r.speedup(rule.naive_cap) for r in rounds)
        own = statistics.median(r.own for r in rounds)
        own_naive = statistics.median(r.own_naive for r in rounds)
        bands = rule.speedup_bands[fn]
        shape = inputs.timing_case(kind_of(fn), g.seed, 0).shape_label
        message = (f"speedup {speedup:.1f}x over your {naive} on {shape} "
                   f"({own * 1e3:.1f} ms vs {own_naive * 1e3:.1f} ms of CPU per call, median "
                   f"of {len(rounds)} rounds of calls on fresh inputs")
        if rounds[0].ref is None:
            fraction = _band(speedup, bands, higher_is_better=True)
            message += f"; full credit from {bands[0][0]:g}x)"
        else:
            reference = statistics.median(r.ref_naive / max(r.ref, 1e-9) for r in rounds)
            fraction = _band(speedup / reference, bands, higher_is_better=True)
            message += (f"; the reference solution gets {reference:.1f}x in the same rounds, "
                        f"full credit from {bands[0][0]:g} of that, "
                        f"{bands[0][0] * reference:.1f}x)")
        if speedup <= rule.naive_cap:
            fraction = 0.0
        capped = [r for r in rounds if r.ref_naive is not None
                  and r.own_naive > rule.naive_cap * r.ref_naive]
        if len(capped) * 2 > len(rounds):
            message += (f"; your {naive} took more than {rule.naive_cap:g}x the reference "
                        "loop's time, so it counted as that")
        hint = diagnose.speed_hint(speedup)
        return Verdict(fraction, message + (f": {hint}" if hint else ""))

    return Check(f"{fn}: speedup over your naive version", fn, points, evaluate,
                 of_correctness=False)


def vs_reference_check(fn: str, points: float) -> Check:
    """CPU time of `fn` / CPU time of the reference vectorized version, in bands that are
    fractions of the reference's own naive/vectorized ratio (the loop's place)."""

    def evaluate(g: Grading) -> Verdict:
        reason = _correct_on_dev(g, fn)
        if reason:
            return failed(reason)
        rounds, why = g.speed(fn)
        if why:
            return failed(why)
        ratio = statistics.median(r.own / max(r.ref, 1e-9) for r in rounds)
        loop = statistics.median(r.ref_naive / max(r.ref, 1e-9) for r in rounds)
        own = statistics.median(r.own for r in rounds)
        ref = statistics.median(r.ref for r in rounds)
        rule = g.rubric.speed
        # Each band's limit in x of the reference's time: its share of the loop's place,
        # but never below the floor (load can squeeze the loop's place on a busy machine).
        bands = [(max(rule.vs_reference_floor, share * loop), points)
                 for share, points in rule.vs_reference_bands[fn]]
        fraction = _band(ratio, bands, higher_is_better=False)
        shape = inputs.timing_case(kind_of(fn), g.seed, 0).shape_label
        return Verdict(fraction, f"{ratio:.1f}x the reference's CPU time on {shape} "
                                 f"({own * 1e3:.1f} ms vs {ref * 1e3:.1f} ms per call, "
                                 f"median of {len(rounds)} rounds; a loop takes {loop:.1f}x "
                                 f"here, full credit up to {bands[0][0]:.1f}x)")

    return Check(f"{fn}: speed vs the reference", fn, points, evaluate, needs=("reference",),
                 of_correctness=False)


# ---------------------------------------------------------------- LinearClassifier



def _shape(problem: inputs.Problem) -> str:
    N, D = problem.X.shape
    C = int(problem.y.max()) + 1 if problem.W0 is None else problem.W0.shape[1]
    return f"N={N} D={D} C={C}"


def _train(g: Grading, problem: inputs.Problem, memo: str, cls: str = "LinearSVM",
           **hyper: object) -> tuple[Outcome, str | None]:
    """Train `cls` on `problem`; (outcome, why it cannot be judged or None)."""
    loss_fn = CLASS_LOSS[cls]
    probe = g.loss(loss_fn, g.cases(loss_fn)[0])
    if not probe.ok:
        return probe, (f"could not test train, because {cls}'s loss uses your {loss_fn}, "
                       f"which failed: {g.failure(loss_fn, probe.error)}")
    out = g.call(g.api.train, "train", memo=("train", memo, cls, _shape(problem)), cls=cls,
                 X=problem.X, y=problem.y, W0=problem.W0, seed=g.seed, **hyper)
    return out, (None if out.ok else g.failure(g.api.train, out.error))


def _trainable(g: Grading) -> list[str]:
    """The classifiers train is checked through: LinearSVM (whose loss failing fails the
    check, as it always has), and Softmax too when its loss answers, so that a train that
    behaves differently in one subclass shows; a broken softmax loss is its own checks'
    failure, and so is one that changes its W (one bug, one check)."""
    loss_fn = CLASS_LOSS["Softmax"]
    answers = g.loss(loss_fn, g.cases(loss_fn)[0]).ok
    # A loss that changes its W changes the W train steps: its own check says so.
    mutates = any("W" in changed for _, changed in g.mutations(loss_fn))
    return ["LinearSVM", *(["Softmax"] if answers and not mutates else [])]


Shape = tuple[int, int, int]


def _judged(g: Grading, key: str | None, judge: Callable[[str, Shape | None], str | None],
            classes: Iterable[str], shapes: Iterable[Shape | None] | None = None
            ) -> str | None:
    """`judge(cls, shape)` for each classifier and size (None: the check's own small
    problem, then the larger shapes); the first failure, naming where it showed, or None.
    Each classifier's own outcome is kept under `key` (one of TRAINING_CHECKS) for the
    reference's standing: a failure through LinearSVM's broken loss is not Softmax's."""
    first = None
    for cls in classes:
        problem = None
        for shape in SIZES if shapes is None else shapes:
            problem = judge(cls, shape)
            if problem:
                where = [] if cls == "LinearSVM" else [cls]
                if shape is not None:
                    where.append("N={} D={} C={}".format(*shape))
                problem = f"{problem} ({', '.join(where)})" if where else problem
                break
        if key is not None:
            g._training[key, cls] = problem
        first = first or problem
    return first


SIZES: tuple[Shape | None, ...] = (None, *inputs.LARGER_SHAPES)


def _history(out: Outcome, num_iters: int) -> tuple[np.ndarray | None, str | None]:
    value = out.value if isinstance(out.value, Mapping) else {}
    history = value.get("loss_history")
    if history is None:
        return None, "train returned no loss history: return loss_history, a list of losses"
    history = np.asarray(history, dtype=np.float64).reshape(-1)
    if history.size != num_iters:
        return None, (f"train returned {history.size} losses for num_iters={num_iters}: append "
                      "the loss of every iteration to loss_history and return it")
    if not np.all(np.isfinite(history)):
        return None, "train's loss history contains nan or inf"
    return history, None


def _returned_W(out: Outcome) -> np.ndarray | None:
    value = out.value if isinstance(out.value, Mapping) else {}
    W = value.get("W")
    return None if W is None else np.asarray(W)


def train_history_check(points: float, api: Api = NUMPY) -> Check:
    """train(num_iters=7) returns 7 finite losses, in each classifier, on 40 rows and on
    the larger shapes (a CIFAR-10 row width, a CIFAR-10 number of rows)."""

    def judge(g: Grading, cls: str, shape: Shape | None) -> str | None:
        problem = inputs.train_problem(g.seed, *(() if shape is None else (shape,)))
        out, why = _train(g, problem, "history", cls, learning_rate=1e-3, reg=0.0,
                          num_iters=7, batch_size=10)
        return why or _history(out, 7)[1]

    def evaluate(g: Grading) -> Verdict:
        problem = _judged(g, HISTORY_CHECK, lambda cls, shape: judge(g, cls, shape),
                          _trainable(g))
        return failed(problem) if problem else passed(
            "7 losses for num_iters=7, on every problem size")

    return Check(f"{api.train_target}: {HISTORY_CHECK}",
                 api.train_target, points, evaluate)


def _sampling_problem(g: Grading, cls: str, api: Api) -> tuple[str | None, bool]:
    """(what is wrong with train's sampling through `cls`, or None; whether it shows only
    on a batch larger than the data, which CIFAR-10 never asks for). A batch that fits the
    data comes first: drawing without replacement (np.random.permutation(N)[:batch_size])
    is sampling too."""
    problem = inputs.train_problem(g.seed)
    out, why = _train(g, problem, "sampling", cls, learning_rate=0.0, reg=0.0, num_iters=10,
                      batch_size=10)
    if why:
        return why, False
    history, why = _history(out, 10)
    if why:
        return why, False
    if np.ptp(history) <= 1e-12 * max(1.0, abs(float(history.mean()))):
        loss_fn = CLASS_LOSS[cls]
        case = g.cases(loss_fn)[0]
        if _wrong_answer(g, loss_fn, case, g.loss(loss_fn, case)):
            return (f"with learning_rate=0 every iteration reported the same loss, but "
                    f"train's losses come from your {loss_fn}, which returns wrong losses "
                    "(see its checks): fix it, then this check can tell whether train "
                    "draws a new minibatch each iteration"), False
        return ("with learning_rate=0 every iteration reported the same loss, so train uses "
                "the same examples every time: draw a new minibatch each iteration with "
                f"{api.sample}"), False
    problem = inputs.tiny_problem(g.seed)
    out, why = _train(g, problem, "sampling, larger batch", cls, learning_rate=0.0, reg=0.0,
                      num_iters=10, batch_size=16)
    if why:
        return (f"train failed with batch_size=16 > num_train=5 ({out.error}): sample the "
                f"minibatch WITH replacement, {api.sample}"), True
    history, why = _history(out, 10)
    if why or np.ptp(history) <= 1e-12 * max(1.0, abs(float(history.mean()))):
        return (why or "with batch_size=16 > num_train=5 every iteration reported the same "
                "loss: sample the minibatch WITH replacement, " + api.sample), True
    return None, False


def train_sampling_check(points: float, api: Api = NUMPY) -> Check:
    """With learning_rate=0 on 5 rows and batch_size=16, the minibatch losses differ, in
    each classifier."""

    def evaluate(g: Grading) -> Verdict:
        small_only: set[str] = set()

        def judge(cls: str, _shape: Shape | None) -> str | None:
            problem, only_small = _sampling_problem(g, cls, api)
            if only_small:
                small_only.add(cls)
            return problem

        problem = _judged(g, SAMPLING_CHECK, judge, _trainable(g), shapes=(None,))
        for cls in small_only:
            # CIFAR-10's batches are never larger than its data: train's use there is not
            # in doubt, and the reference still stands for it.
            g._training[SAMPLING_CHECK, cls] = None
        return failed(problem) if problem else passed(
            "a new minibatch every iteration, batch_size > num_train works")

    return Check(f"{api.train_target}: {SAMPLING_CHECK}", api.train_target, points, evaluate)


def _step_problem(g: Grading, cls: str, shape: Shape | None,
                  api: Api) -> str | None:
    """One iteration on copies of one row moved W by exactly -learning_rate * (your dW)?"""
    learning_rate, reg, batch_size = 1e-3, 0.1, 8
    problem = inputs.repeated_row_problem(g.seed, *(() if shape is None else (shape,)))
    out, why = _train(g, problem, "step", cls, learning_rate=learning_rate, reg=reg,
                      num_iters=1, batch_size=batch_size)
    if why:
        return why
    loss_fn = CLASS_LOSS[cls]
    # Every minibatch of this problem is the same, so its gradient is known.
    batch = LossCase(f"repeated row {_shape(problem)}", problem.W0, problem.X[:batch_size],
                     problem.y[:batch_size], reg)
    own = g.loss(loss_fn, batch)
    _, dW, _ = _loss_value(own) if own.ok else (None, None, None)
    if dW is None or dW.shape != problem.W0.shape:
        return f"could not test train: your {loss_fn} gave no usable dW"
    W1 = _returned_W(out)
    if W1 is None or W1.shape != problem.W0.shape:
        return (f"after train, W is {None if W1 is None else W1.shape}: "
                f"it must keep its shape {problem.W0.shape}")
    expected = problem.W0 - learning_rate * dW
    if W1.dtype.kind == "f" and rel_error(W1, expected) <= 1e-6:
        return None
    if np.array_equal(W1, problem.W0):
        return ("train did not change W: after computing the minibatch gradient, "
                f"{api.update}")
    if rel_error(W1, problem.W0 + learning_rate * dW) <= 1e-6:
        return "train moved W up the gradient: subtract learning_rate * grad"
    return ("after one iteration W is not W - learning_rate * grad, with grad "
            f"from your {loss_fn} on the minibatch (relative error "
            f"{rel_error(W1, expected):.1e})")


STEPS = 3


def _steps_problem(g: Grading, cls: str, shape: Shape | None) -> str | None:
    """STEPS iterations on copies of one row: every minibatch is the same whatever the
    sampling, so the whole run is known from your loss alone: W after each step, and the
    loss each iteration must report."""
    learning_rate, reg, batch_size = 1e-3, 0.1, 8
    problem = inputs.repeated_row_problem(g.seed, *(() if shape is None else (shape,)))
    out, why = _train(g, problem, "steps", cls, learning_rate=learning_rate, reg=reg,
                      num_iters=STEPS, batch_size=batch_size)
    if why:
        return why
    # A history of the wrong length is the history check's to tell: here only its values.
    history, _ = _history(out, STEPS)
    loss_fn = CLASS_LOSS[cls]
    W, losses = problem.W0, []
    for step in range(STEPS):
        case = LossCase(f"repeated row {_shape(problem)}, step {step + 1}", W,
                        problem.X[:batch_size], problem.y[:batch_size], reg)
        own = g.loss(loss_fn, case)
        loss, dW, _ = _loss_value(own) if own.ok else (None, None, None)
        if loss is None or dW is None or dW.shape != W.shape:
            return f"could not test train: your {loss_fn} gave no usable loss and dW"
        losses.append(loss)
        W = W - learning_rate * dW
    W_end = _returned_W(out)
    if W_end is None or W_end.shape != W.shape or W_end.dtype.kind != "f" \
            or rel_error(W_end, W) > 1e-6:
        return (f"after {STEPS} iterations W is not what {STEPS} steps of W -= learning_rate "
                f"* grad give, with grad from your {loss_fn} at each step: update W once in "
                "every iteration, from the gradient at the current W")
    wrong = [] if history is None else [k for k in range(STEPS) if abs(history[k] - losses[k])
                                        > 1e-6 * max(1.0, abs(losses[k]))]
    if wrong:
        k = wrong[0]
        return (f"loss_history[{k}] is {history[k]:.6g}, but your {loss_fn} gives "
                f"{losses[k]:.6g} for that iteration's minibatch and W: append the loss "
                "computed in each iteration")
    return None


def train_step_check(points: float, api: Api = NUMPY) -> Check:
    """One iteration on copies of one row moves W by exactly -learning_rate * (your dW);
    STEPS iterations give what STEPS such steps give and report your loss at each; in
    each classifier, on 20 rows and on the larger shapes."""

    def judge(g: Grading, cls: str, shape: Shape | None) -> str | None:
        return _step_problem(g, cls, shape, api) or _steps_problem(g, cls, shape)

    def evaluate(g: Grading) -> Verdict:
        problem = _judged(g, STEP_CHECK, lambda cls, shape: judge(g, cls, shape),
                          _trainable(g))
        return failed(problem) if problem else passed(
            "W moved by -learning_rate * grad in every iteration, each reporting its loss, "
            "on every problem size")

    return Check(f"{api.train_target}: {STEP_CHECK}",
                 api.train_target, points, evaluate)


def train_init_check(points: float, api: Api = NUMPY) -> Check:
    """train with W None on labels {0, 1, 4} leaves a finite float W of shape (D, max(y)+1)."""

    def evaluate(g: Grading) -> Verdict:
        problem = inputs.skipped_class_problem(g.seed)
        out, why = _train(g, problem, "init", learning_rate=0.0, reg=0.0, num_iters=1,
                          batch_size=10)
        D, C = problem.X.shape[1], int(problem.y.max()) + 1
        if why and "IndexError" in (out.error or ""):
            return failed(f"{why}: the labels here are 0, 1 and 4, so W needs "
                          f"{api.classes} = {C} columns even though classes 2 and 3 "
                          "never occur")
        if why:
            return failed(why)
        W = _returned_W(out)
        if W is None or W.ndim == 0:
            return failed(f"{api.left_W}: {api.init}")
        if W.shape != (D, C):
            return failed(f"W has shape {W.shape} but must be (D, C) = {(D, C)}, with "
                          f"{api.classes} (here the labels are 0, 1 and 4)")
        if not np.issubdtype(W.dtype, np.floating) or not np.all(np.isfinite(W)):
            return failed(f"W must hold finite floats, got dtype {W.dtype}")
        return passed(f"W initialised with shape {(D, C)}")

    return Check(f"{api.train_target}: W initialised when None", api.train_target, points,
                 evaluate)


def _predict_problem(g: Grading, cls: str, shape: Shape | None,
                     api: Api) -> str | None:
    """predict(X) with a given W equals argmax(X @ W, axis=1), computed here?"""
    W, X = inputs.predict_problem(g.seed, *(() if shape is None else (shape,)))
    out = g.call(api.predict, "predict", memo=("predict", cls, X.shape), cls=cls, W=W, X=X)
    if not out.ok:
        return g.failure(api.predict, out.error)
    value = out.value if isinstance(out.value, Mapping) else {}
    y_pred = value.get("y_pred")
    if y_pred is None:
        return "predict returned None: return y_pred, shape (N,)"
    y_pred = np.asarray(y_pred)
    scores = X @ W
    N, C = scores.shape
    if y_pred.shape == (N, C):
        return (f"predict returned the scores, shape {(N, C)}: return "
                f"{api.argmax_scores}, shape (N,)")
    if y_pred.shape != (N,):
        return f"predict returned shape {y_pred.shape}: it must be (N,) = ({N},)"
    if not np.issubdtype(y_pred.dtype, np.number):
        return f"predict returned dtype {y_pred.dtype}: return integer labels"
    wrong = int(np.sum(y_pred != np.argmax(scores, axis=1)))
    if wrong == 0:
        return None
    if np.array_equal(y_pred, np.argmin(scores, axis=1)):
        return ("predict returned the argmin: the predicted class has the "
                f"highest score, {api.argmax}")
    return f"{wrong} of {N} labels differ from {api.argmax}"


def predict_check(points: float, api: Api = NUMPY) -> Check:
    """predict(X) with a given W equals argmax(X @ W, axis=1), computed here, in each
    classifier, on 25 rows and on the larger shapes."""

    def evaluate(g: Grading) -> Verdict:
        problem = _judged(g, None, lambda cls, shape: _predict_problem(g, cls, shape, api),
                          CLASSIFIERS)
        return failed(problem) if problem else passed(
            "all labels equal argmax(X.dot(W)), on every problem size")

    return Check(f"{api.predict_target}: predict returns argmax labels", api.predict_target,
                 points, evaluate)


# ---------------------------------------------------------------- the reference


def reference_cells() -> dict[str, str]:
    """The reference loss functions as definition cells for the timing session (the
    child's namespaces have np), each vectorized loss with the data term it calls."""
    helper = {"svm_loss_vectorized": reference.svm_data_term,
              "softmax_loss_vectorized": reference.softmax_data_term}
    return {name: "".join(inspect.getsource(f) + "\n\n" for f in (
                *([helper[name]] if name in helper else []), getattr(reference, name)))
            for name in LOSS_FUNCTIONS}


# The reference classifier the parent trains with each student's hyperparameters.
reference_train = reference.train


# ---------------------------------------------------------------- the list


def build_checks(seed: int, rubric: Rubric, api: Api = NUMPY) -> list[Check]:
    """Every hidden check, in the order they run (a function's ordinary case first): the
    same list for every submission, whatever its layout or the files it holds."""
    checks: list[Check] = []
    for fn in LOSS_FUNCTIONS:
        points = rubric.points[fn]
        for case in inputs.loss_cases(kind_of(fn), seed):
            checks.append(loss_check(fn, case, points["loss"], rubric.loss_tolerance))
            checks.append(gradient_check(fn, case, points["gradient"]))
        if "large_scores" in points:
            checks.append(large_scores_check(fn, points["large_scores"]))
        checks.append(no_mutation_check(fn, points["no_mutation"]))
    for fn in NAIVE_OF:
        checks.append(speedup_check(fn, rubric.points[fn]["speedup"]))
        checks.append(vs_reference_check(fn, rubric.points[fn]["vs_reference"]))
    return checks + classifier_checks(rubric, api) + accuracy_checks(rubric, CLASSIFIERS)


def classifier_checks(rubric: Rubric, api: Api = NUMPY) -> list[Check]:
    """The train and predict checks, with the points of the targets `api` names."""
    points = rubric.points[api.train_target]
    return [
        train_history_check(points["train_returns_one_loss_per_iteration"], api),
        train_sampling_check(points["train_samples_with_replacement"], api),
        train_step_check(points["train_gradient_step"], api),
        train_init_check(points["train_initialises_W"], api),
        predict_check(rubric.points[api.predict_target]["predict_argmax"], api),
    ]


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
        findings: Mapping[str, Mapping[str, list[str]]] | None = None) -> list[CheckResult]:
    """Run `checks` (an edition's list, every target among `known`) as `run_checks` says."""
    grading = Grading(session, seed, rubric, data, reference_session,
                      reference_train=reference_train,
                      findings=dict(findings or {}), api=api)
    return engine.run(checks, known, grading, targets=targets, budget_s=budget_s)
