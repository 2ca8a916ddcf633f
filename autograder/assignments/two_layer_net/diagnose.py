"""Recognise the two-layer network's common bugs from the numbers, in the student's terms.

Each known bug is a variant of the oracle's answer on the same hidden input (oracle.py's
values recombined: averaged once more, summed over the wrong axis, regularized without
CS231n's 0.5 or with the biases). A wrong answer that matches a variant gets its message.
The variants only name bugs; whether an answer is right is decided against the oracle.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from autograder.assignments.two_layer_net import oracle
from autograder.assignments.two_layer_net.inputs import LayerCase, NetCase
from cs231n_data.gradient_check import rel_error

# How closely a wrong answer must match a variant to be named after it.
MATCH_TOLERANCE = 1e-6

OVERFLOW = ("overflow: scores here reach about 1e3 and np.exp(710) is already inf in "
            "float64; subtract each row's maximum score before np.exp (the softmax does not "
            "change)")
MASK_AT_ZERO = "ReLU passes no gradient there, the mask is x > 0, not x >= 0"
AVERAGED_TWICE = ("softmax_loss already divides by N, so the layers' backward passes sum "
                  "over the batch and nothing divides again")


def first_match(answer: np.ndarray | float, variants: Iterable[tuple[object, str]]
                ) -> str | None:
    """The message of the first variant `answer` equals (same shape, relative error at
    most MATCH_TOLERANCE), or None."""
    answer = np.asarray(answer, dtype=np.float64)
    for value, message in variants:
        value = np.asarray(value, dtype=np.float64)
        if value.shape == answer.shape and rel_error(answer, value) <= MATCH_TOLERANCE:
            return message
    return None


# What numpy says when a product meets an input that was not flattened.
SHAPE_ERRORS = ("not aligned", "shapes", "matmul", "mismatch", "cannot reshape", "broadcast")


UNFLATTENED = ("{who} here has shape {shape}: affine_forward reshapes it to (N, D) with "
               "x.reshape(x.shape[0], -1) before the product (and affine_backward gives dx "
               "x's shape back)")
FLAT_DX = ("dx has shape {got}, the flattened input's: reshape it back to x's shape "
           "{shape} (dx.reshape(x.shape))")
# The hints whose fields hold a shape drawn from the submission's seed: left out of the
# diagnosis (checks.named), so that the class report counts every student with the bug.
MEASURED = (UNFLATTENED, FLAT_DX)


def unflattened_hint(x: np.ndarray, error: str | None, who: str = "the input") -> str | None:
    """Why a product raised on a multi-dimensional input: it was not flattened."""
    if x.ndim <= 2 or not any(word in (error or "") for word in SHAPE_ERRORS):
        return None
    return UNFLATTENED.format(who=who, shape=x.shape)


def affine_out_hint(case: LayerCase, out: np.ndarray) -> str | None:
    rows = case.x.reshape(case.x.shape[0], -1)
    return first_match(out, [
        (rows @ case.w, "out lacks the bias: out = x.reshape(N, -1) @ w + b"),
        (rows @ case.w + case.b.sum(), "b is added as a sum: add the vector b to every row"),
    ])


def affine_dx_hint(case: LayerCase, dx: np.ndarray) -> str | None:
    _, true_dx, _, _ = oracle.affine(case.x, case.w, case.b, case.dout)
    N = case.x.shape[0]
    if dx.shape != case.x.shape and dx.size == case.x.size \
            and rel_error(dx.reshape(case.x.shape), true_dx) <= MATCH_TOLERANCE:
        return FLAT_DX.format(got=dx.shape, shape=case.x.shape)
    return first_match(dx, [(true_dx / N, "dx is divided by N: " + AVERAGED_TWICE)])


def affine_dw_hint(case: LayerCase, dw: np.ndarray) -> str | None:
    _, _, true_dw, _ = oracle.affine(case.x, case.w, case.b, case.dout)
    return first_match(dw, [
        (true_dw / case.x.shape[0], "dw is divided by N: " + AVERAGED_TWICE),
        (true_dw.T, "dw is transposed: it has w's shape (D, M), x.reshape(N, -1).T @ dout"),
    ])


def affine_db_hint(case: LayerCase, db: np.ndarray) -> str | None:
    return first_match(db, [
        (case.dout.mean(axis=0), "db is averaged over the batch: sum dout over the N "
                                 "examples, db = dout.sum(axis=0) (" + AVERAGED_TWICE + ")"),
        (case.dout, "db is not summed over the batch: db = dout.sum(axis=0), shape (M,)"),
        (case.dout.sum(axis=1), "db is summed over the wrong axis: db = dout.sum(axis=0)"),
        (case.dout.sum(), "db is the sum of all of dout: sum over the batch only, "
                          "db = dout.sum(axis=0)"),
    ])


def relu_out_hint(case: LayerCase, out: np.ndarray) -> str | None:
    return first_match(out, [
        ((case.x > 0).astype(float), "out is the mask x > 0: multiply it by x, or use "
                                     "np.maximum(0, x)"),
        (np.minimum(case.x, 0), "out keeps the negative part: np.maximum(0, x)"),
    ])


def relu_dx_hint(case: LayerCase, dx: np.ndarray) -> str | None:
    x, dout = case.x, case.dout
    return first_match(dx, [
        (dout * (dout > 0), "the mask is taken from dout: the gradient passes where the "
                            "input x (the cache) is positive, dx = dout * (x > 0)"),
        (dout * (x >= 0), "the gradient passes where x == 0: ReLU's derivative at 0 is 0 "
                          "here, so the mask is x > 0, not x >= 0"),
        ((x > 0).astype(float), "dx is the mask alone: multiply it by dout, "
                                "dx = dout * (x > 0)"),
        (dout * np.maximum(x, 0), "dx is scaled by the input: the mask is 0 or 1, "
                                  "dx = dout * (x > 0)"),
        (dout, "the mask is missing: dx = dout * (x > 0)"),
    ])


def softmax_loss_hint(case: LayerCase, loss: float) -> str | None:
    true_loss, _ = oracle.softmax_loss(case.x, case.y)
    N = case.x.shape[0]
    return first_match(loss, [
        (true_loss * N, "the loss is not averaged over the N examples: divide the sum by N"),
        (true_loss / N, "the loss is averaged twice: divide the sum by N once"),
    ])


def softmax_dx_hint(case: LayerCase, dx: np.ndarray) -> str | None:
    _, true_dx = oracle.softmax_loss(case.x, case.y)
    N = case.x.shape[0]
    return first_match(dx, [
        (true_dx * N, "dx is not averaged over the N examples: divide it by N, as the loss"),
        (true_dx / N, "dx is averaged twice: divide by N once"),
        (-true_dx, "dx has the wrong sign: it is probs minus the one-hot labels"),
    ])


def _squares(params: Mapping[str, np.ndarray], *names: str) -> float:
    return float(sum(np.sum(np.asarray(params[k], dtype=np.float64) ** 2) for k in names))


def net_loss_hint(case: NetCase, loss: float) -> str | None:
    data, _ = oracle.two_layer_loss(case.params, case.X, case.y, 0.0)
    weights = _squares(case.params, "W1", "W2")
    biases = _squares(case.params, "b1", "b2")
    N, reg = case.X.shape[0], case.reg
    variants = [(data / N + 0.5 * reg * weights, "the data loss is averaged twice: "
                 "softmax_loss already divides by N")]
    if reg > 0:
        variants += [
            (data + reg * weights, "the regularization lacks CS231n's 0.5: loss += 0.5 * "
                                   "self.reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))"),
            (data + 0.5 * reg * (weights + biases), "the regularization includes the "
                                                    "biases: regularize W1 and W2 only"),
            (data + reg * (weights + biases), "the regularization includes the biases and "
                                              "lacks the 0.5: 0.5 * self.reg * (np.sum(W1 ** "
                                              "2) + np.sum(W2 ** 2))"),
            (data, "the regularization term is missing: add 0.5 * self.reg * (np.sum(W1 ** "
                   "2) + np.sum(W2 ** 2))"),
            (data + 0.5 * reg * _squares(case.params, "W1"), "only W1 is regularized: W2 "
                                                             "too"),
        ]
    return first_match(loss, variants)


def net_gradient_hint(case: NetCase, name: str, grad: np.ndarray) -> str | None:
    """Why grads[name] differs from the oracle's, when a known bug explains it."""
    _, data = oracle.two_layer_loss(case.params, case.X, case.y, 0.0)
    reg, p = case.reg, np.asarray(case.params[name], dtype=np.float64)
    N, g = case.X.shape[0], data[name]
    if name.startswith("b"):
        variants = [(g + reg * p, f"{name} is regularized: the biases get no "
                                  "regularization gradient")] if reg > 0 else []
        return first_match(grad, [*variants, (g / N, f"grads['{name}'] is divided by N twice: "
                                                     + AVERAGED_TWICE)])
    variants = [(g / N + reg * p, f"grads['{name}'] is divided by N twice: " + AVERAGED_TWICE)]
    if reg > 0:
        variants += [
            (g + 2 * reg * p, f"grads['{name}'] has 2 * reg * {name}: with CS231n's 0.5 * "
                              f"reg * sum({name} ** 2) the gradient is reg * {name}"),
            (g, f"grads['{name}'] lacks the regularization gradient self.reg * {name}"),
        ]
    return first_match(grad, variants)


def net_scores_hint(case: NetCase, scores: np.ndarray) -> str | None:
    p, rows = case.params, case.X.reshape(case.X.shape[0], -1)
    linear = (rows @ p["W1"] + p["b1"]) @ p["W2"] + p["b2"]
    true = oracle.two_layer_scores(p, case.X)
    shifted = np.exp(true - true.max(axis=1, keepdims=True))
    return first_match(scores, [
        (linear, "the scores skip the ReLU: affine - ReLU - affine"),
        (np.maximum(true, 0), "a ReLU is applied to the scores too: the last layer is "
                              "affine only"),
        (shifted / shifted.sum(axis=1, keepdims=True), "these are probabilities: at test "
                                                       "time loss(X) returns the raw scores"),
    ])
