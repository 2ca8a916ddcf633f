"""Read a submission as data, without executing any of it.

A submission is a folder (nbgrader's `submitted/<student>/<assignment>/` is one) or a .zip
holding the notebooks its assignment names (`autograder.assignment`: for the NumPy
assignment svm.ipynb and softmax.ipynb, and normally svm_best.npz and softmax_best.npz),
or the module files of CS231n's starter layout. Intake parses the notebooks as JSON,
finds the definition cells by nbgrader grade_id, checks that each parses as Python
(`ast.parse` only compiles to a tree, it runs nothing) and still defines what the checks
call, and locates the .npz files without opening them (they are read inside the sandbox).
Every problem becomes a `Problem` with a message for the student and the targets it makes
ungradable; nothing here raises for a bad submission.

`_parse` is the list of steps, one module each:

- `container`: the folder or .zip read, each file reached without following a link
  (`walk` for a folder, `archive` for a .zip), within `limits`;
- `starter`: CS231n's starter layout, whose definitions are its module files;
- `notebooks`: otherwise the notebooks' definition cells (`parsing`: Python 3 or what is
  wrong, Python 2 named as such; `definitions`: what the checks call is still defined);
- `container.note_missing_models`: each absent model file named with the cell that
  writes it;
- `findings`: the assignment's [rules] on the definitions' source;
- `submission`: the `Submission`, its content hash, and its JSON form.

Reading is bounded (`bounded`): `load_submission` parses in a separate process with limits
on memory and time (`limits.PARSE_MEMORY_BYTES`, `limits.PARSE_SECONDS`), so a notebook
built to make `json` or `ast` use gigabytes, a zip bomb or a damaged archive costs that
submission a clear message, never the grader's memory or the rest of the batch. Every text
taken from the submission (file names, cell sources) is decoded leniently (`names`).

No file is read through a link: a folder is walked one component at a time with
O_NOFOLLOW, from the submission itself (and nbgrader's student folder) down to every file
read, and a link on the way or a link member of a .zip refuses the whole submission with
a message naming it (a hard link is the file itself, read like any other). The
submission's id is `ids.submission_id` of its name.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import weakref
from pathlib import Path

from autograder.assignment import Assignment
from autograder.assignment import load as load_assignment
from autograder.assignment import loads as assignment_from_json
from autograder.intake.bounded import parse_bounded
from autograder.intake.container import note_missing_models, read_container
from autograder.intake.findings import apply_rules
from autograder.intake.names import lenient, submission_name
from autograder.intake.notebooks import read_notebooks
from autograder.intake.starter import read_starter, uses_starter_layout
from autograder.intake.submission import (
    NOTEBOOK_LAYOUT,
    STARTER,
    Problem,
    Submission,
    content_hash,
    to_json,
)

__all__ = ["NOTEBOOK_LAYOUT", "STARTER", "Problem", "Submission", "lenient",
           "load_submission", "main"]


def load_submission(path: str | os.PathLike[str],
                    spec: Assignment | None = None) -> Submission:
    """Parse the submission at `path` (folder or .zip) into a `Submission`; never raises
    for a malformed submission: each problem is recorded in `Submission.problems`.

    The parsing runs in a child process limited in memory and time (`parse_bounded`).
    For a .zip, the .npz members are extracted to a private temporary folder that lives as
    long as the returned `Submission`.
    """
    extract_to = tempfile.mkdtemp(prefix="autograder-intake-")
    os.chmod(extract_to, 0o700)
    submission = parse_bounded(Path(path), Path(extract_to), spec or load_assignment())
    weakref.finalize(submission, shutil.rmtree, extract_to, True)
    return submission


def main(argv: list[str]) -> None:
    """`main([_, SOURCE, EXTRACT_TO, SPEC])` (SPEC: the Assignment as JSON): the
    Submission parsed as JSON on stdout."""
    try:
        submission = _parse(Path(os.fsdecode(argv[1])), Path(argv[2]),
                            assignment_from_json(argv[3]))
    except MemoryError:
        sys.exit(3)
    sys.stdout.write(to_json(submission))


def _parse(source: Path, extract_to: Path, spec: Assignment) -> Submission:
    """Parse in this process (the bounded child of `load_submission`), step by step."""
    problems: list[Problem] = []
    files, model_files = read_container(source, extract_to, problems, spec)
    if uses_starter_layout(files, spec):
        return read_starter(source, files, model_files, problems, spec)
    cells, raw_cells = read_notebooks(source, files, problems, spec)
    note_missing_models(source, model_files, problems, spec)
    findings = apply_rules(cells, problems, spec)
    return Submission(source=source, name=submission_name(source), cells=cells,
                      problems=problems, content_hash=content_hash(raw_cells, model_files),
                      model_files=model_files, findings=findings, sources=raw_cells)
