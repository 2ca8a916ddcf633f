"""The checks of train_svm and train_softmax: each trains on a small, well separated hidden
problem (inputs.py), and the parent judges the nn.Linear it returns from its weights
alone: its shape and device, its accuracy on its own training rows, the effect of the
penalty (lam, weight_decay) on ||W||, and the same weights for the same seed. `trained`
is the one call of a training function all its checks (steps.py's too) go through.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from autograder.assignments.soi1010 import diagnose, inputs
from autograder.assignments.soi1010.grading import Grading, bug, value_of
from autograder.checks import Check, Verdict, failed, named, passed

DEVICE = "cpu"


def _spec(name: str) -> tuple[Callable[[int], inputs.Problem], int, str, Callable]:
    """(the problem, the out_features expected, the penalty's name, the accuracy)."""
    if name == "train_svm":
        return (inputs.binary_problem, 1, "lam",
                lambda X, y, W, b: float(np.mean(np.sign(X @ W.T + b).reshape(-1) == y)))
    return (inputs.multiclass_problem, inputs.NUM_CLASSES, "weight_decay",
            lambda X, y, W, b: float(np.mean(np.argmax(X @ W.T + b, axis=1) == y)))


def trained(g: Grading, name: str, problem: inputs.Problem, strength: float, label: str,
            **settings: float) -> tuple[dict | None, Verdict | None]:
    """`name` ("train_svm" or "train_softmax") trained on `problem` with penalty
    `strength` and the problem's lr, batch_size, epochs and seed unless `settings` says
    otherwise (memoized by `label`): ({"W", "b" in float64, "on_device"}, None), or
    (None, why not, as the failure it makes)."""
    _, classes, penalty, _ = _spec(name)
    sgd = {"lr": problem.lr, "batch_size": problem.batch_size, "epochs": problem.epochs,
           "seed": problem.seed, **settings}
    out = g.op(name, name, label, X=problem.X, y=problem.y,
               **{"lam" if penalty == "lam" else "weight_decay": strength},
               **sgd, on_device_named=DEVICE)
    if not out.ok:
        return None, failed(g.failure(name, out.error))
    W, b = np.asarray(value_of(out, "W")), np.asarray(value_of(out, "b"))
    if W.shape != (classes, problem.X.shape[1]) or b.shape != (classes,):
        # The problem's D is the same for every submission: the text names no input.
        return None, bug(f"{name} returned a model with weight {W.shape} and bias "
                         f"{b.shape}: expected nn.Linear({problem.X.shape[1]}, "
                         f"{classes})")
    if not (np.all(np.isfinite(W)) and np.all(np.isfinite(b))):
        return None, failed(f"the model {name} returned has nan or inf weights")
    return {"W": W.astype(np.float64), "b": b.astype(np.float64),
            "on_device": value_of(out, "on_device")}, None


def training_checks(name: str, seed: int) -> list[Check]:
    """The four checks of `name` ("train_svm" or "train_softmax") on its separable
    problem (the exact SGD steps are steps.py's)."""
    problem_of, classes, penalty, accuracy = _spec(name)
    problem = problem_of(seed)

    def train(g: Grading, strength: float, label: str, run_seed: int | None = None
              ) -> tuple[dict | None, Verdict | None]:
        return trained(g, name, problem, strength, label,
                       **({} if run_seed is None else {"seed": run_seed}))

    def model(g: Grading) -> Verdict:
        got, why = train(g, 0.0, "no penalty")
        if got is None:
            return why
        if got["on_device"] != 1:
            return bug(f"{name}(..., device=\"cpu\") returned parameters on another "
                       "device: create the model and move it with .to(device)")
        return passed(f"an nn.Linear({problem.X.shape[1]}, {classes}) on the CPU")

    def learns(g: Grading) -> Verdict:
        got, why = train(g, 0.0, "no penalty")
        if got is None:
            return why
        acc = accuracy(problem.X.astype(np.float64), problem.y, got["W"], got["b"])
        threshold = g.own.train_accuracy
        message = (f"training accuracy {acc:.3f} on well separated data after "
                   f"{problem.epochs} epochs at lr {problem.lr:g}, batch size "
                   f"{problem.batch_size} (needs {threshold:g})")
        if acc < threshold:
            return failed(message + ": step the optimizer on every shuffled minibatch, "
                          "zero the gradients each step, and use the loss on the batch")
        return passed(message, acc)

    def regularized(g: Grading) -> Verdict:
        free, why = train(g, 0.0, "no penalty")
        strong, why_strong = train(g, 1.0, "strong penalty")
        if free is None or strong is None:
            return why or why_strong
        ratio = float(np.linalg.norm(strong["W"]) / max(np.linalg.norm(free["W"]), 1e-12))
        if ratio > g.own.shrink:
            message = diagnose.NOT_APPLIED.format(penalty=penalty, ratio=f"{ratio:.2f}",
                                                  shrink=f"{g.own.shrink:g}")
            return failed(message, diagnosis=named(message, diagnose.MEASURED))
        return passed(f"{penalty}=1 shrinks ||W|| to {ratio:.2f} of its size without it")

    def reproducible(g: Grading) -> Verdict:
        first, why = train(g, 0.0, "no penalty")
        again, why_again = train(g, 0.0, "no penalty, again", run_seed=problem.seed)
        if first is None or again is None:
            return why or why_again
        if not np.allclose(first["W"], again["W"], atol=1e-6):
            return bug("two calls with the same seed returned different weights: seed the "
                       "minibatch shuffling with `seed` (a torch.Generator)")
        return passed("the same seed gives the same weights")

    return [Check(f"{name}: returns nn.Linear on the requested device", name, "model", model),
            Check(f"{name}: learns separable data", name, "learns", learns),
            Check(f"{name}: {penalty} shrinks the weights", name, "regularized", regularized),
            Check(f"{name}: reproducible from the seed", name, "reproducible", reproducible)]
