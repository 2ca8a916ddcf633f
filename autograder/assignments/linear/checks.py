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
    # The targets whose correctness checks must all pass (with the loss's) before the
    # grader trains its reference with the student's hyperparameters.
    trains_with: tuple[str, ...] = ("linear_classifier",)


NUMPY = Api()


@dataclass
class Grading(engine.Grading):
    """A grading run of this assignment's checks: the engine's, with the edition's API
    and what the loss, speed and accuracy checks share (hidden cases, oracle answers,
    timings, mutations seen, retrainings)."""

    api: Api = NUMPY
    _retrainings: dict[str, tuple[dict[str, float] | None, str]] = field(
        default_factory=dict)
    _oracle: dict[tuple, tuple[float, np.ndarray]] = field(default_factory=dict)
    _speed: dict[str, tuple[list[SpeedRound], str | None]] = field(default_factory=dict)
    _naive_problem: dict[str, str] = field(default_factory=dict)
    _loss_cases: dict[str, list[LossCase]] = field(default_factory=dict)
    _mutations: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)

    @property
    def notebooks(self) -> Mapping[str, str]:
        return self.api.notebooks

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



def _train(g: Grading, problem: inputs.Problem, memo: str, **hyper: object
           ) -> tuple[Outcome, str | None]:
    """Train LinearSVM on `problem`; (outcome, why it cannot be judged or None)."""
    loss_fn = CLASS_LOSS["LinearSVM"]
    probe = g.loss(loss_fn, g.cases(loss_fn)[0])
    if not probe.ok:
        return probe, (f"could not test train, because LinearSVM's loss uses your {loss_fn}, "
                       f"which failed: {g.failure(loss_fn, probe.error)}")
    out = g.call(g.api.train, "train", memo=("train", memo), cls="LinearSVM", X=problem.X,
                 y=problem.y, W0=problem.W0, seed=g.seed, **hyper)
    return out, (None if out.ok else g.failure(g.api.train, out.error))


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
    """train(num_iters=7) on 40 rows returns 7 finite losses."""

    def evaluate(g: Grading) -> Verdict:
        out, problem = _train(g, inputs.train_problem(g.seed), "history", learning_rate=1e-3,
                              reg=0.0, num_iters=7, batch_size=10)
        if problem:
            return failed(problem)
        history, problem = _history(out, 7)
        return failed(problem) if problem else passed("7 losses for num_iters=7")

    return Check(f"{api.train_target}: train returns one loss per iteration",
                 api.train_target, points, evaluate)


def train_sampling_check(points: float, api: Api = NUMPY) -> Check:
    """With learning_rate=0 on 5 rows and batch_size=16, the minibatch losses differ."""

    def evaluate(g: Grading) -> Verdict:
        problem = inputs.tiny_problem(g.seed)
        out, why = _train(g, problem, "sampling", learning_rate=0.0, reg=0.0, num_iters=10,
                          batch_size=16)
        if why:
            error = out.error or ""
            if not out.ok and ("replace" in error or "larger sample" in error):
                return failed(f"train failed with batch_size=16 > num_train=5 ({out.error}): "
                              f"sample the minibatch WITH replacement, {api.sample}")
            return failed(why)
        history, why = _history(out, 10)
        if why:
            return failed(why)
        if np.ptp(history) <= 1e-12 * max(1.0, abs(float(history.mean()))):
            loss_fn = CLASS_LOSS["LinearSVM"]
            case = g.cases(loss_fn)[0]
            if _wrong_answer(g, loss_fn, case, g.loss(loss_fn, case)):
                return failed(f"with learning_rate=0 every iteration reported the same loss, "
                              f"but train's losses come from your {loss_fn}, which returns "
                              "wrong losses (see its checks): fix it, then this check can tell "
                              "whether train draws a new minibatch each iteration")
            return failed("with learning_rate=0 every iteration reported the same loss, so "
                          "train uses the same examples every time: draw a new minibatch each "
                          f"iteration with {api.sample}")
        return passed("a new minibatch every iteration, batch_size > num_train works")

    return Check(f"{api.train_target}: train samples minibatches with replacement",
                 api.train_target, points, evaluate)


def train_step_check(points: float, api: Api = NUMPY) -> Check:
    """One iteration on copies of one row moves W by exactly -learning_rate * (your dW)."""
    learning_rate, reg, batch_size = 1e-3, 0.1, 8

    def evaluate(g: Grading) -> Verdict:
        problem = inputs.repeated_row_problem(g.seed)
        out, why = _train(g, problem, "step", learning_rate=learning_rate, reg=reg,
                          num_iters=1, batch_size=batch_size)
        if why:
            return failed(why)
        loss_fn = CLASS_LOSS["LinearSVM"]
        # Every minibatch of this problem is the same, so its gradient is known.
        batch = LossCase("repeated row", problem.W0, problem.X[:batch_size],
                         problem.y[:batch_size], reg)
        own = g.loss(loss_fn, batch)
        _, dW, _ = _loss_value(own) if own.ok else (None, None, None)
        if dW is None or dW.shape != problem.W0.shape:
            return failed(f"could not test train: your {loss_fn} gave no usable dW")
        W1 = _returned_W(out)
        if W1 is None or W1.shape != problem.W0.shape:
            return failed(f"after train, W is {None if W1 is None else W1.shape}: "
                          f"it must keep its shape {problem.W0.shape}")
        expected = problem.W0 - learning_rate * dW
        if rel_error(W1, expected) <= 1e-6:
            return passed("W moved by -learning_rate * grad")
        if np.array_equal(W1, problem.W0):
            return failed("train did not change W: after computing the minibatch gradient, "
                          f"{api.update}")
        if rel_error(W1, problem.W0 + learning_rate * dW) <= 1e-6:
            return failed("train moved W up the gradient: subtract learning_rate * grad")
        return failed("after one iteration W is not W - learning_rate * grad, with grad "
                      f"from your {loss_fn} on the minibatch (relative error "
                      f"{rel_error(W1, expected):.1e})")

    return Check(f"{api.train_target}: train steps W by -learning_rate * gradient",
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


def predict_check(points: float, api: Api = NUMPY) -> Check:
    """predict(X) with a given W equals argmax(X @ W, axis=1), computed here."""

    def evaluate(g: Grading) -> Verdict:
        W, X = inputs.predict_problem(g.seed)
        out = g.call(api.predict, "predict", memo=("predict",), cls="LinearSVM", W=W, X=X)
        if not out.ok:
            return failed(g.failure(api.predict, out.error))
        value = out.value if isinstance(out.value, Mapping) else {}
        y_pred = value.get("y_pred")
        if y_pred is None:
            return failed("predict returned None: return y_pred, shape (N,)")
        y_pred = np.asarray(y_pred)
        scores = X @ W
        N, C = scores.shape
        if y_pred.shape == (N, C):
            return failed(f"predict returned the scores, shape {(N, C)}: return "
                          f"{api.argmax_scores}, shape (N,)")
        if y_pred.shape != (N,):
            return failed(f"predict returned shape {y_pred.shape}: it must be (N,) = ({N},)")
        if not np.issubdtype(y_pred.dtype, np.number):
            return failed(f"predict returned dtype {y_pred.dtype}: return integer labels")
        wrong = int(np.sum(y_pred != np.argmax(scores, axis=1)))
        if wrong == 0:
            return passed(f"all {N} labels equal argmax(X.dot(W))")
        if np.array_equal(y_pred, np.argmin(scores, axis=1)):
            return failed("predict returned the argmin: the predicted class has the "
                          f"highest score, {api.argmax}")
        return failed(f"{wrong} of {N} labels differ from {api.argmax}")

    return Check(f"{api.predict_target}: predict returns argmax labels", api.predict_target,
                 points, evaluate)


# ---------------------------------------------------------------- CIFAR-10 accuracy


def _hyperparameters(g: Grading, cls: str) -> tuple[dict | None, str]:
    """The student's saved hyperparameters (capped), or (None, why not)."""
    rule = g.rubric.accuracy[cls]
    if cls in g.no_weights:
        return dict(rule.starter_hyperparameters), (
            f" (the submission, in CS231n's starter layout, holds no {rule.weights_file}: "
            "trained with the settings rubric.toml gives that layout)")
    out = g.call(rule.weights_file, "saved_weights", memo=("saved", cls), name=rule.weights_file)
    if not out.ok:
        return None, (f"could not read {rule.weights_file} ({out.error}): run the "
                      "hyperparameter search cell, which saves it with save_best_model")
    value = out.value if isinstance(out.value, Mapping) else {}
    try:
        hyper = {"learning_rate": float(value["learning_rate"]), "reg": float(value["reg"]),
                 "num_iters": int(value["num_iters"]), "batch_size": int(value["batch_size"])}
    except (KeyError, TypeError, ValueError) as exc:
        return None, (f"{rule.weights_file} lacks a usable hyperparameter ({exc}): save it "
                      "with save_best_model(..., learning_rate=, reg=, num_iters=, batch_size=)")
    if not all(math.isfinite(v) for v in hyper.values()) or hyper["learning_rate"] <= 0 \
            or hyper["reg"] < 0 or hyper["num_iters"] < 1 or hyper["batch_size"] < 1:
        return None, f"{rule.weights_file} holds unusable hyperparameters {hyper}"
    note = ""
    if hyper["num_iters"] > rule.max_num_iters or hyper["batch_size"] > rule.max_batch_size:
        note = (f" (capped at num_iters={rule.max_num_iters}, "
                f"batch_size={rule.max_batch_size})")
    hyper["num_iters"] = min(hyper["num_iters"], rule.max_num_iters)
    hyper["batch_size"] = min(hyper["batch_size"], rule.max_batch_size)
    return hyper, note


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


def _retrained(g: Grading, cls: str) -> tuple[dict[str, float] | None, str]:
    """Train `cls` with the saved hyperparameters on the CIFAR-10 training images, then
    score W here on the mirrored validation and test images: ({'val': ..., 'test': ...},
    how it was trained) or (None, why not). Once per classifier and grading run."""
    if cls not in g._retrainings:
        g._retrainings[cls] = _retrain(g, cls)
    return g._retrainings[cls]


def _retrain(g: Grading, cls: str) -> tuple[dict[str, float] | None, str]:
    """Where the student's loss and train passed every check, the trusted reference is
    trained with the student's hyperparameters (in the parent, shared by every student
    who chose them); otherwise the student's own code trains, in the sandbox, which
    returns W."""
    hyper, note = _hyperparameters(g, cls)
    if hyper is None:
        return None, note
    loss_fn = CLASS_LOSS[cls]
    settings = ", ".join(f"{k}={v:g}" for k, v in hyper.items())
    if g.reference_train is not None and g.verified(loss_fn, *g.api.trains_with):
        scaled = {**hyper, "reg": hyper["reg"] * g.rubric.reg_factor}
        return _scored(g, g.reference_train(cls, scaled)), (
            f"after training with {settings}{note} (your {loss_fn} and {g.api.train} passed every "
            f"check, so the grader trained its reference {cls} with your hyperparameters)")
    for subject in (loss_fn, g.api.train):
        earlier = g.failed_before(subject)
        if earlier:
            return None, (f"{cls} was not retrained on CIFAR-10, since {subject} already "
                          f"failed for good on a smaller input in an earlier check: {earlier}")
    out = g.call(f"{cls} on CIFAR-10", "cifar_train", memo=("cifar", cls), cls=cls,
                 seed=g.seed, timeout_s=_retrain_timeout(g, loss_fn, hyper), **hyper)
    if not out.ok:
        return None, f"training {cls} on CIFAR-10 failed: {out.error}"
    value = out.value if isinstance(out.value, Mapping) else {}
    X_val = g.data["X_val"]
    shape = (X_val.shape[1], int(g.data["y_val"].max()) + 1)
    problem = _weights_problem(value.get("W"), shape, f"{cls}.W after training")
    if problem:
        return None, problem
    return _scored(g, value["W"]), (f"after training with {settings}{note} (your own code, "
                                    "in the sandbox)")


def _scored(g: Grading, W: np.ndarray) -> dict[str, float]:
    return {split: accuracy_of(W, g.data[f"X_{split}"], g.data[f"y_{split}"])
            for split in ("val", "test")}


def _retrain_timeout(g: Grading, loss_fn: str, hyper: Mapping[str, float]) -> float:
    """Seconds the CIFAR-10 retraining may take: from the CPU time your loss took on the
    dev-set shape (500 rows), scaled to the batch size and iterations asked, times the
    rubric's factor, plus a start-up allowance; never more than [timeouts] cifar_train."""
    cap = g.rubric.timeout("cifar_train")
    dev = g.loss(loss_fn, g.cases(loss_fn)[-1])
    if not dev.ok or dev.cpu_seconds is None:
        return cap
    rule = g.rubric.budget
    per_iteration = dev.cpu_seconds * max(hyper["batch_size"], 100) / 500 \
        + rule.retrain_iteration_overhead_s
    return min(cap, rule.retrain_factor * hyper["num_iters"] * per_iteration
               + rule.retrain_startup_s)


def accuracy_check(cls: str, split: str, points: float) -> Check:
    """Train `cls` on CIFAR-10 with the saved hyperparameters; `split` accuracy >= threshold."""

    def evaluate(g: Grading) -> Verdict:
        rule = g.rubric.accuracy[cls]
        threshold = rule.val if split == "val" else rule.test
        accuracy, how = _retrained(g, cls)
        if accuracy is None:
            return failed(how)
        name = "validation" if split == "val" else "test"
        message = (f"{name} accuracy {accuracy[split]:.3f} (needs {threshold:g}) on the "
                   f"mirrored {name} images, {how}")
        return (passed if accuracy[split] >= threshold else failed)(message, accuracy[split])

    name = "validation" if split == "val" else "test"
    return Check(f"{cls}: CIFAR-10 {name} accuracy", cls, points, evaluate, needs=("data",),
                 of_correctness=False)


def saved_weights_check(cls: str, weights_file: str, points: float) -> Check:
    """The saved W, applied here to the mirrored validation images, reaches the threshold;
    it counts for at most what retraining the student's code reaches, plus an allowance."""

    def evaluate(g: Grading) -> Verdict:
        rule = g.rubric.accuracy[cls]
        out = g.call(weights_file, "saved_weights", memo=("saved", cls), name=weights_file)
        if not out.ok:
            return failed(f"could not read {weights_file} ({out.error}): run the "
                          "hyperparameter search cell, which saves it with save_best_model")
        value = out.value if isinstance(out.value, Mapping) else {}
        X_val, y_val = g.data["X_val"], g.data["y_val"]
        shape = (X_val.shape[1], int(y_val.max()) + 1)
        problem = _weights_problem(value.get("W"), shape, f"the W saved in {weights_file}")
        if problem:
            return failed(problem)
        accuracy = accuracy_of(value["W"], X_val, y_val)
        retrained, how = _retrained(g, cls)
        if retrained is None:
            return failed(f"validation accuracy {accuracy:.3f}, but it cannot be compared "
                          f"with what your code trains: {how}", accuracy)
        ceiling = retrained["val"] + rule.saved_allowance
        counted = min(accuracy, ceiling)
        message = (f"validation accuracy {accuracy:.3f} on the mirrored validation images "
                   f"(needs {rule.saved_val:g})")
        if accuracy > ceiling:
            message += (f", counted as {counted:.3f}: retraining your {cls} with the saved "
                        f"hyperparameters reaches {retrained['val']:.3f}, and a saved W "
                        f"counts for at most that + {rule.saved_allowance:g}; save the W "
                        "that your own training produces")
        return (passed if counted >= rule.saved_val else failed)(message, accuracy)

    return Check(f"{cls}: saved best weights ({weights_file}) validation accuracy", cls,
                 points, evaluate, needs=("data",), of_correctness=False)


# ---------------------------------------------------------------- the reference


def reference_cells() -> dict[str, str]:
    """The reference loss functions as definition cells for the timing session (the
    child's namespaces have np), each vectorized loss with the data term it calls."""
    helper = {"svm_loss_vectorized": reference.svm_data_term,
              "softmax_loss_vectorized": reference.softmax_data_term}
    return {name: "".join(inspect.getsource(f) + "\n\n" for f in (
                *([helper[name]] if name in helper else []), getattr(reference, name)))
            for name in LOSS_FUNCTIONS}


# The reference classifier the parent trains for a verified submission (see _retrain).
reference_train = reference.train


# ---------------------------------------------------------------- the list


def build_checks(seed: int, rubric: Rubric, no_weights: Iterable[str] = (),
                 api: Api = NUMPY) -> list[Check]:
    """Every hidden check, in the order they run (a function's ordinary case first);
    no saved-weights check for the classifiers in `no_weights`."""
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
    return checks + classifier_checks(rubric, api) + accuracy_checks(rubric, no_weights)


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


def accuracy_checks(rubric: Rubric, no_weights: Iterable[str] = ()) -> list[Check]:
    """The CIFAR-10 checks of each classifier (no saved-weights check for `no_weights`)."""
    checks = []
    for cls in CLASSIFIERS:
        points = rubric.points[cls]
        checks += [
            accuracy_check(cls, "val", points["val_accuracy"]),
            accuracy_check(cls, "test", points["test_accuracy"]),
        ]
        if cls not in no_weights:
            checks.append(saved_weights_check(cls, rubric.accuracy[cls].weights_file,
                                              points["saved_weights"]))
    return checks


def run_checks(session: Session, seed: int, rubric: Rubric,
               targets: Iterable[str] | None = None,
               data: Mapping[str, np.ndarray] | None = None,
               reference_session: Session | None = None,
               budget_s: float | None = None,
               reference_train: Callable[[str, Mapping[str, float]], np.ndarray] | None
               = None, no_weights: Iterable[str] = (),
               submission: object = None) -> list[CheckResult]:
    """Run the hidden checks of `targets` (default: all) against one submission's session.

    `budget_s`: wall-clock seconds for the whole run; each call into student code gets at
    most what is left, and the checks left when it is spent score 0, saying so.

    `data` holds what the parent keeps from the student (the evaluation images X_val and
    X_test, mirrored, and their labels y_val and y_test); without it the CIFAR-10 checks
    are left out, and without `reference_session` the speed-vs-reference
    checks are. Every comparison and score is computed here, in the caller's process.

    `reference_train(cls, hyperparameters) -> W` trains the trusted reference on the
    CIFAR-10 training split; the accuracy checks use it for a classifier whose loss and
    train passed every correctness check. Without it, the student's code is retrained.
    `no_weights`: classifiers whose weights file the submission's layout does not have.
    `submission`: the parsed submission (intake's), whose rule findings checks may read.
    """
    return run(build_checks(seed, rubric, no_weights), TARGETS, session, seed, rubric,
               targets=targets, data=data, reference_session=reference_session,
               budget_s=budget_s, reference_train=reference_train, no_weights=no_weights,
               findings=getattr(submission, "findings", None) or {})


def run(checks: list[Check], known: Iterable[str], session: Session, seed: int,
        rubric: Rubric, *, targets: Iterable[str] | None = None,
        data: Mapping[str, np.ndarray] | None = None,
        reference_session: Session | None = None, budget_s: float | None = None,
        reference_train: Callable[[str, Mapping[str, float]], np.ndarray] | None = None,
        no_weights: Iterable[str] = (), api: Api = NUMPY,
        findings: Mapping[str, Mapping[str, list[str]]] | None = None) -> list[CheckResult]:
    """Run `checks` (an edition's list, every target among `known`) as `run_checks` says."""
    grading = Grading(session, seed, rubric, data, reference_session,
                      reference_train=reference_train, no_weights=frozenset(no_weights),
                      findings=dict(findings or {}), api=api)
    return engine.run(checks, known, grading, targets=targets, budget_s=budget_s)
