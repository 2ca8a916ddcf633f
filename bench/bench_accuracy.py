"""CIFAR-10 accuracy of the reference solution on the plain and on the mirrored images,
and of a W fitted on the (public) evaluation images: what the accuracy checks rest on.

    python bench/bench_accuracy.py [--seeds 4]

Trains the reference losses (assignments/linear/reference.py) with the reference hyperparameters
(SVM lr 1e-7, reg 5e3, 3000 iterations; Softmax lr 1e-6, reg 1e3, 1500 iterations; batch
200) on the 49,000 training images, one run per seed, then a Softmax on the 2,000
validation and test images themselves (what a student who fits the evaluation split
would save), and prints a table of accuracies on the plain and the mirrored (left-right
flipped) validation and test images. CIFAR10_DIR must point at the data.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse

import numpy as np
from tqdm import tqdm

from autograder.assignments.linear.reference import softmax_loss_vectorized, svm_loss_vectorized
from autograder.grade import mirrored
from cs231n_data import get_cifar10_data

RUNS = [("SVM", svm_loss_vectorized, 1e-7, 5e3, 3000),
        ("Softmax", softmax_loss_vectorized, 1e-6, 1e3, 1500)]


def train(loss, X: np.ndarray, y: np.ndarray, lr: float, reg: float, iters: int,
          seed: int, batch: int | None = 200) -> np.ndarray:
    rng = np.random.default_rng(seed)
    W = 0.001 * rng.standard_normal((X.shape[1], 10))
    for _ in range(iters):
        rows = rng.integers(0, len(X), batch) if batch else slice(None)
        _, grad = loss(W, X[rows].astype(np.float64), y[rows], reg)
        W -= lr * grad
    return W


def accuracy(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(X @ W, axis=1) == y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    data = get_cifar10_data(num_dev=0)
    views = {split: (data[f"X_{split}"], mirrored(data[f"X_{split}"], data["mean_image"]),
                     data[f"y_{split}"]) for split in ("val", "test")}
    rows = []
    jobs = [(run, seed) for run in RUNS for seed in range(args.seeds)]
    for (name, loss, lr, reg, iters), seed in tqdm(jobs, desc="training", unit="run"):
        W = train(loss, data["X_train"], data["y_train"], lr, reg, iters, seed)
        rows.append((f"{name}, seed {seed}", W))
    X_eval = np.vstack([data["X_val"], data["X_test"]])
    y_eval = np.concatenate([data["y_val"], data["y_test"]])
    rows.append(("Softmax fitted on val+test", train(softmax_loss_vectorized, X_eval, y_eval,
                                                     1e-6, 0.0, 3000, 0, batch=None)))
    print("| model                      | val   | val mirrored | test  | test mirrored |")
    print("|----------------------------|-------|--------------|-------|---------------|")
    for label, W in rows:
        cells = [accuracy(W, X, y) for split in ("val", "test")
                 for X, y in ((views[split][0], views[split][2]),
                              (views[split][1], views[split][2]))]
        print(f"| {label:<26} | {cells[0]:.3f} | {cells[1]:.3f}        | {cells[2]:.3f} | "
              f"{cells[3]:.3f}         |")


if __name__ == "__main__":
    main()
