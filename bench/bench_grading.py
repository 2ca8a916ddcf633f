"""What grading costs: our sandboxed grader vs `nbgrader autograde`, and batch throughput.

    CIFAR10_DIR=/path/to/cifar-10-batches-py python bench/bench_grading.py \
        [--repeats 3] [--batch 6] [--workers 2]

One run, side by side, on the same completed submission (the release notebooks with every
solution cell filled in from the source notebooks, as a student who solved everything
would hand them in):

1. `nbgrader autograde linear` in a temporary course (the weaker same-kernel mode): the
   whole notebooks run top to bottom (data loading, the hyperparameter searches, the
   visible tests, the hidden test cells calling autograder.inkernel). Its score is printed
   too: nbgrader runs softmax.ipynb before svm.ipynb and writes each notebook into
   autograded/ only after running it, so softmax.ipynb's cell that loads LinearClassifier
   from svm.ipynb beside it fails there, and so do the cells after it.
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
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from autograder.release import ASSIGNMENT, ROOT, nbgrader_env

SOURCE = ROOT / "source" / ASSIGNMENT
RELEASE = ROOT / "release" / ASSIGNMENT
NOTEBOOKS = ("svm.ipynb", "softmax.ipynb")


def completed_notebook(name: str, note: str = "") -> str:
    """The release notebook `name` with every solution cell taken from the source."""
    def grade_id(cell: dict) -> str | None:
        return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")

    solutions = {grade_id(c): c["source"] for c in
                 json.loads((SOURCE / name).read_text())["cells"]
                 if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    nb = json.loads((RELEASE / name).read_text())
    for cell in nb["cells"]:
        if grade_id(cell) in solutions:
            cell["source"] = solutions[grade_id(cell)]
            if note and cell["cell_type"] == "code":
                text = "".join(cell["source"]) if isinstance(cell["source"], list) \
                    else cell["source"]
                cell["source"] = text + f"\n# {note}\n"
                note = ""
    return json.dumps(nb, indent=1)


def write_notebooks(folder: Path, note: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in NOTEBOOKS:
        (folder / name).write_text(completed_notebook(name, note))
    return folder


def nbgrader_autograde(work: Path) -> tuple[float, str]:
    """Autograde one submission with nbgrader; (wall seconds, score)."""
    from nbgrader.api import Gradebook

    from autograder.export import course_settings

    course = work / "course"
    shutil.copytree(SOURCE, course / "source" / ASSIGNMENT,
                    ignore=shutil.ignore_patterns("*_best.npz"))
    shutil.copy(ROOT / "nbgrader_config.py", course)
    db = work / "gradebook.db"
    env = nbgrader_env(db)

    def nbgrader(*args: str) -> float:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                              capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"nbgrader {args[0]} failed:\n{proc.stdout}{proc.stderr}")
        return time.perf_counter() - started

    nbgrader("generate_assignment", ASSIGNMENT, "--force")
    write_notebooks(course / "submitted" / "student" / ASSIGNMENT)
    # nbgrader stops a cell after 30 s by default; the searches train for minutes.
    seconds = nbgrader("autograde", ASSIGNMENT, "--Execute.timeout=3600")
    with Gradebook(f"sqlite:///{db}", course_id=course_settings(course).course_id) as gb:
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

    sys.path.insert(0, str(ROOT / "tests"))
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
          f"machine: {shutil.which('nproc') and subprocess.getoutput('nproc')} cores)")


if __name__ == "__main__":
    main()
