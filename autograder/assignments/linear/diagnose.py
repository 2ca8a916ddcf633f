"""Recognise common bugs from the numbers and say them in the student's terms.

Each known bug is a variant of the true loss or gradient, computed here from the same
hidden input. A student's wrong answer that matches a variant (or a combination of a
data-term bug and a regularization bug) gets that variant's message. These variants
only name bugs; whether an answer is right is decided against the oracle alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import product

import numpy as np

from autograder.assignments.linear.inputs import LossCase
from cs231n_data.gradient_check import rel_error  # CS231n's metric, shared with students

# How closely a wrong answer must match a variant to be named after it.
MATCH_TOLERANCE = 1e-6
# Below this speedup the "vectorized" version still loops like the naive one.
NO_FASTER_BELOW = 1.5

NOT_AVERAGED = "the data loss is not averaged over the N examples: divide the sum by num_train"
NOT_AVERAGED_GRAD = (
    "the gradient is not averaged over the N examples: divide the data part of dW by num_train"
)
OVERFLOW = (
    "overflow: scores here reach about 1e3 and np.exp(710) is already inf in float64; "
    "subtract each row's maximum score before np.exp (it does not change the softmax)"
)
NO_FASTER = (
    "your vectorized version is no faster than your naive one: remove the loops over "
    "examples (all scores at once with X.dot(W), margins or probabilities as an (N, C) array)"
)

Variant = tuple[tuple[str, ...], object]


def _onehot(y: np.ndarray, C: int) -> np.ndarray:
    out = np.zeros((y.shape[0], C))
    out[np.arange(y.shape[0]), y] = 1.0
    return out


def _svm_data_variants(case: LossCase) -> tuple[list[Variant], list[Variant]]:
    W, X, y = case.W, case.X, case.y
    N, C = X.shape[0], W.shape[1]
    rows = np.arange(N)
    scores = X @ W
    margins = scores - scores[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    active = (margins > 0).astype(np.float64)
    counts = active.sum(axis=1)
    onehot = _onehot(y, C)
    loss = np.maximum(margins, 0.0).sum() / N

    def grad(correct_coeff: np.ndarray) -> np.ndarray:
        return X.T @ (active + onehot * correct_coeff[:, None]) / N

    losses: list[Variant] = [
        ((), loss),
        (("the loss is too high by exactly 1 per example: skip the correct class "
          "(j == y[i]), whose margin is always 1",), loss + 1.0),
    ]
    grads: list[Variant] = [
        ((), grad(-counts)),
        (("the gradient is wrong in the column of the correct class: for every class "
          "whose margin is positive, subtract X[i] from dW[:, y[i]]",), grad(counts)),
        (("the gradient is missing the column of the correct class: for every class "
          "whose margin is positive, also subtract X[i] from dW[:, y[i]]",), grad(0 * counts)),
        (("the correct class is counted as a violated margin in the gradient: set its "
          "margin to 0 (margins[np.arange(N), y] = 0) before using margins > 0",),
         grad(-counts - 1.0)),
    ]
    return losses, grads


def _softmax_data_variants(case: LossCase) -> tuple[list[Variant], list[Variant]]:
    W, X, y = case.W, case.X, case.y
    N, C = X.shape[0], W.shape[1]
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    probs = np.exp(log_probs)
    onehot = _onehot(y, C)
    loss = -log_probs[np.arange(N), y].mean()
    losses: list[Variant] = [
        ((), loss),
        (("the loss has the wrong sign: it is -log of the correct class's probability",), -loss),
    ]
    grads: list[Variant] = [
        ((), X.T @ (probs - onehot) / N),
        (("the gradient is wrong in the column of the correct class: subtract 1 from the "
          "correct class's probability (dscores[i, y[i]] -= 1)",), X.T @ probs / N),
        (("the gradient is wrong in the column of the correct class: subtract 1 from the "
          "correct class's probability, do not add it",), X.T @ (probs + onehot) / N),
        (("the gradient has the wrong sign: dW = X.T.dot(probs - onehot) / N",),
         -X.T @ (probs - onehot) / N),
    ]
    return losses, grads


def _with_averaging(variants: list[Variant], N: int, message: str) -> list[Variant]:
    if N == 1:
        return variants
    return variants + [((message, *msgs), N * value) for msgs, value in variants]


def _reg_loss_variants(case: LossCase) -> list[Variant]:
    R = case.reg * float(np.sum(case.W * case.W))
    return [
        ((), R),
        (("the regularization loss is missing: add reg * np.sum(W * W)",), 0.0),
        (("the regularization loss is reg * np.sum(W * W), without a factor 0.5",), 0.5 * R),
        (("the regularization loss is reg * np.sum(W * W), without a factor 2 "
          "(the 2 belongs in the gradient)",), 2.0 * R),
        (("the regularization loss is not divided by N: add reg * np.sum(W * W) "
          "after averaging",), R / case.X.shape[0]),
    ]


def _reg_grad_variants(case: LossCase) -> list[Variant]:
    G = 2.0 * case.reg * case.W
    return [
        ((), G),
        (("the regularization gradient is missing the factor 2: the derivative of "
          "reg * np.sum(W * W) is 2 * reg * W",), 0.5 * G),
        (("the regularization gradient is missing: add 2 * reg * W to dW",), 0.0 * G),
        (("the regularization gradient is not divided by N: add 2 * reg * W "
          "after averaging",), G / case.X.shape[0]),
    ]


def _data_variants(kind: str, case: LossCase) -> tuple[list[Variant], list[Variant]]:
    losses, grads = (_svm_data_variants if kind == "svm" else _softmax_data_variants)(case)
    N = case.X.shape[0]
    return (_with_averaging(losses, N, NOT_AVERAGED),
            _with_averaging(grads, N, NOT_AVERAGED_GRAD))


def _combinations(data: list[Variant], reg: list[Variant]) -> Iterator[Variant]:
    # Fewest bugs first, so the simplest explanation wins.
    combos = [(d_msgs + r_msgs, d_val + r_val) for (d_msgs, d_val), (r_msgs, r_val)
              in product(data, reg)]
    yield from sorted(combos, key=lambda combo: len(combo[0]))


def _explain(student: object, variants: Iterator[Variant]) -> str | None:
    for messages, value in variants:
        if messages and rel_error(student, value) <= MATCH_TOLERANCE:
            return "; ".join(dict.fromkeys(messages))
    return None


def loss_hint(fn: str, case: LossCase, student_loss: float) -> str | None:
    """Name the bug behind a wrong loss value, or None when it matches no known bug."""
    data, _ = _data_variants(fn.split("_", 1)[0], case)
    return _explain(student_loss, _combinations(data, _reg_loss_variants(case)))


def gradient_hint(fn: str, case: LossCase, student_dW: np.ndarray) -> str | None:
    """Name the bug behind a wrong gradient, or None when it matches no known bug."""
    _, data = _data_variants(fn.split("_", 1)[0], case)
    return _explain(student_dW, _combinations(data, _reg_grad_variants(case)))


def shape_hint(got: tuple[int, ...], W_shape: tuple[int, ...]) -> str:
    """What is wrong with the shape of a returned dW."""
    if tuple(got) == tuple(reversed(W_shape)):
        return (f"dW has shape {tuple(got)}, the transpose of W's shape {tuple(W_shape)}: "
                "dW must have the same shape as W, (D, C)")
    return f"dW has shape {tuple(got)} but must have W's shape (D, C) = {tuple(W_shape)}"


def nonfinite_hint(fn: str, large_scores: bool) -> str:
    """What to do about a nan or inf in the loss or gradient."""
    if fn.startswith("softmax"):
        if large_scores:
            return OVERFLOW
        return ("nan or inf: subtract each row's maximum score before np.exp, and take "
                "the log of the correct class's probability only")
    return "nan or inf: check for divisions by zero and uninitialised arrays (np.empty)"


def speed_hint(speedup: float) -> str | None:
    """Say so when a vectorized version is no faster than the naive one."""
    return NO_FASTER if speedup < NO_FASTER_BELOW else None

