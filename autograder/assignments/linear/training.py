"""LinearClassifier's checks: train's losses, sampling, steps and initial W, and predict,
each through every classifier that can train (`_trainable`), on small hidden problems."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from autograder.assignments.linear import inputs
from autograder.assignments.linear.grading import (
    CLASS_LOSS,
    CLASSIFIERS,
    HISTORY_CHECK,
    NUMPY,
    SAMPLING_CHECK,
    STEP_CHECK,
    Api,
    Grading,
    loss_value,
    wrong_answer,
)
from autograder.assignments.linear.inputs import LossCase
from autograder.assignments.linear.losses import large_scores_name
from autograder.checks import Check, Verdict, failed, named, passed
from autograder.outcome import Outcome
from cs231n_data.gradient_check import rel_error


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
# The iterations of the steps check (`_steps_problem`).
STEPS = 3
# Where a problem showed, as `_judged` appends it: "(Softmax, N=200 D=3073 C=10)".
WHERE = re.compile(r" \((?:Softmax|LinearSVM)?(?:, )?(?:N=\d+ D=\d+ C=\d+)?\)$")
UNPAIRED_LABELS = ("loss_history[{k}] is {got:.6g}, but any minibatch of rows with their own "
                   "labels has loss {expected:.6g} there: sample the labels with the same "
                   "indices as the rows, X_batch = X[idx] and y_batch = y[idx]")
STALE_LOSS = ("loss_history[{k}] is {got:.6g}, but your {fn} gives {expected:.6g} for that "
              "iteration's minibatch and W: append the loss computed in each iteration")
# The opening words of the bugs train's and predict's checks name: a failure that starts
# with one is a diagnosis for the class report (any other, a crash say, names none).
NAMED = ("train did not change W", "train moved W up the gradient", f"after {STEPS} iterations W",
         "with learning_rate=0 every iteration", "loss_history[", "predict returned the",
         "train returned no loss history", "train's loss history contains",
         "W has shape", "W must hold finite floats")


def _failed(problem: str) -> Verdict:
    """A failure of train's or predict's checks, with its diagnosis when it names a bug:
    the problem without where it showed and the numbers of this submission's inputs."""
    bare = WHERE.sub("", problem)
    return failed(problem, diagnosis=named(bare, [UNPAIRED_LABELS, STALE_LOSS])
                  if bare.startswith(NAMED) else None)


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
        return None, NONFINITE_HISTORY
    return history, None


NONFINITE_HISTORY = "train's loss history contains nan or inf"


def _nonfinite_from_the_loss(g: Grading, classes: Sequence[str]) -> bool:
    """Whether train's history failed only by reaching nan or inf through a classifier
    whose loss fails its own large-scores check, while LinearSVM's is right: the loss's
    instability (its check names it), not train's (one bug, one check)."""
    if g._training.get((HISTORY_CHECK, "LinearSVM"), "") is not None:
        return False
    failing = [cls for cls in classes if g._training.get((HISTORY_CHECK, cls))]
    return bool(failing) and all(
        g._training[HISTORY_CHECK, cls].startswith(NONFINITE_HISTORY)
        and g._passed.get(large_scores_name(CLASS_LOSS[cls])) is False for cls in failing)


def _returned_W(out: Outcome) -> np.ndarray | None:
    value = out.value if isinstance(out.value, Mapping) else {}
    W = value.get("W")
    return None if W is None else np.asarray(W)


def train_history_check(api: Api = NUMPY) -> Check:
    """train(num_iters=7) returns 7 finite losses, in each classifier, on 40 rows and on
    the larger shapes (a CIFAR-10 row width, a CIFAR-10 number of rows)."""

    def judge(g: Grading, cls: str, shape: Shape | None) -> str | None:
        problem = inputs.train_problem(g.seed, *(() if shape is None else (shape,)))
        out, why = _train(g, problem, "history", cls, learning_rate=1e-3, reg=0.0,
                          num_iters=7, batch_size=10)
        return why or _history(out, 7)[1]

    def evaluate(g: Grading) -> Verdict:
        classes = _trainable(g)
        problem = _judged(g, HISTORY_CHECK, lambda cls, shape: judge(g, cls, shape), classes)
        if problem and _nonfinite_from_the_loss(g, classes):
            return passed("7 losses for num_iters=7, on every problem size, through "
                          "LinearSVM; through Softmax they reach nan or inf, as its loss "
                          "does on large scores (that check names it)")
        return _failed(problem) if problem else passed(
            "7 losses for num_iters=7, on every problem size")

    return Check(f"{api.train_target}: {HISTORY_CHECK}",
                 api.train_target, "train_returns_one_loss_per_iteration", evaluate)


def _loss_is_wrong(g: Grading, cls: str) -> str | None:
    """Why train's losses through `cls` cannot be judged (its loss answers, wrongly), or
    None (a loss that fails to answer is train's own checks' "could not test train")."""
    loss_fn = CLASS_LOSS[cls]
    case = g.cases(loss_fn)[0]
    out = g.loss(loss_fn, case)
    if out.ok and wrong_answer(g, loss_fn, case, out):
        return (f"could not test how train samples: its losses come from your {loss_fn}, "
                "which returns wrong losses (see its checks): fix it, then this check can "
                "tell whether train draws a new minibatch of rows with their labels")
    return None


def _new_batches_problem(g: Grading, cls: str, api: Api) -> str | None:
    """With learning_rate=0 on 40 distinct rows and batch_size=10, the losses differ: train
    draws a new minibatch each iteration (with or without replacement alike)."""
    out, why = _train(g, inputs.train_problem(g.seed), "sampling", cls, learning_rate=0.0,
                      reg=0.0, num_iters=10, batch_size=10)
    history, why = (None, why) if why else _history(out, 10)
    if why:
        return why
    # Whether the losses differ is told only by a loss that answers right.
    wrong = _loss_is_wrong(g, cls)
    if wrong:
        return wrong
    if np.ptp(history) > 1e-12 * max(1.0, abs(float(history.mean()))):
        return None
    return ("with learning_rate=0 every iteration reported the same loss, so train uses the "
            f"same examples every time: draw a new minibatch each iteration with {api.sample}")


def _labels_problem(g: Grading, cls: str) -> str | None:
    """With learning_rate=0 on rows that W0 classifies with a wide margin (all rows of a
    class alike), every reported loss is your loss on rows with their own labels."""
    problem = inputs.labelled_problem(g.seed)
    batch_size = 10
    out, why = _train(g, problem, "labels", cls, learning_rate=0.0, reg=0.0, num_iters=10,
                      batch_size=batch_size)
    history, why = (None, why) if why else _history(out, 10)
    if why:
        return why
    W = _returned_W(out)
    if W is not None and W.shape == problem.W0.shape and not np.allclose(W, problem.W0):
        # At learning_rate 0 train must keep the W it was given; one that replaced it
        # computed its losses elsewhere: the step check names that bug, not this one.
        return None
    loss_fn = CLASS_LOSS[cls]
    # Every batch of rows with their own labels has this loss, whichever rows were drawn.
    paired = LossCase(f"rows with their labels {_shape(problem)}", problem.W0,
                      problem.X[:batch_size], problem.y[:batch_size], 0.0)
    expected, _, _ = loss_value(g.loss(loss_fn, paired))
    if expected is None:
        return f"could not test train: your {loss_fn} gave no usable loss"
    off = np.abs(history - expected) > 1e-3 * max(1.0, abs(expected))
    if not off.any():
        return None
    k = int(np.argmax(off))
    return UNPAIRED_LABELS.format(k=k, got=history[k], expected=expected)


def _sampling_problem(g: Grading, cls: str, api: Api) -> str | None:
    """What is wrong with train's sampling through `cls`, or None. Nothing larger than
    the data is asked: with or without replacement is the student's choice (CS231n's
    starter only says that replacement is faster), as long as each iteration draws a new
    minibatch of rows with their labels. Judged only through a loss that answers right:
    through a wrong one (a floor division, say) whether the losses differ would depend on
    the hidden inputs, and so on the grader's secret."""
    return _new_batches_problem(g, cls, api) or _labels_problem(g, cls)


def train_sampling_check(api: Api = NUMPY) -> Check:
    """With learning_rate=0, 40 distinct rows and batch_size=10, the minibatch losses
    differ; on rows whose labels W0 tells apart, every loss is that of rows with their own
    labels; in each classifier, leaving out one whose loss answers wrongly when another's
    answers right."""

    def evaluate(g: Grading) -> Verdict:
        classes = _trainable(g)
        right = [cls for cls in classes if not _loss_is_wrong(g, cls)]
        problem = _judged(g, SAMPLING_CHECK, lambda cls, _shape: _sampling_problem(g, cls, api),
                          right or classes[:1], shapes=(None,))
        for cls in classes:
            if right and cls not in right:
                # The sampling is train's own, seen through a loss that answers right; this
                # classifier's wrong loss is its own checks' failure.
                g._training[SAMPLING_CHECK, cls] = g._training[SAMPLING_CHECK, right[0]]
        return _failed(problem) if problem else passed(
            "a new minibatch of rows with their own labels every iteration")

    return Check(f"{api.train_target}: {SAMPLING_CHECK}", api.train_target,
                 "train_samples_minibatches", evaluate)


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
    _, dW, _ = loss_value(own) if own.ok else (None, None, None)
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
        loss, dW, _ = loss_value(own) if own.ok else (None, None, None)
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
        return STALE_LOSS.format(k=k, got=history[k], fn=loss_fn, expected=losses[k])
    return None


def train_step_check(api: Api = NUMPY) -> Check:
    """One iteration on copies of one row moves W by exactly -learning_rate * (your dW);
    STEPS iterations give what STEPS such steps give and report your loss at each; in
    each classifier, on 20 rows and on the larger shapes."""

    def judge(g: Grading, cls: str, shape: Shape | None) -> str | None:
        return _step_problem(g, cls, shape, api) or _steps_problem(g, cls, shape)

    def evaluate(g: Grading) -> Verdict:
        problem = _judged(g, STEP_CHECK, lambda cls, shape: judge(g, cls, shape),
                          _trainable(g))
        return _failed(problem) if problem else passed(
            "W moved by -learning_rate * grad in every iteration, each reporting its loss, "
            "on every problem size")

    return Check(f"{api.train_target}: {STEP_CHECK}",
                 api.train_target, "train_gradient_step", evaluate)


def train_init_check(api: Api = NUMPY) -> Check:
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

    return Check(f"{api.train_target}: W initialised when None", api.train_target,
                 "train_initialises_W", evaluate)


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


def predict_check(api: Api = NUMPY) -> Check:
    """predict(X) with a given W equals argmax(X @ W, axis=1), computed here, in each
    classifier, on 25 rows and on the larger shapes."""

    def evaluate(g: Grading) -> Verdict:
        problem = _judged(g, None, lambda cls, shape: _predict_problem(g, cls, shape, api),
                          CLASSIFIERS)
        return _failed(problem) if problem else passed(
            "all labels equal argmax(X.dot(W)), on every problem size")

    return Check(f"{api.predict_target}: predict returns argmax labels", api.predict_target,
                 "predict_argmax", evaluate)
