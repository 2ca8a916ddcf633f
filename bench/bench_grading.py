"""What grading costs: our sandboxed grader vs `nbgrader autograde`, and batch throughput.

    CIFAR10_DIR=/path/to/cifar-10-batches-py python bench/bench_grading.py \
        [--repeats 3] [--batch 6] [--workers 2]

One run, side by side, on the same completed submission (the release notebooks with every
solution cell filled in from the source notebooks, as a student who solved everything
would hand them in):

1. `nbgrader autograde linear` in a scratch course (the weaker same-kernel mode): the
   whole notebooks run top to bottom (data loading, the hyperparameter searches, the
   visible tests, the hidden test cells calling autograder.inkernel), with one BLAS thread
   in the kernel (tests/submissions.py `nbgrader_autograde`, as
   tests/test_nbgrader_mode.py runs it). Its score is printed too: 60 of the 60 autograded
   points (the 8 points of inline answers are graded by hand). softmax.ipynb runs before
   svm.ipynb is copied into autograded/; its cell that loads LinearClassifier from
   svm.ipynb then reads the student's copy in submitted/
   (`cs231n_data.notebook.load_definitions`).
2. `grade_submission` (sandboxed, every hidden check incl. retraining on CIFAR-10 with the
   saved hyperparameters), `--repeats` times with one `GradingData`; median wall time.
   Preparing CIFAR-10 (`GradingData`) is timed separately: it is paid once per run. The
   .npz files are the notebooks' best models, trained with the hyperparameters their
   search cells pick (tests/submissions.py, as the grader's tests build submissions).
3. `run_batch` over `--batch` copies of the submission (each with a different comment in
   one cell, so each has its own content hash and hidden inputs) with `--workers`
   processes, from an empty store; the projection for 500 submissions adds the run's fixed
   cost (preparing CIFAR-10, starting workers) to 500 times the per-submission rate.
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
    from corpus_cells import solved_cells
    from submissions import write_submission

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=6)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    from submissions import ModelStore

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

        submission = write_notebooks(work / "ours" / "student")
        for name, path in npz.items():
            shutil.copy(path, submission / name)
        print("grade_submission ...", file=sys.stderr, flush=True)
        started = time.perf_counter()
        with GradingData() as data:
            prep_seconds = time.perf_counter() - started
            times, result = [], None
            for _ in range(args.repeats):
                started = time.perf_counter()
                result = grade_submission(submission, data=data)
                times.append(time.perf_counter() - started)

        folder = work / "class"
        for i in range(args.batch):
            target = write_notebooks(folder / f"s{i:03d}" / ASSIGNMENT,
                                     note=f"submission {i}")
            for name, path in npz.items():
                shutil.copy(path, target / name)
        print(f"batch of {args.batch} ...", file=sys.stderr, flush=True)
        with GradeStore(work / "store" / "grades.sqlite") as store:
            started = time.perf_counter()
            run = run_batch(folder, store, workers=args.workers, progress=False)
            batch_seconds = time.perf_counter() - started
        graded = sum(o.action == "graded" for o in run.attempts)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    assert result is not None
    per_sub = (batch_seconds - prep_seconds) / max(1, graded)
    projected = prep_seconds + 500 * per_sub
    rows = [
        ("nbgrader autograde linear (full notebooks, same kernel)", f"{nb_seconds:.1f}", "1",
         nb_score),
        ("grade_submission (sandbox, all checks), median", f"{statistics.median(times):.1f}",
         str(args.repeats), f"{result.score:g}/{result.max_score:g}"),
        ("  GradingData: prepare CIFAR-10 (once per run)", f"{prep_seconds:.1f}", "1", ""),
        (f"batch: {graded} submissions, {args.workers} workers (total)",
         f"{batch_seconds:.1f}", "1", f"{graded} graded"),
        ("  batch: wall time per submission", f"{per_sub:.1f}", "", ""),
        ("  projected: 500 submissions", f"{projected:.0f}",
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
