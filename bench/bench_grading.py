"""What grading costs: our sandboxed grader vs `nbgrader autograde`, and a class's batch.

    CIFAR10_DIR=/path/to/cifar-10-batches-py python bench/bench_grading.py \
        [--repeats 5] [--batch 60] [--distinct 6] [--workers 2]

One run, side by side, on completed submissions (the release notebooks with every solution
cell filled in from the source notebooks, as a student who solved everything would hand
them in):

1. `nbgrader autograde linear` in a scratch course (the weaker same-kernel mode): the
   whole notebooks run top to bottom (data loading, the hyperparameter searches, the
   visible tests, the hidden test cells calling autograder.inkernel), with one BLAS thread
   in the kernel (tests/submissions.py `nbgrader_autograde`, as
   tests/test_nbgrader_mode.py runs it). Its score is printed too: 60 of the 60 autograded
   points (the 8 points of inline answers are graded by hand). softmax.ipynb runs before
   svm.ipynb is copied into autograded/; its cell that loads LinearClassifier from
   svm.ipynb then reads the student's copy in submitted/
   (`cs231n_data.notebook.load_definitions`).
2. `grade_submission` (sandboxed, every hidden check incl. the CIFAR-10 accuracy of a
   classifier trained with the saved hyperparameters) on `--repeats` distinct submissions
   of the reference's hyperparameters, with one `GradingData`: the first pays the
   reference's retraining for those settings, the others find it done; the median is over
   all of them. Preparing CIFAR-10 (`GradingData`) is timed separately: it is paid once
   per run.
3. `run_batch` over a class of `--batch` submissions (each with its own comment in one
   cell, hence its own content hash and hidden inputs) with `--workers` processes, from
   an empty store. Their hyperparameters cycle through `--distinct` settings of the
   notebooks' search grids (learning rate x regularization, SVM and Softmax), so a tenth
   of them (by default) bring settings nobody used before and pay a retraining. The
   projection for 1,000 submissions adds the run's fixed cost (preparing CIFAR-10,
   starting workers) to 1,000 times the measured rate, at the same share of new settings.

The saved weights of every submission are the reference models' (trained once, as the
search cells do); the hyperparameters beside them are the submission's.

The two-layer network edition's grade time: `python bench/bench_two_layer.py --grade 5`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

from autograder.release import ASSIGNMENT, ROOT, scratch_course

sys.path.insert(0, str(ROOT / "tests"))


def write_notebooks(folder: Path, note: str = "") -> Path:
    """The release notebooks with every solution cell filled in from the source notebooks;
    `note`, if given, as a comment at the end of the first one."""
    from autograder.assignments.linear.samples import solved_cells, write_submission

    cells = solved_cells()
    if note:
        cells["svm_loss_naive"] += f"\n# {note}\n"
    return write_submission(folder, cells)


def nbgrader_autograde(work: Path) -> tuple[float, str]:
    """Autograde one submission with nbgrader; (wall seconds, score)."""
    from nbgrader.api import Gradebook
    from submissions import nbgrader_autograde as autograde

    from autograder.export import course_settings

    course = scratch_course(work / "course")
    write_notebooks(course / "submitted" / "student" / ASSIGNMENT)
    seconds = autograde(course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}",
                   course_id=course_settings(course).course_id) as gb:
        submission = gb.find_submission(ASSIGNMENT, "student")
        score = f"{submission.score:g}/{submission.max_score:g} (max: 60 auto + 8 manual)"
    return seconds, score


# The notebooks' search grids (source/linear/*.ipynb): (learning rate, reg) per cell.
SVM_GRID = [(lr, reg) for lr in (1e-7, 2e-7) for reg in (5e3, 1e4, 2.5e4)]
SOFTMAX_GRID = [(lr, reg) for lr in (5e-7, 1e-6) for reg in (1e3, 2.5e3, 5e3)]


def with_hyperparameters(source: Path, target: Path, learning_rate: float, reg: float) -> None:
    """A copy of the .npz at `source` whose hyperparameters say `learning_rate`, `reg`."""
    import numpy as np

    with np.load(source, allow_pickle=False) as npz:
        fields = {k: npz[k] for k in npz.files}
    np.savez(target, **{**fields, "learning_rate": learning_rate, "reg": reg})


def write_class(folder: Path, count: int, distinct: int, npz: dict[str, Path]) -> None:
    """`count` submissions whose hyperparameters cycle through `distinct` grid settings."""
    for i in range(count):
        target = write_notebooks(folder / f"s{i:04d}" / ASSIGNMENT, note=f"submission {i}")
        k = i % distinct
        for name, grid in (("svm_best.npz", SVM_GRID), ("softmax_best.npz", SOFTMAX_GRID)):
            lr, reg = grid[k % len(grid)]
            # Past the grid's size, the settings differ in their regularization too.
            with_hyperparameters(npz[name], target / name, lr, reg * (1 + k // len(grid)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--batch", type=int, default=60)
    parser.add_argument("--distinct", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from autograder.assignments.linear.samples import ModelStore
    from autograder.batch import run_batch
    from autograder.grade import GradingData, grade_submission
    from autograder.store import GradeStore
    from cs231n_data.cifar10 import get_cifar10_data

    work = Path(tempfile.mkdtemp(prefix="bench-grading-"))
    try:
        print("nbgrader autograde (full notebooks) ...", file=sys.stderr, flush=True)
        nb_seconds, nb_score = nbgrader_autograde(work)
        print("training the best models ...", file=sys.stderr, flush=True)
        models = ModelStore(get_cifar10_data(), work / "models")
        models.folder.mkdir()
        with contextlib.redirect_stdout(sys.stderr):  # keep stdout for the table
            npz = models.reference()

        print("grade_submission ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        with GradingData() as data:
            prep_seconds = time.perf_counter() - started
            times, result = [], None
            for i in range(args.repeats):
                submission = write_notebooks(work / "ours" / f"s{i}", note=f"repeat {i}")
                for name, path in npz.items():
                    shutil.copy(path, submission / name)
                started = time.perf_counter()
                result = grade_submission(submission, data=data)
                times.append(time.perf_counter() - started)

        folder = work / "class"
        write_class(folder, args.batch, args.distinct, npz)
        print(f"batch of {args.batch} ...", file=sys.stderr, flush=True)
        with GradeStore(work / "store" / "grades.sqlite") as store:
            started = time.perf_counter()
            run = run_batch(folder, store, workers=args.workers, progress=False)
            batch_seconds = time.perf_counter() - started
        graded = sum(o.action == "graded" for o in run.attempts)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    assert result is not None
    median = statistics.median(times)
    per_sub = (batch_seconds - prep_seconds) / max(1, graded)
    projected = prep_seconds + 1000 * per_sub
    new_share = min(args.distinct, args.batch) / max(1, args.batch)
    rows = [
        ("nbgrader autograde linear (full notebooks, same kernel)", f"{nb_seconds:.1f}", "1",
         nb_score),
        ("grade_submission (sandbox, all checks), median", f"{median:.1f}",
         str(args.repeats), f"{result.score:g}/{result.max_score:g}"),
        ("  first of them (retrains the reference for its settings)", f"{times[0]:.1f}", "1",
         ""),
        ("  nbgrader autograde / grade_submission median", f"{nb_seconds / median:.1f}x", "",
         ""),
        ("  GradingData: prepare CIFAR-10 (once per run)", f"{prep_seconds:.1f}", "1", ""),
        (f"batch: {graded} submissions, {args.workers} workers (total)",
         f"{batch_seconds:.1f}", "1",
         f"{graded} graded, {new_share:.0%} with new settings"),
        ("  batch: wall time per submission", f"{per_sub:.2f}", "", ""),
        ("  projected: 1,000 submissions", f"{projected:.0f}",
         "", f"{projected / 60:.1f} min"),
    ]
    header = ("what", "wall s", "runs", "score / note")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]
    for row in [header, *rows]:
        print(f"{row[0]:<{widths[0]}}  {row[1]:>{widths[1]}}  {row[2]:>{widths[2]}}  {row[3]}")
    print(f"(grade_submission runs: {', '.join(f'{t:.1f}' for t in times)} s; "
          f"machine: {len(os.sched_getaffinity(0))} cores)")


if __name__ == "__main__":
    main()
