"""Trusted vectorized losses used only as the timing baseline of "speed vs the reference".

Not the oracle (autograder/oracle.py decides correctness) and not the notebooks'
solution code: a plain numpy implementation of the kind a good submission has, run in
its own session so that it is timed exactly like the student's code.
"""

from __future__ import annotations

import numpy as np


def svm_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray,
                        reg: float) -> tuple[float, np.ndarray]:
    """Multiclass SVM loss and gradient, no loops."""
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    margins = scores - scores[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    active = margins > 0
    coeff = active.astype(W.dtype)
    coeff[rows, y] = -active.sum(axis=1)
    loss = float(np.maximum(margins, 0.0).sum() / N + reg * np.sum(W * W))
    return loss, X.T @ coeff / N + 2.0 * reg * W


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray,
                            reg: float) -> tuple[float, np.ndarray]:
    """Softmax loss and gradient, no loops, stable for large scores."""
    N = X.shape[0]
    rows = np.arange(N)
    scores = X @ W
    scores -= scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    probs = exp / exp.sum(axis=1, keepdims=True)
    loss = float(-np.log(probs[rows, y]).mean() + reg * np.sum(W * W))
    probs[rows, y] -= 1.0
    return loss, X.T @ probs / N + 2.0 * reg * W
