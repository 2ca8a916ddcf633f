"""Trusted reference: the linear models the parent trains with a student's saved settings,
the way SOI1010's notebook trains them (SGD on shuffled minibatches, nn.Linear's
initialization, the kit's own hinge and cross-entropy losses).

Every accuracy point of this assignment is scored on parameters made here (the checks
never score a model that student code trained or saved). Torch in float32 with the
gradients written out (faster than autograd for one linear layer, and the same steps);
not the oracle (oracle.py decides correctness) and not the notebook's solution code.

    parent, training = prepare(path)            # CIFAR-10, split 90/10, standardized
    params = train(target, settings, training, seed)   # {'W': (K, 3072), 'b': (K,)}
    accuracy(target, params, X, y, settings) -> float

The targets: "binary_svm" (K = 1: one soft-margin SVM on the pair positive / negative),
"one_vs_all" (K = 10: ten SVMs trained together, column k with its own lam_k and lr_k)
and "softmax" (K = 10: softmax regression, SGD with weight_decay on W and b).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np
import torch

from cs231n_data.images import get_cifar10_raw_tensors

TARGETS = ("binary_svm", "one_vs_all", "softmax")
NUM_CLASSES = 10
# The notebook's fixed split of the 50,000 training images: 10% for validation, seed 0.
VAL_FRACTION = 0.1
SPLIT_SEED = 0

Params = dict[str, np.ndarray]


def split(num_examples: int, val_fraction: float = VAL_FRACTION, seed: int = SPLIT_SEED
          ) -> tuple[np.ndarray, np.ndarray]:
    """(train, val) row indices: the last and first int(N * val_fraction) of a permutation
    that torch draws from `seed`, as the notebook's split does."""
    order = torch.randperm(num_examples, generator=torch.Generator().manual_seed(seed))
    num_val = int(num_examples * val_fraction)
    return order[num_val:].numpy(), order[:num_val].numpy()


def _channel_statistics(images: np.ndarray, chunk: int = 5000) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation (each (1, 3, 1, 1), float64) of images
    (N, 3, H, W), accumulated in float64 chunk by chunk: no float64 copy of the images."""
    total, squares = np.zeros(3), np.zeros(3)
    for i in range(0, len(images), chunk):
        block = images[i:i + chunk].astype(np.float64)
        total += block.sum(axis=(0, 2, 3))
        squares += np.square(block).sum(axis=(0, 2, 3))
    count = images.size // 3
    mean = total / count
    std = np.sqrt(np.maximum(squares / count - mean ** 2, 0.0))
    return mean.reshape(1, 3, 1, 1), std.reshape(1, 3, 1, 1)


def prepare(path: str | os.PathLike[str] | None = None
            ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """CIFAR-10 as the notebook prepares it: [0, 1] pixels, the fixed 90/10 split of the
    training set, every split standardized per channel with the statistics of the 45,000
    training images, each image flattened to a row of 3072 float32 values.

    Returns (parent, training): parent holds X_val, y_val, X_test, y_test (what accuracy is
    scored on), training holds X_train, y_train (what the reference trains on).
    """
    data = get_cifar10_raw_tensors(path)
    train_rows, val_rows = split(len(data["y_train"]))
    X_all = data["X_train"].numpy()                                 # (50000, 3, 32, 32)
    X_train = X_all[train_rows]
    mean, std = _channel_statistics(X_train)                        # (1, 3, 1, 1) each

    def rows(images: np.ndarray) -> np.ndarray:
        # (N, 3, 32, 32) float32 of this function's own -> (N, 3072), standardized in place
        images -= mean.astype(np.float32)
        images /= std.astype(np.float32)
        return images.reshape(len(images), -1)

    y_all = data["y_train"].numpy()
    # Fancy indexing copies, and the loader's test tensor is this call's own: each split is
    # standardized in its own memory, with no float copy beside it.
    parent = {"X_val": rows(X_all[val_rows]), "y_val": y_all[val_rows],
              "X_test": rows(data["X_test"].numpy()), "y_test": data["y_test"].numpy()}
    del X_all, data
    return parent, {"X_train": rows(X_train), "y_train": y_all[train_rows]}


def _columns(target: str, settings: Mapping[str, float]) -> tuple[np.ndarray, np.ndarray]:
    """(lam, lr) per output column: one each for binary_svm and softmax (whose lam is its
    weight_decay), lam_k and lr_k for the ten one-vs-all columns."""
    if target == "one_vs_all":
        lam = [float(settings[f"lam_{k}"]) for k in range(NUM_CLASSES)]
        lr = [float(settings[f"lr_{k}"]) for k in range(NUM_CLASSES)]
        return np.asarray(lam, np.float32), np.asarray(lr, np.float32)
    lam = settings["weight_decay"] if target == "softmax" else settings["lam"]
    return np.asarray([lam], np.float32), np.asarray([settings["lr"]], np.float32)


def _rows_and_labels(target: str, settings: Mapping[str, float],
                     training: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The rows the target trains on and their labels: the pair's rows with +1 / -1
    (binary_svm), every row with (N, 10) +1 / -1 columns (one_vs_all) or its class."""
    X, y = training["X_train"], np.asarray(training["y_train"])
    if target == "binary_svm":
        positive, negative = int(settings["positive"]), int(settings["negative"])
        keep = np.flatnonzero((y == positive) | (y == negative))
        return X[keep], np.where(y[keep] == positive, 1.0, -1.0).astype(np.float32)[:, None]
    if target == "one_vs_all":
        return X, np.where(y[:, None] == np.arange(NUM_CLASSES), 1.0, -1.0).astype(np.float32)
    return X, y.astype(np.int64)


def _gradients(target: str, W: torch.Tensor, b: torch.Tensor, xb: torch.Tensor,
               yb: torch.Tensor, lam: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """d loss / d W (K, D) and d loss / d b (K,) on one minibatch xb (B, D).

    SVM columns: mean over the batch of max(0, 1 - y s) plus lam_k |w_k|^2 (the bias is not
    regularized, as hinge_loss takes model.weight); softmax: the mean cross-entropy, with
    weight_decay * parameter added to both gradients as torch.optim.SGD adds it.
    """
    scores = xb @ W.T + b                                           # (B, K)
    if target == "softmax":
        dscores = torch.softmax(scores, dim=1)
        dscores[torch.arange(len(yb)), yb] -= 1.0
        dscores /= len(yb)
        return dscores.T @ xb + lam * W, dscores.sum(dim=0) + lam * b
    dscores = torch.where(yb * scores < 1.0, -yb, 0.0) / len(yb)   # (B, K)
    return dscores.T @ xb + 2.0 * lam[:, None] * W, dscores.sum(dim=0)


def train(target: str, settings: Mapping[str, float], training: Mapping[str, np.ndarray],
          seed: int) -> Params:
    """The parameters {'W': (K, 3072), 'b': (K,)} of `target` trained with `settings` on
    training['X_train'] (N, 3072) float32 and training['y_train'], seeded by `seed`.

    As the notebook trains: weights and biases drawn as nn.Linear draws them (uniform in
    +-1/sqrt(D)), then `epochs` passes of plain SGD over a fresh shuffle each, in minibatches
    of `batch_size` (the last one shorter), each column with its own learning rate.
    """
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; known: {', '.join(TARGETS)}")
    X, labels = _rows_and_labels(target, settings, training)
    lam_np, lr_np = _columns(target, settings)
    K, D = (1 if target == "binary_svm" else NUM_CLASSES), X.shape[1]
    generator = torch.Generator().manual_seed(int(seed))
    bound = 1.0 / float(np.sqrt(D))
    W = (torch.rand(K, D, generator=generator) * 2.0 - 1.0) * bound
    b = (torch.rand(K, generator=generator) * 2.0 - 1.0) * bound
    lam, lr = torch.from_numpy(lam_np), torch.from_numpy(lr_np)      # (K,) or (1,)
    batch = int(settings["batch_size"])
    for _ in range(int(settings["epochs"])):
        order = torch.randperm(len(X), generator=generator).numpy()
        for start in range(0, len(X), batch):
            rows = order[start:start + batch]
            xb, yb = torch.from_numpy(X[rows]), torch.from_numpy(labels[rows])
            dW, db = _gradients(target, W, b, xb, yb, lam)
            W -= lr[:, None] * dW
            b -= lr * db
    return {"W": W.numpy(), "b": b.numpy()}


def accuracy(target: str, params: Mapping[str, np.ndarray], X: np.ndarray, y: np.ndarray,
             settings: Mapping[str, float], chunk: int = 2000) -> float:
    """Fraction of X (N, 3072) labelled right by `params`: for binary_svm only the rows of
    the pair count, labelled positive where the score is above 0; otherwise the class of
    the highest score."""
    y = np.asarray(y)
    if target == "binary_svm":
        positive, negative = int(settings["positive"]), int(settings["negative"])
        keep = np.flatnonzero((y == positive) | (y == negative))
        X, y = X[keep], y[keep]
    W, b = np.asarray(params["W"], np.float32), np.asarray(params["b"], np.float32)
    hits = 0
    for i in range(0, len(X), chunk):
        scores = np.asarray(X[i:i + chunk], np.float32) @ W.T + b          # (n, K)
        if target == "binary_svm":
            predicted = np.where(scores[:, 0] > 0, positive, negative)
        else:
            predicted = np.argmax(scores, axis=1)
        hits += int(np.sum(predicted == y[i:i + chunk]))
    return hits / max(len(X), 1)
