"""The oracle of the SOI1010 checks: torch autograd in float64, written apart from any
solution (the cross-entropy's oracle is nn.CrossEntropyLoss itself, the library the
assignment compares the scratch loss with).

    hinge(scores, y, w, lam) -> (loss, dscores, dw)
    cross_entropy(logits, y) -> (loss, dlogits)
    predict(W, b, X) -> (N,) int64: argmax over the ten models' raw scores
    sgd_steps(W, b, X, y, ...) -> (W, b) after full-batch SGD steps on the course's loss
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn


def _leaf(a: np.ndarray) -> torch.Tensor:
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def hinge(scores: np.ndarray, y: np.ndarray, w: np.ndarray, lam: float
          ) -> tuple[float, np.ndarray, np.ndarray]:
    """mean(max(0, 1 - y * s)) + lam * sum(w ** 2), scores (N,) or (N, 1), y (N,) of +-1;
    the loss and its gradient with respect to the scores (their shape) and w."""
    s, W = _leaf(scores), _leaf(w)
    margins = torch.clamp(1 - torch.tensor(y, dtype=torch.float64) * s.reshape(-1), min=0)
    loss = margins.mean() + lam * (W ** 2).sum()
    loss.backward()
    return float(loss.detach()), s.grad.numpy(), W.grad.numpy()


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """nn.CrossEntropyLoss (mean over rows) of logits (N, C) and labels y (N,), and its
    gradient with respect to the logits."""
    z = _leaf(logits)
    loss = nn.CrossEntropyLoss()(z, torch.tensor(y, dtype=torch.int64))
    loss.backward()
    return float(loss.detach()), z.grad.numpy()


def predict(W: np.ndarray, b: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The class whose model (row of W (K, D), entry of b (K,)) gives X (N, D) the highest
    raw score."""
    return np.argmax(X @ W.T + b, axis=1)


def sgd_steps(W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray, lr: float,
              steps: int, lam: float = 0.0, weight_decay: float = 0.0,
              decay_bias: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """nn.Linear's (W (K, D), b (K,)) after `steps` plain SGD steps of rate `lr`, each on
    the whole of X (N, D): the hinge loss (K = 1, y of +-1, penalty lam * ||W||^2) or the
    softmax cross-entropy (K > 1, y of class indices), and SGD's `weight_decay` (added
    to the gradient of W, and of b unless not `decay_bias`)."""
    Wt, bt = torch.tensor(W, dtype=torch.float64), torch.tensor(b, dtype=torch.float64)
    X64 = torch.tensor(X, dtype=torch.float64)
    for _ in range(steps):
        Wl, bl = Wt.clone().requires_grad_(True), bt.clone().requires_grad_(True)
        scores = X64 @ Wl.T + bl
        if Wl.shape[0] == 1:
            yt = torch.tensor(y, dtype=torch.float64)
            loss = torch.clamp(1 - yt * scores.reshape(-1), min=0).mean() + lam * (Wl ** 2).sum()
        else:
            loss = nn.CrossEntropyLoss()(scores, torch.tensor(y, dtype=torch.int64))
        dW, db = torch.autograd.grad(loss, (Wl, bl))
        Wt = Wt - lr * (dW + weight_decay * Wt)
        bt = bt - lr * (db + (weight_decay * bt if decay_bias else 0.0))
    return Wt.numpy(), bt.numpy()
