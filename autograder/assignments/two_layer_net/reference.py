"""Trusted reference: the two-layer network the parent trains with a student's saved
hyperparameters, the way CS231n's Solver trains TwoLayerNet in the notebook.

Every accuracy point of this assignment is scored on parameters made here (the checks
never score a model that student code trained or saved). Plain NumPy in float32, written
for speed on the grading machine; not the oracle (oracle.py decides correctness) and not
the notebook's solution code.

    params = train(settings, arrays, seed)   # {'W1', 'b1', 'W2', 'b2'}
    scores(params, X) -> (N, C)
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

# TwoLayerNet's default initialization scale (the search cell does not save one: the
# notebook's search varies the settings below and keeps weight_scale at its default).
WEIGHT_SCALE = 1e-3
# The hyperparameters a saved setting holds, as the edition's search cell writes them.
SETTINGS = ("hidden_size", "learning_rate", "lr_decay", "reg", "num_epochs", "batch_size")

Params = dict[str, np.ndarray]


def scores(params: Mapping[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """Class scores (N, C) of the net affine - ReLU - affine on images X (N, d1, ..., dk)."""
    rows = X.reshape(X.shape[0], -1)
    hidden = np.maximum(rows @ params["W1"] + params["b1"], 0.0)
    return hidden @ params["W2"] + params["b2"]


def accuracy(params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray,
             chunk: int = 1000) -> float:
    """Fraction of X whose highest score is its label (computed in chunks of `chunk`)."""
    hits = sum(int(np.sum(np.argmax(scores(params, X[i:i + chunk]), axis=1) == y[i:i + chunk]))
               for i in range(0, len(X), chunk))
    return hits / max(len(X), 1)


def _step(params: Params, X: np.ndarray, y: np.ndarray, reg: float, lr: float) -> None:
    """One SGD step on the minibatch (X (B, D), y (B,)): softmax loss plus
    0.5 * reg * (|W1|^2 + |W2|^2), CS231n's convention."""
    B = X.shape[0]
    pre = X @ params["W1"] + params["b1"]              # (B, H)
    hidden = np.maximum(pre, 0.0)
    s = hidden @ params["W2"] + params["b2"]           # (B, C)
    s -= s.max(axis=1, keepdims=True)
    probs = np.exp(s)
    probs /= probs.sum(axis=1, keepdims=True)
    probs[np.arange(B), y] -= 1.0
    probs /= B                                          # d loss / d scores
    dW2 = hidden.T @ probs + reg * params["W2"]
    db2 = probs.sum(axis=0)
    dhidden = probs @ params["W2"].T
    dhidden[pre <= 0] = 0.0
    # (dhidden.T @ X).T is X.T @ dhidden in the order BLAS runs fastest here.
    dW1 = (dhidden.T @ X).T + reg * params["W1"]
    db1 = dhidden.sum(axis=0)
    for name, grad in (("W1", dW1), ("b1", db1), ("W2", dW2), ("b2", db2)):
        params[name] -= lr * grad.astype(params[name].dtype)


def init(D: int, H: int, C: int, rng: np.random.Generator, dtype: type = np.float32
         ) -> Params:
    """TwoLayerNet's initialization: weights N(0, WEIGHT_SCALE^2), biases zero."""
    return {"W1": (WEIGHT_SCALE * rng.standard_normal((D, H))).astype(dtype),
            "b1": np.zeros(H, dtype=dtype),
            "W2": (WEIGHT_SCALE * rng.standard_normal((H, C))).astype(dtype),
            "b2": np.zeros(C, dtype=dtype)}


def train(settings: Mapping[str, float], arrays: Mapping[str, np.ndarray], seed: int
          ) -> Params:
    """The parameters CS231n's Solver keeps after training TwoLayerNet with `settings`
    (hidden_size, learning_rate, lr_decay, reg, num_epochs, batch_size) on
    arrays['X_train'] (N, 3, 32, 32), arrays['y_train'], seeded by `seed`.

    As the Solver does: num_epochs * max(N // batch_size, 1) SGD steps on minibatches drawn
    with replacement, the learning rate times lr_decay after each epoch, and the parameters
    of the best validation accuracy (arrays['X_val'], checked at the first step and after
    every epoch) kept at the end.
    """
    X = arrays["X_train"].reshape(len(arrays["X_train"]), -1)
    y = arrays["y_train"]
    X_val, y_val = arrays["X_val"], arrays["y_val"]
    rng = np.random.default_rng(seed)
    batch = int(settings["batch_size"])
    params = init(X.shape[1], int(settings["hidden_size"]), int(y.max()) + 1, rng, X.dtype)
    per_epoch = max(X.shape[0] // batch, 1)
    steps = int(settings["num_epochs"]) * per_epoch
    lr, reg = float(settings["learning_rate"]), float(settings["reg"])
    best, best_params = -1.0, params
    for t in range(steps):
        rows = np.sort(rng.integers(0, X.shape[0], batch))
        _step(params, X[rows], y[rows], reg, lr)
        epoch_end = (t + 1) % per_epoch == 0
        if epoch_end:
            lr *= float(settings["lr_decay"])
        if t == 0 or epoch_end or t == steps - 1:
            val = accuracy(params, X_val, y_val)
            if val > best:
                best, best_params = val, {k: v.copy() for k, v in params.items()}
    return best_params
