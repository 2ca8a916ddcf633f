"""A Session over the names of a namespace, for the NumPy edition's check tests: the
checks run on a solution's (or a mutant's) functions in this process, without a sandbox,
so a test can also wrap or replace what a call returns. (nbgrader's in-kernel mode uses
autograder.inkernel.OperationsSession, which serves the edition's own child.py.)
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from autograder.assignments.linear.checks import CLASS_LOSS
from autograder.outcome import Outcome
from autograder.threads import one_blas_thread


class InProcessSession:
    """The Session protocol over the functions and classes of a namespace (e.g. globals()).

    Inputs are copied before each call, so student code never touches the caller's arrays;
    the copies are compared afterwards for the mutation check. Loss calls run with one
    BLAS thread and report the calling thread's CPU time (time.thread_time): the process's
    CPU time would also count BLAS worker threads still spinning after earlier work.
    """

    def __init__(self, namespace: Mapping[str, object], folder: str | Path = ".") -> None:
        self.namespace = namespace
        self.folder = Path(folder)

    def call(self, op: str, *, timeout_s: float | None = None, **kwargs: object) -> Outcome:
        # No timeout in-kernel: the student's own kernel runs the code (the weaker mode).
        handler: Callable[..., Outcome] | None = getattr(self, f"_op_{op}", None)
        if handler is None:
            return Outcome(ok=False, error=f"{op}: not available in-kernel")
        try:
            return handler(**kwargs)
        except Exception as exc:  # student code may raise anything: report it as data
            return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")

    def _lookup(self, name: str) -> object:
        if name not in self.namespace:
            raise NameError(f"name '{name}' is not defined (run its cell first)")
        return self.namespace[name]

    def _classifier(self, cls: str) -> type:
        # Built like the sandbox builds it: the student's LinearClassifier plus the given
        # subclass, whose loss calls the student's vectorized loss.
        base = self._lookup("LinearClassifier")
        loss_name = CLASS_LOSS[cls]
        namespace = self.namespace

        def loss(self, X_batch, y_batch, reg):
            return namespace[loss_name](self.W, X_batch, y_batch, reg)

        return type(cls, (base,), {"loss": loss})

    def _op_loss(self, fn: str, W: np.ndarray, X: np.ndarray, y: np.ndarray,
                 reg: float) -> Outcome:
        sent = {"W": W, "X": X, "y": y}
        W, X, y = W.copy(), X.copy(), y.copy()
        function = self._lookup(fn)
        with one_blas_thread():
            start = time.thread_time()
            result = function(W, X, y, reg)
            seconds = time.thread_time() - start
        if not isinstance(result, tuple | list) or len(result) != 2:
            return Outcome(ok=False, error=f"returned a {type(result).__name__}, "
                                           "not the tuple (loss, dW)")
        loss, dW = result
        try:
            loss = float(loss)
        except (TypeError, ValueError):
            return Outcome(ok=False, error=f"returned a loss of type {type(loss).__name__}, "
                                           "not a float")
        mutated = [k for k, v in (("W", W), ("X", X), ("y", y)) if not np.array_equal(v, sent[k])]
        value = {"loss": loss, "dW": None if dW is None else np.array(dW), "mutated": mutated}
        return Outcome(ok=True, value=value, cpu_seconds=seconds)

    def _op_train(self, cls: str, X: np.ndarray, y: np.ndarray, learning_rate: float,
                  reg: float, num_iters: int, batch_size: int, seed: int,
                  W0: np.ndarray | None) -> Outcome:
        classifier = self._classifier(cls)()
        if W0 is not None:
            classifier.W = W0.copy()
        np.random.seed(seed)
        start = time.thread_time()
        history = classifier.train(X.copy(), y.copy(), learning_rate=learning_rate, reg=reg,
                                   num_iters=num_iters, batch_size=batch_size, verbose=False)
        seconds = time.thread_time() - start
        if history is None:
            return Outcome(ok=False, error="returned None instead of the loss history")
        W = None if classifier.W is None else np.array(classifier.W)
        value = {"loss_history": np.asarray(history, dtype=np.float64), "W": W}
        return Outcome(ok=True, value=value, cpu_seconds=seconds)

    def _op_predict(self, cls: str, W: np.ndarray, X: np.ndarray) -> Outcome:
        classifier = self._classifier(cls)()
        classifier.W = W.copy()
        y_pred = classifier.predict(X.copy())
        return Outcome(ok=True, value={"y_pred": None if y_pred is None else np.array(y_pred)})

    def _op_saved_weights(self, name: str) -> Outcome:
        with np.load(self.folder / name, allow_pickle=False) as saved:
            value = {"W": np.array(saved["W"])}
            for key, kind in (("learning_rate", float), ("reg", float), ("num_iters", int),
                              ("batch_size", int)):
                value[key] = kind(saved[key])
        return Outcome(ok=True, value=value)

