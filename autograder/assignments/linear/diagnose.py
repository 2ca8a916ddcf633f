"""Recognise common bugs from the numbers and say them in the student's terms.

Each known bug is a variant of the true loss or gradient, computed here from the same
hidden input. A student's wrong answer that matches a variant (or a combination of a
data-term bug and a regularization bug) gets that variant's message, which names every
regularization term in the course's convention (the rubric's [loss] regularization). These
variants only name bugs; whether an answer is right is decided against the oracle alone.
"""

from __future__ import annotations

import re
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
UNDERFLOW = (
    "underflow: one maximum subtracted over the whole score matrix (np.max(scores)) leaves "
    "the rows whose scores lie far below it (about 2e3 here) with np.exp(...) = 0 in every "
    "class, hence log(0) or 0/0; subtract each row's own maximum: scores - np.max(scores, "
    "axis=1, keepdims=True)"
)
CLAMP = (
    "a clamp or epsilon inside the log ({spelled}) changes the loss by {change:.3g} on these "
    "inputs, where the correct class's probability is as small as {smallest:.1e}: compute "
    "the log-probabilities stably instead (each row's scores minus its maximum, minus the "
    "log of the sum of their exp) and drop the epsilon"
)
# The epsilons seen inside the log: np.clip(p, eps, 1), np.maximum(p, eps), p + eps.
EPSILONS = tuple(10.0 ** -k for k in range(4, 21))
GRADIENT_EPSILON = (
    "an epsilon in the probabilities the gradient uses ({spelled}) moves dW off the exact "
    "gradient (relative error {error:.1e} on these inputs): once each row's maximum score "
    "is subtracted, the sum of exp is at least 1 and no probability needs guarding; drop it"
)
# The hints whose fields hold numbers measured on a submission's own inputs: left out of
# the diagnosis (checks.named), so that the class report counts every student with the bug.
MEASURED = (CLAMP, GRADIENT_EPSILON)
# How each regularization convention is known to students (tables.REGULARIZATION's factors).
CONVENTION_ORIGIN = {1.0: "today's CS231n starter", 0.5: "the older CS231n starter"}
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
    correct = log_probs[np.arange(N), y]
    loss = -correct.mean()
    losses: list[Variant] = [
        ((), loss),
        (("the loss has the wrong sign: it is -log of the correct class's probability",), -loss),
        *_clamp_variants(np.exp(correct), loss),
    ]
    grads: list[Variant] = [
        ((), X.T @ (probs - onehot) / N),
        *_epsilon_gradient_variants(X, scores, probs, onehot),
        (("the gradient is wrong in the column of the correct class: subtract 1 from the "
          "correct class's probability (dscores[i, y[i]] -= 1)",), X.T @ probs / N),
        (("the gradient is wrong in the column of the correct class: subtract 1 from the "
          "correct class's probability, do not add it",), X.T @ (probs + onehot) / N),
        (("the gradient has the wrong sign: dW = X.T.dot(probs - onehot) / N",),
         -X.T @ (probs - onehot) / N),
    ]
    return losses, grads


def _clamp_variants(p_correct: np.ndarray, loss: float) -> list[Variant]:
    """The softmax loss with an epsilon inside the log, where it changes the loss here
    (only tiny probabilities, as on the large-scores input, show it)."""
    variants: list[Variant] = []
    for eps in EPSILONS:
        for spelled, value in ((f"np.clip(p, {eps:g}, 1)", -np.log(np.maximum(p_correct, eps))),
                               (f"p + {eps:g}", -np.log(p_correct + eps))):
            clamped = float(value.mean())
            if rel_error(clamped, loss) > MATCH_TOLERANCE:
                variants.append(((CLAMP.format(spelled=spelled, change=clamped - loss,
                                               smallest=float(p_correct.min())),), clamped))
    return variants


def _epsilon_gradient_variants(X: np.ndarray, scores: np.ndarray, probs: np.ndarray,
                               onehot: np.ndarray) -> list[Variant]:
    """The softmax gradient from probabilities with an epsilon in them, where it moves dW
    here: exp / (sum + eps) (scores shifted by each row's maximum or not), p + eps,
    np.clip(p, eps, 1)."""
    N = X.shape[0]
    exact = X.T @ (probs - onehot) / N
    shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
    with np.errstate(over="ignore", invalid="ignore"):
        raw = np.exp(scores)
    variants: list[Variant] = []
    sums = {"exp": (shifted, shifted.sum(1, keepdims=True))}
    if np.all(np.isfinite(raw)):
        sums["exp(scores)"] = (raw, raw.sum(1, keepdims=True))
    for eps in EPSILONS:
        forms = [(f"p + {eps:g}", probs + eps), (f"np.clip(p, {eps:g}, 1)", np.maximum(probs, eps)),
                 *((f"{name} / (sum + {eps:g})", e / (total + eps))
                   for name, (e, total) in sums.items())]
        for spelled, p in forms:
            dW = X.T @ (p - onehot) / N
            error = rel_error(dW, exact)
            if error > MATCH_TOLERANCE:
                variants.append(((GRADIENT_EPSILON.format(spelled=spelled, error=error),), dW))
    return variants


def _with_averaging(variants: list[Variant], N: int, message: str) -> list[Variant]:
    if N == 1:
        return variants
    return variants + [((message, *msgs), N * value) for msgs, value in variants]


def loss_term(coefficient: float) -> str:
    """The regularization loss `coefficient` * reg * sum(W**2), as code."""
    return ("" if coefficient == 1 else f"{coefficient:g} * ") + "reg * np.sum(W * W)"


def grad_term(coefficient: float) -> str:
    """The regularization gradient `coefficient` * reg * W, as code."""
    return ("" if coefficient == 1 else f"{coefficient:g} * ") + "reg * W"


# The coefficients of reg a student's regularization term is seen to carry.
_COEFFICIENTS = (0.5, 1.0, 2.0)


def _reg_loss_variants(case: LossCase, factor: float) -> list[Variant]:
    """Regularization losses, each named in the course's convention `factor` * reg *
    sum(W**2) (the rubric's [loss] regularization)."""
    W, reg, ours = case.W, case.reg, loss_term(factor)
    squares = float(np.sum(W * W))
    variants: list[Variant] = [
        ((), factor * reg * squares),
        ((f"the regularization loss is missing: add {ours}",), 0.0),
        ((f"the regularization loss is not divided by N: add {ours} after averaging",),
         factor * reg * squares / case.X.shape[0]),
    ]
    for k in _COEFFICIENTS:
        if k != factor:
            tip = " (the 2 belongs in the gradient)" if k == 2 * factor else ""
            variants.append(((f"the regularization loss is {ours}, not {loss_term(k)}{tip}",),
                             k * reg * squares))
    for k in dict.fromkeys((factor, *_COEFFICIENTS)):
        variants.append(((f"the regularization loss is missing reg: it is {ours}, not "
                          f"{loss_term(k).replace('reg * ', '')}",), k * squares))
    for spelled, gram in (("W.dot(W.T)", W @ W.T), ("W.T.dot(W)", W.T @ W)):
        variants.append(((f"the regularization loss sums {spelled}, which adds products of "
                          f"different weights: use {ours} (the squares of the weights)",),
                         factor * reg * float(np.sum(gram))))
    return variants


def _reg_grad_variants(case: LossCase, factor: float) -> list[Variant]:
    """Regularization gradients, each named in the course's convention (see above)."""
    W, reg, ours = case.W, case.reg, grad_term(2 * factor)
    derivative = f"the derivative of {loss_term(factor)} is {ours}"
    variants: list[Variant] = [
        ((), 2 * factor * reg * W),
        ((f"the regularization gradient is missing: add {ours} to dW",), 0.0 * W),
        ((f"the regularization gradient is not divided by N: add {ours} after averaging",),
         2 * factor * reg * W / case.X.shape[0]),
    ]
    for j in _COEFFICIENTS:
        if j == factor:
            variants.append(((f"the regularization gradient is missing the factor 2: "
                              f"{derivative}",), j * reg * W))
        elif j != 2 * factor:
            variants.append(((f"the regularization gradient is {grad_term(j)}, but "
                              f"{derivative}",), j * reg * W))
    for j in dict.fromkeys((2 * factor, *_COEFFICIENTS)):
        variants.append(((f"the regularization gradient is missing reg: {derivative}, not "
                          f"{grad_term(j).replace('reg * ', '')}",), j * W))
    return variants


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


def loss_hint(fn: str, case: LossCase, student_loss: float, factor: float = 1.0
              ) -> str | None:
    """Name the bug behind a wrong loss value, or None when it matches no known bug.
    `case` as the student's code got it; `factor`: the course's regularization term is
    `factor` * reg * sum(W**2), and every hint that names a term says it that way."""
    data, _ = _data_variants(fn.split("_", 1)[0], case)
    return _explain(student_loss, _combinations(data, _reg_loss_variants(case, factor)))


def gradient_hint(fn: str, case: LossCase, student_dW: np.ndarray, factor: float = 1.0
                  ) -> str | None:
    """Name the bug behind a wrong gradient, or None when it matches no known bug (see
    loss_hint)."""
    _, data = _data_variants(fn.split("_", 1)[0], case)
    return _explain(student_dW, _combinations(data, _reg_grad_variants(case, factor)))


def convention_hint(theirs: float, ours: float) -> str:
    """For code right throughout under another regularization convention: `theirs` *
    reg * sum(W**2), where the course's rubric uses `ours` * reg * sum(W**2)."""
    name = {f: ("" if f == 1 else f"{f:g} * ") + "reg * sum(W**2)" for f in (theirs, ours)}
    return (f"your code uses {name[theirs]} ({CONVENTION_ORIGIN[theirs]}), in the loss and "
            f"the gradient alike; this course's rubric uses {name[ours]}: add "
            f"{loss_term(ours)} to the loss and {grad_term(2 * ours)} to dW")


# How the child's library words a loss that is an array (autograder/sandbox/oplib.py).
_ARRAY_LOSS = re.compile(r"the loss from \w+ is an array of shape \((\d+), (\d+)\)")


def loss_shape_hint(error: str | None, W_shape: tuple[int, ...], factor: float = 1.0) -> str:
    """For a loss returned as a (D, D) or (C, C) array: the regularization term written as
    a matrix product; else ''."""
    match = _ARRAY_LOSS.search(error or "")
    if not match:
        return ""
    shape = (int(match.group(1)), int(match.group(2)))
    D, C = W_shape
    spelled = {(D, D): "W.dot(W.T)", (C, C): "W.T.dot(W)"}.get(shape)
    if spelled is None:
        return ""
    return (f": a loss of shape {shape} is what reg * {spelled} gives; the regularization "
            f"loss is a single number, {loss_term(factor)}")


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

