"""The PyTorch edition's accuracy thresholds: CIFAR-10 accuracy of the grader's reference
classifier on EECS 498's pixels ([0, 1], mean subtracted, bias trick), trained with the
settings of a grid, several seeds each.

    python bench/bench_torch_accuracy.py [--seeds 4]

Prints one row per (classifier, learning rate, reg, iterations): min-max over the seeds of
the validation and test accuracy (what the grader scores). Trains the same reference the
grader trains with every student's hyperparameters (assignments/linear/reference.py),
so the table is what rubric.toml's [accuracy] thresholds of linear_torch rest on.
CIFAR10_DIR must point at the data.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse

import numpy as np
from tqdm import tqdm

from autograder import assignment
from autograder.assignments.linear import reference
from cs231n_data import get_cifar10_data

GRID = [("LinearSVM", 5e-3, 5e-2, 3000), ("LinearSVM", 1e-2, 5e-2, 3000),
        ("LinearSVM", 5e-3, 1e-1, 3000), ("LinearSVM", 5e-3, 5e-2, 1000),
        ("Softmax", 5e-2, 1e-2, 1500), ("Softmax", 1e-1, 1e-2, 1500),
        ("Softmax", 5e-2, 2e-2, 1500), ("Softmax", 5e-2, 1e-2, 300)]


def accuracy(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(X @ W.astype(np.float64), axis=1) == y))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=4)
    args = parser.parse_args()
    scale = assignment.load("linear_torch").pixel_scale
    data = get_cifar10_data(num_dev=0, pixel_scale=scale)
    rows = []
    for cls, lr, reg, iters in tqdm(GRID, desc="settings"):
        seen = []
        for seed in range(args.seeds):
            W = reference.train(cls, data["X_train"], data["y_train"], lr, reg, iters, 200,
                                seed=seed)
            seen.append([accuracy(W, data[f"X_{s}"], data[f"y_{s}"]) for s in ("val", "test")])
        seen = np.array(seen)
        rows.append((cls, lr, reg, iters, seen.min(axis=0), seen.max(axis=0)))
    print(f"{'classifier':10s} {'lr':>7s} {'reg':>7s} {'iters':>5s}  "
          f"{'val':>11s} {'test':>11s}")
    for cls, lr, reg, iters, low, high in rows:
        cells = "  ".join(f"{a:.3f}-{b:.3f}" for a, b in zip(low, high, strict=True))
        print(f"{cls:10s} {lr:7.0e} {reg:7.0e} {iters:5d}  {cells}")


if __name__ == "__main__":
    main()
