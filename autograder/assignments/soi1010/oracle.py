"""The oracle of the SOI1010 checks: torch autograd in float64, written apart from any
solution (the cross-entropy's oracle is nn.CrossEntropyLoss itself, the library the
assignment compares the scratch loss with).

    hinge(scores, y, w, lam) -> (loss, dscores, dw)
    cross_entropy(logits, y) -> (loss, dlogits)
    predict(W, b, X) -> (N,) int64: argmax over the ten models' raw scores
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
