"""CIFAR-10 accuracy and cost of the two-layer network's reference training: what the
rubric's thresholds, hyperparameter ranges and cost cap rest on.

    python bench/bench_two_layer.py [--seeds 3] [--quick] [--grade 5]

Trains the grader's own reference (autograder/assignments/two_layer_net/reference.py
`train`, as the parent runs it for every submission, one BLAS thread) with a few settings
around the notebook's (hidden 50..300, learning rate 5e-4..2e-3, reg 0..0.5, 5..10 epochs,
batch 200) on the 49,000 training images, and prints for each the median over the seeds
of its validation and test accuracy, their range, and the median wall time of one
training. `--grade N` instead times `grade_submission` (sandboxed, every hidden check,
the CIFAR-10 accuracy included) on N distinct copies of the source notebook's solution
with the search cell's settings, with one `GradingData`: the first pays the reference
training for those settings, the others find it done; the median is over all of them.
CIFAR10_DIR must point at the data.
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import dataclasses
import statistics
import time

import numpy as np

from autograder.assignments.two_layer_net.reference import accuracy, train
from cs231n_data import get_cifar10_images

# (hidden_size, learning_rate, lr_decay, reg, num_epochs, batch_size)
SETTINGS = [
    (50, 1e-4, 0.95, 0.0, 5, 200),      # too small a step: under-trained
    (100, 1e-3, 0.95, 0.0, 5, 200),
    (50, 5e-4, 0.95, 0.25, 10, 200),
    (100, 1e-3, 0.95, 0.25, 10, 200),
    (200, 1e-3, 0.95, 0.25, 10, 200),
    (300, 2e-3, 0.95, 0.5, 10, 200),
    (100, 2e-3, 0.95, 0.1, 10, 200),
]
QUICK = [SETTINGS[1], SETTINGS[3]]
NAMES = ("hidden_size", "learning_rate", "lr_decay", "reg", "num_epochs", "batch_size")


def grade(repeats: int) -> None:
    """Time grade_submission of the two-layer edition (see the module docstring)."""
    from pathlib import Path

    from grading_time import time_gradings

    from autograder.assignment import load
    from autograder.assignments.two_layer_net import samples

    settings = dataclasses.asdict(samples.REFERENCE)
    H = settings["hidden_size"]
    rng = np.random.default_rng(0)
    params = {"W1": 1e-3 * rng.standard_normal((3072, H)), "b1": np.zeros(H),
              "W2": 1e-3 * rng.standard_normal((H, 10)), "b2": np.zeros(10)}

    def write(work: Path, i: int) -> Path:
        model = samples.write_model(work / f"model{i}", params, settings)
        cells = samples.solved_cells()
        cells["affine_forward"] += f"\n# repeat {i}\n"   # its own content hash
        return samples.write_notebook_submission(work / f"s{i}", cells, model)

    time_gradings(load("two_layer_net"), write, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="two settings only")
    parser.add_argument("--grade", type=int, default=0, metavar="N",
                        help="time N gradings of the solution instead")
    args = parser.parse_args()
    if args.grade:
        grade(args.grade)
        return
    data = get_cifar10_images()
    print(f"{'hidden':>6} {'lr':>7} {'decay':>5} {'reg':>5} {'ep':>3} {'batch':>5} | "
          f"{'val med':>7} {'val range':>11} | {'test med':>8} {'test range':>11} | {'s':>5}",
          flush=True)
    for setting in QUICK if args.quick else SETTINGS:
        settings = dict(zip(NAMES, setting, strict=True))
        vals, tests, seconds = [], [], []
        for seed in range(args.seeds):
            start = time.perf_counter()
            params = train(settings, data, seed)
            seconds.append(time.perf_counter() - start)
            vals.append(accuracy(params, data["X_val"], data["y_val"]))
            tests.append(accuracy(params, data["X_test"], data["y_test"]))
        h, lr, decay, reg, epochs, batch = setting
        print(f"{h:>6} {lr:>7.0e} {decay:>5} {reg:>5} {epochs:>3} {batch:>5} | "
              f"{statistics.median(vals):>7.3f} {min(vals):.3f}-{max(vals):.3f} | "
              f"{statistics.median(tests):>8.3f} {min(tests):.3f}-{max(tests):.3f} | "
              f"{statistics.median(seconds):>5.1f}", flush=True)


if __name__ == "__main__":
    main()
