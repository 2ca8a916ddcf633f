"""Submissions of the NumPy edition for the grader's tests, and nbgrader's own autograde.

The builders (the release notebooks with cells filled in, the starter layout, the model
store that trains the sample models on the real CIFAR-10, a corpus entry built from its
expected.toml) live in the assignment's samples module,
autograder/assignments/linear/samples.py, where the demo finds them too; they are
re-exported here for the tests. `nbgrader_autograde` runs the real `nbgrader autograde` on
the submissions of a scratch course (`autograder.release`).
"""

from __future__ import annotations

import time
from pathlib import Path

from autograder.assignments.linear.samples import (
    NPZ_OF,
    REFERENCE,
    Hyperparameters,
    ModelStore,
    build_entry,
    resaved,
    train_best_model,
    write_starter_submission,
    write_submission,
)
from autograder.assignments.samples import corrupt_notebook, zip_submission
from autograder.release import ASSIGNMENT, run_nbgrader

__all__ = ["NPZ_OF", "REFERENCE", "Hyperparameters", "ModelStore", "build_entry",
           "corrupt_notebook", "nbgrader_autograde", "resaved", "train_best_model",
           "write_starter_submission", "write_submission", "zip_submission"]


def nbgrader_autograde(course: Path, assignment: str = ASSIGNMENT) -> float:
    """Run the real `nbgrader autograde <assignment>` in `course`, an `autograder.release.
    scratch_course` with submissions in submitted/<student>/<assignment>/; returns wall
    seconds."""
    started = time.perf_counter()
    # nbgrader stops a cell after 30 s by default; the searches train for minutes. One BLAS
    # thread in the kernels: with two, on a 2-core machine with one other busy process,
    # OpenBLAS's threads wait for each other (measured: svm.ipynb's 1500-iteration training
    # cell took 21 s instead of 2 s).
    run_nbgrader(course, "autograde", assignment, "--Execute.timeout=1800",
                 db_path=course / "gradebook.db", env={"OPENBLAS_NUM_THREADS": "1"})
    return time.perf_counter() - started
