"""Trusted losses used only as timing baselines: the vectorized ones for "speed vs the
reference", the naive loops as the most a student's naive version counts for in the
speedup (so a naive loop slowed down on purpose buys nothing).

Not the oracle (autograder/oracle.py decides correctness) and not the notebooks'
solution code: plain numpy implementations of the kind a good submission has, run in
their own session so that they are timed exactly like the student's code.
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


def svm_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray,
                   reg: float) -> tuple[float, np.ndarray]:
    """Multiclass SVM loss and gradient with loops over examples and classes (CS231n's)."""
    dW = np.zeros(W.shape)
    num_classes, num_train = W.shape[1], X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    return loss, dW / num_train + 2 * reg * W


def softmax_loss_naive(W: np.ndarray, X: np.ndarray, y: np.ndarray,
                       reg: float) -> tuple[float, np.ndarray]:
    """Softmax loss and gradient with loops over examples and classes."""
    dW = np.zeros_like(W)
    num_classes, num_train = W.shape[1], X.shape[0]
    loss = 0.0
    for i in range(num_train):
        scores = X[i].dot(W)
        scores -= np.max(scores)
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss -= np.log(probs[y[i]])
        for j in range(num_classes):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    return loss, dW / num_train + 2 * reg * W
