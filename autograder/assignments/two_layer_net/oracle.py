"""The oracle: true values and gradients of the two-layer network's layers and loss.

Written independently of the notebook's solution cells: torch autograd in float64
differentiates a direct transcription of each forward formula, so no gradient is derived
by hand here (the part students get wrong). Inputs are numpy arrays; so are the outputs.
A backward pass is the gradient of sum(out * dout), the upstream gradient `dout`.

ReLU's derivative at exactly 0 is 0 (torch's relu, and CS231n's `dout * (x > 0)`).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import torch

from autograder.threads import one_torch_thread

PARAMS = ("W1", "b1", "W2", "b2")


def _leaf(a: np.ndarray, grad: bool = True) -> torch.Tensor:
    # A float64 copy: the oracle never shares memory with arrays the checks compare later.
    return torch.tensor(np.array(a, dtype=np.float64), requires_grad=grad)


def _grads(out: torch.Tensor, dout: np.ndarray, *leaves: torch.Tensor) -> list[np.ndarray]:
    grads = torch.autograd.grad(out, leaves, grad_outputs=_leaf(dout, grad=False))
    return [g.detach().numpy().copy() for g in grads]


def _affine(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    return x.reshape(x.shape[0], -1) @ w + b


def affine(x: np.ndarray, w: np.ndarray, b: np.ndarray, dout: np.ndarray
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """out = x.reshape(N, D) @ w + b for x (N, d1, ..., dk), w (D, M), b (M,); and dx (x's
    shape), dw, db for the upstream gradient dout (N, M)."""
    with one_torch_thread():
        xt, wt, bt = _leaf(x), _leaf(w), _leaf(b)
        out = _affine(xt, wt, bt)
        dx, dw, db = _grads(out, dout, xt, wt, bt)
        return out.detach().numpy().copy(), dx, dw, db


def relu(x: np.ndarray, dout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """out = max(0, x) elementwise, and dx for the upstream gradient dout (x's shape)."""
    with one_torch_thread():
        xt = _leaf(x)
        out = torch.relu(xt)
        (dx,) = _grads(out, dout, xt)
        return out.detach().numpy().copy(), dx


def affine_relu(x: np.ndarray, w: np.ndarray, b: np.ndarray, dout: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """out = relu(affine(x, w, b)), and dx, dw, db for the upstream gradient dout."""
    with one_torch_thread():
        xt, wt, bt = _leaf(x), _leaf(w), _leaf(b)
        out = torch.relu(_affine(xt, wt, bt))
        dx, dw, db = _grads(out, dout, xt, wt, bt)
        return out.detach().numpy().copy(), dx, dw, db


def _data_loss(scores: torch.Tensor, y: np.ndarray) -> torch.Tensor:
    # log_softmax is stable for scores of any size.
    yt = torch.tensor(np.array(y, dtype=np.int64))
    return -torch.log_softmax(scores, dim=1)[torch.arange(scores.shape[0]), yt].mean()


def softmax_loss(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Cross-entropy of the softmax of scores x (N, C) at labels y (N,), averaged over N,
    and its gradient dx (N, C)."""
    with one_torch_thread():
        xt = _leaf(x)
        loss = _data_loss(xt, y)
        (dx,) = torch.autograd.grad(loss, (xt,))
        return float(loss.detach()), dx.numpy().copy()


def _scores(p: Mapping[str, torch.Tensor], X: torch.Tensor) -> torch.Tensor:
    hidden = torch.relu(_affine(X, p["W1"], p["b1"]))
    return hidden @ p["W2"] + p["b2"]


def two_layer_scores(params: Mapping[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """TwoLayerNet's scores (N, C): affine - ReLU - affine on X (N, d1, ..., dk)."""
    with one_torch_thread():
        p = {k: _leaf(params[k], grad=False) for k in PARAMS}
        return _scores(p, _leaf(X, grad=False)).numpy().copy()


def two_layer_loss(params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray,
                   reg: float) -> tuple[float, dict[str, np.ndarray]]:
    """TwoLayerNet's training loss: softmax loss of its scores plus
    0.5 * reg * (sum(W1**2) + sum(W2**2)) (CS231n's convention: no term for the biases),
    and the gradient of every parameter."""
    with one_torch_thread():
        p = {k: _leaf(params[k]) for k in PARAMS}
        loss = _data_loss(_scores(p, _leaf(X, grad=False)), y)
        loss = loss + 0.5 * reg * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
        grads = torch.autograd.grad(loss, [p[k] for k in PARAMS])
        return float(loss.detach()), {k: g.numpy().copy() for k, g in zip(PARAMS, grads,
                                                                          strict=True)}
