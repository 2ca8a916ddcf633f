"""The exact SGD steps of train_svm and train_softmax: the grader trains the CIFAR-10
targets with the student's lr, batch_size and epochs, so these checks make sure each is
used as asked, on small hidden problems (inputs.step_problem, inputs.batch_problem)
whose answer the oracle computes exactly.

Each check trains twice with the same seed and settings, once at lr=0 (which leaves
nn.Linear's initialization W0, b0 as it is: the reproducible check demands that it be
the seed's) and once at lr > 0, and compares the move from W0 with the oracle's
(float64), order-free:

- one step: batch_size = N, one epoch: W0 - lr * (gradient of the course's loss at W0,
  with the penalty: lam in the hinge loss; SGD's weight_decay on the weight and bias, or
  on the weight alone);
- two epochs: the same, two such steps;
- batch size: one row repeated N times, batch_size N / 5, one epoch: every minibatch's
  mean gradient is the whole problem's, so it is five full-batch steps whatever the
  shuffling. What it cannot see: a step that uses the whole problem instead of its
  minibatch (the same gradient here); telling those apart needs the student's order.

Each check first needs the two trainings to run and the weights to move with lr (loss or
no loss). The steps are then judged only where the loss the training calls is the
course's on these rows (one call of it, compared with the oracle): a wrong loss is its
own checks' failure, and the accuracy targets stand on it anyway; its training is not
failed a second time.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.assignments.soi1010 import inputs, oracle
from autograder.assignments.soi1010.grading import Grading, bug, value_of
from autograder.assignments.soi1010.training import trained
from autograder.checks import Check, Verdict, failed, passed
from cs231n_data.gradient_check import rel_error

# Relative error of the move allowed against the oracle's (float32 weights of about 0.1
# moved by about 1e-2; the source solution is 1e-6 to 1e-5 off).
EXACT = 2e-3
PENALTY = 0.1
# The loss the training calls is taken for the course's when its value and gradients agree
# to this relative error (float32 included).
LOSS = 1e-4
# How many steps a wrong count is matched against (to name it).
MAX_STEPS = 30


def _move(got: dict, start: dict) -> np.ndarray:
    return np.concatenate([(got["W"] - start["W"]).ravel(), (got["b"] - start["b"]).ravel()])


def _error(move: np.ndarray, expected: np.ndarray) -> float:
    return float(np.linalg.norm(move - expected) / max(np.linalg.norm(expected), 1e-300))


def step_checks(name: str, seed: int) -> list[Check]:
    """The three step checks of `name` ("train_svm" or "train_softmax")."""
    classes = 1 if name == "train_svm" else inputs.NUM_CLASSES
    full, same = inputs.step_problem(seed, classes), inputs.batch_problem(seed, classes)
    penalty = "lam" if name == "train_svm" else "weight_decay"
    lr = full.lr

    def moved(g: Grading, problem: inputs.Problem, label: str, strength: float,
              epochs: int) -> tuple[tuple[dict, np.ndarray] | None, Verdict | None]:
        """(W0 and b0 (the model at lr=0), the move at lr), same seed and settings."""
        runs = []
        for rate in (0.0, lr):
            got, why = trained(g, name, problem, strength, f"{label}, lr={rate:g}",
                               lr=rate, batch_size=problem.batch_size, epochs=epochs)
            if got is None:
                return None, why
            runs.append(got)
        return (runs[0], _move(runs[1], runs[0])), None

    def oracle_error(move: np.ndarray, start: dict, problem: inputs.Problem, steps: int,
                     strength: float) -> float:
        """The move against the oracle's `steps` full-batch steps (SGD's weight decay on
        every parameter or on W alone: the smaller error)."""
        kinds = [{"lam": strength}] if penalty == "lam" else [
            {"weight_decay": strength}, {"weight_decay": strength, "decay_bias": False}]
        errors = []
        for kind in kinds:
            W, b = oracle.sgd_steps(start["W"], start["b"], problem.X, problem.y, lr, steps,
                                    **kind)
            errors.append(_error(move, _move({"W": W, "b": b}, start)))
        return min(errors)

    def loss_differs(g: Grading) -> str | None:
        """Why the steps cannot be judged against the course's loss: the loss the
        training calls gives another value or gradient on these rows (its own checks
        say so and cost its points; the accuracy targets stand on both)."""
        rng = np.random.default_rng([seed, 40 + classes])
        W = rng.uniform(-0.2, 0.2, (classes, full.X.shape[1]))
        scores = full.X.astype(np.float64) @ W.T + rng.uniform(-0.2, 0.2, classes)
        if penalty == "lam":
            subject, out = "hinge_loss", g.op("hinge_loss", "hinge_loss", "steps' rows",
                                              margin_scores=scores, y=full.y, w=W,
                                              lam=PENALTY)
            want = oracle.hinge(scores, full.y, W, PENALTY)
            fields = ("loss", "dscores", "dw")
        else:
            subject, out = "softmax_cross_entropy", g.op(
                "softmax_cross_entropy", "cross_entropy", "steps' rows", logits=scores,
                y=full.y)
            want = oracle.cross_entropy(scores, full.y)
            fields = ("loss", "dlogits")
        got = [value_of(out, f) for f in fields] if out.ok else [None] * len(fields)
        if all(a is not None and np.shape(a) == np.shape(b)
               and rel_error(np.asarray(a, dtype=np.float64), np.asarray(b)) <= LOSS
               for a, b in zip(got, want, strict=True)):
            return None
        return (f"not judged: the {subject} that {name} calls is not the course's loss "
                f"(see its checks), and the steps follow it")

    def lr_unused(move: np.ndarray) -> Verdict | None:
        if np.any(move):
            return None
        return bug(f"with lr=0 and with lr > 0 {name} returns the same weights: lr is not "
                   "used (pass it to the optimizer)")

    def not_judged(g: Grading, move: np.ndarray) -> Verdict | None:
        """Before any step is compared: a model that does not move with lr fails (it may
        sit where nothing moves it); a loss that is not the course's leaves the steps
        unjudged (its own checks fail it)."""
        unused = lr_unused(move)
        if unused is not None:
            return unused
        differs = loss_differs(g)
        return None if differs is None else passed(differs)

    def full_batch(epochs: int) -> Callable[[Grading], Verdict]:
        plural = "s" * (epochs > 1)

        def evaluate(g: Grading) -> Verdict:
            runs, why = moved(g, full, f"full batch, {epochs} epoch{plural}", PENALTY, epochs)
            if runs is None:
                return why
            start, move = runs
            unjudged = not_judged(g, move)
            if unjudged is not None:
                return unjudged
            error = oracle_error(move, start, full, epochs, PENALTY)
            if error <= EXACT:
                return passed(f"{epochs} full-batch epoch{plural} at lr {lr:g}: W0 - lr * "
                              f"gradient, {epochs} step{plural} (relative error {error:.1e})")
            if epochs > 1 and oracle_error(move, start, full, 1, PENALTY) <= EXACT:
                return bug(f"{epochs} epochs over one full batch take one SGD step: epochs "
                           "is not used (one pass over the shuffled data per epoch)")
            if oracle_error(move, start, full, epochs, 0.0) <= EXACT:
                return bug(f"the SGD step ignores {penalty}: {penalty} is not applied")
            return failed(f"after {epochs} epoch{plural} with batch_size = N the weights "
                          f"are not W0 - lr * (gradient of the loss, with {penalty}) taken "
                          f"{epochs} time{plural} (relative error {error:.1e}): one plain "
                          "SGD step per batch (no momentum), on the loss of the batch")
        return evaluate

    def batches(g: Grading) -> Verdict:
        runs, why = moved(g, same, "batch size", 0.0, 1)
        if runs is None:
            return why
        start, move = runs
        # First: a model that does not move with lr may sit where nothing moves it.
        unjudged = not_judged(g, move)
        if unjudged is not None:
            return unjudged
        n = same.X.shape[0]
        wanted = -(-n // same.batch_size)
        error = oracle_error(move, start, same, wanted, 0.0)
        if error <= EXACT:
            return passed(f"batch_size {same.batch_size} over {n} rows: {wanted} steps in "
                          f"one epoch (relative error {error:.1e})")
        taken = [k for k in range(1, MAX_STEPS + 1)
                 if oracle_error(move, start, same, k, 0.0) <= EXACT]
        if taken == [1]:
            return bug(f"{name} takes one step per epoch whatever batch_size: batch_size is "
                       "not used (batch_size rows per step)")
        count = f"{taken[0]} steps" if taken else "not a whole number of SGD steps"
        return failed(f"batch_size {same.batch_size} over {n} rows in one epoch takes "
                      f"{count}, expected {wanted} (one step per batch_size rows, the last "
                      "batch shorter)")

    return [Check(f"{name}: one full-batch step is W0 - lr * gradient", name, "one_step",
                  full_batch(1)),
            Check(f"{name}: two epochs take two steps", name, "two_epochs", full_batch(2)),
            Check(f"{name}: one step per batch_size rows", name, "batch_steps", batches)]
