"""Trusted reference code: timing baselines and the CIFAR-10 training the accuracy checks score.

The vectorized losses are the baseline of "speed vs the reference", the naive loops the
most a student's naive version counts for in the speedup (so a naive loop slowed down on
purpose buys nothing); both run in their own session so that they are timed exactly like
the student's code. `train` is CS231n's minibatch SGD, which the grader runs in the
trusted parent with each student's saved hyperparameters: every accuracy point is scored
on a W it made.

Not the oracle (oracle.py beside this file decides correctness) and not the notebooks'
solution code: plain numpy implementations of the kind a good submission has.
"""

from __future__ import annotations

import numpy as np


def svm_data_term(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """The SVM's summed hinge loss and d(loss)/d(scores), no loops."""
    rows = np.arange(X.shape[0])
    scores = X @ W
    margins = scores - scores[rows, y][:, None] + 1.0
    margins[rows, y] = 0.0
    active = margins > 0
    coeff = active.astype(W.dtype)
    coeff[rows, y] = -active.sum(axis=1)
    return float(np.maximum(margins, 0.0).sum()), coeff


def softmax_data_term(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Softmax's summed cross-entropy and d(loss)/d(scores), stable for large scores."""
    rows = np.arange(X.shape[0])
    scores = X @ W
    scores -= scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    probs = exp / exp.sum(axis=1, keepdims=True)
    loss = float(-np.log(probs[rows, y]).sum())
    probs[rows, y] -= 1.0
    return loss, probs


DATA_TERMS = {"LinearSVM": svm_data_term, "Softmax": softmax_data_term}


def svm_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray,
                        reg: float) -> tuple[float, np.ndarray]:
    """Multiclass SVM loss and gradient, no loops."""
    N = X.shape[0]
    loss, coeff = svm_data_term(W, X, y)
    return loss / N + reg * float(np.sum(W * W)), X.T @ coeff / N + 2.0 * reg * W


def softmax_loss_vectorized(W: np.ndarray, X: np.ndarray, y: np.ndarray,
                            reg: float) -> tuple[float, np.ndarray]:
    """Softmax loss and gradient, no loops, stable for large scores."""
    N = X.shape[0]
    loss, coeff = softmax_data_term(W, X, y)
    return loss / N + reg * float(np.sum(W * W)), X.T @ coeff / N + 2.0 * reg * W


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


def train(cls: str, X: np.ndarray, y: np.ndarray, learning_rate: float, reg: float,
          num_iters: int, batch_size: int, seed: int) -> np.ndarray:
    """W of `cls` ("LinearSVM" or "Softmax") after minibatch SGD on (X, y): W starts at
    0.001 * randn(D, C), each step samples `batch_size` rows with replacement."""
    data_term = DATA_TERMS[cls]
    rng = np.random.default_rng(seed)
    W = (0.001 * rng.standard_normal((X.shape[1], int(y.max()) + 1))).astype(X.dtype)
    for _ in range(num_iters):
        rows = np.sort(rng.integers(0, X.shape[0], batch_size))
        batch = X[rows]
        _, coeff = data_term(W, batch, y[rows])
        # (coeff.T @ X).T is X.T @ coeff, in the order BLAS runs fastest (3x, measured).
        W -= learning_rate * ((coeff.T @ batch).T / batch_size + 2.0 * reg * W)
    return W
