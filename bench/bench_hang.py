"""What a hanging loss function costs a batch: the same class graded with and without two
submissions whose softmax_loss_vectorized never returns, side by side.

    python bench/bench_hang.py [--students 20] [--hanging 2] [--workers 2]

Builds `--students` real submissions (the release notebooks with the reference cells and
models trained on CIFAR-10; CIFAR10_DIR must point at the data), grades them with
`batch`, then grades the same class where `--hanging` of them carry the hostile corpus's
hanging_softmax_loss cells, and prints both wall times, the extra cost per hanging
submission, and the scores of the hanging ones (all checks but those of
softmax_loss_vectorized and Softmax pass).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from autograder.assignments.linear.samples import (
    ModelStore,
    attack_cells,
    reference_cells,
    write_submission,
)
from autograder.batch import run_batch
from autograder.store import GradeStore
from cs231n_data.cifar10 import get_cifar10_data


def grade_class(folder: Path, workers: int) -> tuple[float, dict[str, float]]:
    with GradeStore(folder.parent / f"{folder.name}.sqlite") as store:
        started = time.perf_counter()
        run_batch(folder, store, workers=workers, progress=False)
        elapsed = time.perf_counter() - started
        return elapsed, {r.submission: r.score for r in store.records()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=20)
    parser.add_argument("--hanging", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="bench-hang-", dir="/tmp"))
    base.chmod(0o711)
    models = ModelStore(get_cifar10_data(num_dev=0), base / "models")
    models.folder.mkdir()
    npz = models.reference()
    hanging = attack_cells("hanging_softmax_loss")
    classes = {}
    for label, bad in (("without", 0), ("with", args.hanging)):
        folder = base / label
        for i in range(args.students):
            cells = hanging if i < bad else reference_cells()
            # A comment makes each submission distinct (its own content hash and seed).
            cells = {**cells, "svm_loss_naive": cells["svm_loss_naive"] + f"\n# student {i}\n"}
            write_submission(folder / f"student{i:02d}", cells, npz)
        classes[label] = grade_class(folder, args.workers)
    (plain, plain_scores), (hung, hung_scores) = classes["without"], classes["with"]
    hanging_scores = sorted({hung_scores[f"student{i:02d}"] for i in range(args.hanging)})
    print(f"| batch ({args.students} submissions, {args.workers} workers) | wall time (s) |")
    print("|--------------------------------------------|---------------|")
    print(f"| all correct                                | {plain:13.1f} |")
    print(f"| {args.hanging} with a hanging softmax_loss_vectorized  | {hung:13.1f} |")
    extra = (hung - plain) / max(args.hanging, 1)
    print(f"\nextra cost per hanging submission: {extra:.1f} s; their scores: "
          f"{hanging_scores}; the others: {sorted(set(plain_scores.values()))}")


if __name__ == "__main__":
    main()
