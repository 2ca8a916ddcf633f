"""CIFAR-10 accuracy and cost of the grader's reference training: what the accuracy checks
rest on, and why the rubric's cost cap is what it is.

    python bench/bench_accuracy.py [--seeds 4] [--cap]

Trains the grader's own reference (autograder/assignments/linear/reference.py `train`, as
the parent runs it for every submission) with the reference hyperparameters (SVM lr 1e-7,
reg 5e3, 3000 iterations; Softmax lr 1e-6, reg 1e3, 1500 iterations; batch 200) on the
49,000 training images, one run per seed, and prints its validation and test accuracy and
its wall time. `--cap` also times one training at the rubric's cost cap (max_examples
as num_iters x batch_size) and at the old maxima (5000 x 1000). Last, a Softmax fitted on
the 2,000 validation and test images themselves: what a saved W can claim on them, and why
no saved W's accuracy is scored. CIFAR10_DIR must point at the data.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import time

import numpy as np
from tqdm import tqdm

from autograder import rubric
from autograder.assignments.linear.reference import softmax_loss_vectorized, train
from cs231n_data import get_cifar10_data

RUNS = [("LinearSVM", 1e-7, 5e3, 3000, 200), ("Softmax", 1e-6, 1e3, 1500, 200)]


def accuracy(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(np.argmax(X @ W.astype(np.float64), axis=1) == y))


def fitted_on_evaluation(data: dict) -> np.ndarray:
    """Full-batch gradient descent on the validation and test images (what a student who
    fits the public evaluation split would save)."""
    X = np.vstack([data["X_val"], data["X_test"]]).astype(np.float64)
    y = np.concatenate([data["y_val"], data["y_test"]])
    W = 0.001 * np.random.default_rng(0).standard_normal((X.shape[1], 10))
    for _ in range(3000):
        W -= 1e-6 * softmax_loss_vectorized(W, X, y, 0.0)[1]
    return W


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=4)
    parser.add_argument("--cap", action="store_true", help="time a training at the cap")
    args = parser.parse_args()
    data = get_cifar10_data(num_dev=0)
    X, y = data["X_train"], data["y_train"]
    jobs = [(run, seed) for run in RUNS for seed in range(args.seeds)]
    cap = rubric.load().accuracy["LinearSVM"].max_examples
    if args.cap:
        jobs += [(("LinearSVM", 1e-7, 5e3, cap // 200, 200), 0),
                 (("LinearSVM", 1e-7, 5e3, 5000, 1000), 0)]
    print("| training                               | val   | test  | wall s |")
    print("|----------------------------------------|-------|-------|--------|")
    for (cls, lr, reg, iters, batch), seed in tqdm(jobs, desc="training", unit="run"):
        started = time.perf_counter()
        W = train(cls, X, y, lr, reg, iters, batch, seed)
        spent = time.perf_counter() - started
        label = f"{cls} {iters} x {batch}, seed {seed}"
        tqdm.write(f"| {label:<38} | {accuracy(W, data['X_val'], data['y_val']):.3f} | "
                   f"{accuracy(W, data['X_test'], data['y_test']):.3f} | {spent:6.1f} |")
    W = fitted_on_evaluation(data)
    print(f"| {'Softmax fitted on val+test':<38} | "
          f"{accuracy(W, data['X_val'], data['y_val']):.3f} | "
          f"{accuracy(W, data['X_test'], data['y_test']):.3f} |        |")


if __name__ == "__main__":
    main()
