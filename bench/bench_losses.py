"""Naive vs vectorized loss timings of the reference solutions on the dev-set shape.

    python bench/bench_losses.py [--repeats 7]

Loads the solution cells of source/linear/*.ipynb, times each loss on the real dev set
(500 x 3073, 10 classes; CIFAR10_DIR must point at the data) and prints medians of CPU
time per call and the speedup, measured side by side in one run.
"""

from __future__ import annotations

import os

# One BLAS thread, as in the grader's sandbox: with several, CPU time also counts the
# threads' busy-waiting, which inflates the vectorized version's time.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import statistics
import time

import numpy as np

from autograder.release import ASSIGNMENT, ROOT
from cs231n_data import get_cifar10_data
from cs231n_data.notebook import load_definitions

SOURCE = ROOT / "source" / ASSIGNMENT


def cpu_times(f, args: tuple, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.process_time()
        f(*args)
        out.append(time.process_time() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()

    ns = load_definitions(SOURCE / "svm.ipynb", ["svm_loss_naive", "svm_loss_vectorized"])
    load_definitions(
        SOURCE / "softmax.ipynb", ["softmax_loss_naive", "softmax_loss_vectorized"], ns
    )
    data = get_cifar10_data()
    X, y = data["X_dev"], data["y_dev"]
    W = np.random.default_rng(0).standard_normal((X.shape[1], 10)) * 1e-4

    print(f"dev set {X.shape}, {X.dtype}; median CPU seconds per call "
          f"({args.repeats} naive calls, {args.repeats * 5} vectorized), "
          f"OPENBLAS_NUM_THREADS={os.environ['OPENBLAS_NUM_THREADS']}")
    print(f"{'loss':10s} {'naive ms':>10s} {'vectorized ms':>14s} {'speedup':>8s}")
    for loss in ("svm", "softmax"):
        naive = statistics.median(
            cpu_times(ns[f"{loss}_loss_naive"], (W, X, y, 5e-6), args.repeats)
        )
        vec = statistics.median(
            cpu_times(ns[f"{loss}_loss_vectorized"], (W, X, y, 5e-6), args.repeats * 5)
        )
        print(f"{loss:10s} {naive * 1e3:10.1f} {vec * 1e3:14.2f} {naive / vec:7.0f}x")


if __name__ == "__main__":
    main()
