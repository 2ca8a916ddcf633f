"""CIFAR-10 accuracy and cost of the SOI1010 edition's reference training: what the
rubric's thresholds, hyperparameter ranges and epoch caps rest on.

    OMP_NUM_THREADS=1 python bench/bench_soi1010.py [--seeds 3] [--quick] [--grade 5]

Trains the grader's own reference (autograder/assignments/soi1010/reference.py `train`,
as the parent runs it, one thread) on the 45,000 images of the notebook's 90/10 split,
standardized per channel, for each target: the binary SVM on a few class pairs
(airplane/ship and cat/dog among them), the ten one-vs-all SVMs and softmax regression,
each with the notebook's first settings, the settings its search cells save, tuned ones
and the costliest the rubric's ranges allow (`cap`). Prints for each the median over the
seeds of its validation and test accuracy (on the pair's rows for the binary SVM), their
range, and the median seconds of one training. `--grade N` instead times
`grade_submission` (sandboxed, every hidden check, the three CIFAR-10 accuracies included)
on N distinct copies of the source notebook's solution with the settings its searches
save, with one `GradingData`: the first pays the reference trainings for those settings
(and the tuned binary SVM of the pair), the others find them done.
CIFAR10_DIR must point at the data.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import statistics
import time
from collections.abc import Mapping
from pathlib import Path

import torch

from autograder.assignments.soi1010.reference import NUM_CLASSES, accuracy, prepare, train

PAIRS = ((0, 8), (3, 5), (1, 9), (2, 6))        # airplane/ship, cat/dog, car/truck, bird/frog
# (label, lam, lr, batch_size, epochs) for the binary SVM of each pair.
BINARY = (("first", 1e-2, 1e-2, 64, 10),        # the notebook's first training
          ("notebook", 1e-2, 1e-3, 64, 10),     # what its search may save
          ("notebook", 1e-3, 3e-4, 64, 10),
          ("tuned", 1e-3, 3e-4, 64, 20),        # the rubric's tuned settings
          ("cap", 1e-3, 3e-4, 16, 20))          # the costliest the ranges allow
# (label, lam, lr, batch_size, epochs), the same for the ten columns.
ONE_VS_ALL = (("first", 1e-3, 1e-4, 64, 2),     # the first candidate of the notebook's search
              ("notebook", 1e-2, 1e-3, 64, 2),  # what its search saves
              ("tuned", 1e-3, 1e-4, 64, 10),
              ("too big", 1e-3, 1e-2, 64, 2),   # a learning rate 10x the notebook's
              ("cap", 1e-3, 1e-4, 32, 10))
# (label, lr, weight_decay, batch_size, epochs).
SOFTMAX = (("first", 5e-3, 0.0, 64, 3),
           ("notebook", 1e-3, 1e-3, 64, 3),     # what its search saves
           ("tuned", 1e-3, 0.0, 64, 10),
           ("cap", 1e-3, 0.0, 32, 10))


def binary_settings(pair: tuple[int, int], lam: float, lr: float, batch: int, epochs: int
                    ) -> dict[str, float]:
    return {"positive": pair[0], "negative": pair[1], "lam": lam, "lr": lr,
            "batch_size": batch, "epochs": epochs}


def one_vs_all_settings(lam: float, lr: float, batch: int, epochs: int) -> dict[str, float]:
    return {**{f"lam_{k}": lam for k in range(NUM_CLASSES)},
            **{f"lr_{k}": lr for k in range(NUM_CLASSES)}, "batch_size": batch, "epochs": epochs}


def softmax_settings(lr: float, weight_decay: float, batch: int, epochs: int
                     ) -> dict[str, float]:
    return {"lr": lr, "weight_decay": weight_decay, "batch_size": batch, "epochs": epochs}


def measure(target: str, label: str, settings: Mapping[str, float], parent: Mapping,
            training: Mapping, seeds: int) -> None:
    """Train `seeds` times and print one row of the table."""
    vals, tests, seconds = [], [], []
    for seed in range(seeds):
        start = time.perf_counter()
        params = train(target, settings, training, seed)
        seconds.append(time.perf_counter() - start)
        vals.append(accuracy(target, params, parent["X_val"], parent["y_val"], settings))
        tests.append(accuracy(target, params, parent["X_test"], parent["y_test"], settings))
    shown = {k: v for k, v in settings.items() if not k[-1].isdigit()}
    if target == "one_vs_all":
        shown = {"lam": settings["lam_0"], "lr": settings["lr_0"], **shown}
    what = " ".join(f"{k}={v:g}" for k, v in shown.items())
    print(f"{target:10s} {label:8s} {what:58s} | {statistics.median(vals):.3f} "
          f"({min(vals):.3f}-{max(vals):.3f}) | {statistics.median(tests):.3f} "
          f"({min(tests):.3f}-{max(tests):.3f}) | {statistics.median(seconds):5.1f}",
          flush=True)


def grade(repeats: int) -> None:
    """Time grade_submission of the SOI1010 edition (see the module docstring)."""
    from grading_time import time_gradings

    from autograder.assignment import load
    from autograder.assignments import samples as shared
    from autograder.assignments.soi1010 import samples

    def write(work: Path, i: int) -> Path:
        cells = samples.reference_cells()
        cells["split_train_val"] += f"\n# repeat {i}\n"   # its own content hash
        folder = work / f"s{i}"
        folder.mkdir()
        shared.fill_notebook(samples.RELEASE / samples.NOTEBOOK, cells,
                             folder / samples.NOTEBOOK)
        return samples.write_settings(folder, samples.SETTINGS)

    time_gradings(load("soi1010"), write, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true",
                        help="airplane/ship and the notebook's settings only")
    parser.add_argument("--grade", type=int, default=0, metavar="N",
                        help="time N gradings of the solution instead")
    args = parser.parse_args()
    if args.grade:
        grade(args.grade)
        return
    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    start = time.perf_counter()
    parent, training = prepare()
    print(f"prepare (CIFAR-10, split, standardize): {time.perf_counter() - start:.1f} s")
    print(f"{'target':10s} {'settings':8s} {'':58s} | val median (range)  | "
          f"test median (range) | s/training")
    pick = (lambda rows: [r for r in rows if r[0] == "notebook"]) if args.quick else list
    for pair in PAIRS[:1] if args.quick else PAIRS:
        for label, *values in pick(BINARY):
            measure("binary_svm", label, binary_settings(pair, *values), parent, training,
                    args.seeds)
    for label, *values in pick(ONE_VS_ALL):
        measure("one_vs_all", label, one_vs_all_settings(*values), parent, training,
                args.seeds)
    for label, *values in pick(SOFTMAX):
        measure("softmax", label, softmax_settings(*values), parent, training, args.seeds)


if __name__ == "__main__":
    main()
