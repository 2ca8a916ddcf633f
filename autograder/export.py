"""Export: the grade store -> CSV, Gradescope results.json, and nbgrader's gradebook.

    python -m autograder export --store PATH [--csv FILE] [--gradescope DIR] [--gradebook]
                                [--canvas FILE | --moodle FILE --roster ROSTER.csv]

Only rows whose grading finished (`status = graded`) are exported to Gradescope and the
gradebook; a row whose grading failed (`error`, e.g. a killed worker) appears in the CSV
with its status and no total, and is named on stderr: rerun `batch` to grade it.
Canvas' and Moodle's gradebook CSV, from a roster of the students' LMS identities, are
written by `lms` (its docstring documents the roster and both formats).

nbgrader gradebook
------------------
The scores go into nbgrader's own database through its API (`nbgrader.api.Gradebook`),
so `nbgrader export` and formgrader show them like scores from `nbgrader autograde`. The
assignment must already be in the gradebook, with its notebooks and grade cells: that is
what `python -m autograder release` (i.e. `nbgrader generate_assignment linear`) records,
with the course's `db_url` (nbgrader_config.py: `$NBGRADER_DB_URL`, else gradebook.db at
the course root). Export does not create it, so the grade cells and their points always
come from the instructor's source notebooks.

Our checks are grouped by `target`; each target maps to one autograded grade cell of the
source notebooks (the assignment's `[grade_cells]`). The cell's `auto_score` is its
targets' share of their points, scaled to the cell's own max points as recorded in the
gradebook; the NumPy edition's:

    target                   notebook        grade cell                      points
    svm_loss_naive           svm.ipynb       test_svm_loss_naive             10
    svm_loss_vectorized      svm.ipynb       test_svm_loss_vectorized        10
    linear_classifier        svm.ipynb       test_linear_classifier          10
    LinearSVM                svm.ipynb       test_svm_accuracy                5
    softmax_loss_naive       softmax.ipynb   test_softmax_loss_naive         10
    softmax_loss_vectorized  softmax.ipynb   test_softmax_loss_vectorized    10
    Softmax                  softmax.ipynb   test_softmax_accuracy            5

    auto_score = cell max points * (sum of its targets' check scores / their max)

(The PyTorch edition's one notebook has five cells, some of which several targets share.)

A cell whose target has no checks in the result (e.g. graded without CIFAR-10) is left
untouched. Manual grade cells (the inline questions) are never written: they stay
"needs manual grade" for formgrader. As in `nbgrader autograde`, a cell that already has a
manual score keeps it (nbgrader reports the manual score) and is flagged for review.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.assignment import DEFAULT
from autograder.assignment import load as load_assignment
from autograder.gradescope import results_document
from autograder.ids import csv_cell, terminal, unique_file_names
from autograder.release import ASSIGNMENT, ROOT
from autograder.store import Record


def check_names(records: Iterable[Record]) -> list[str]:
    """Every check name, in the order the grader ran them (first seen first)."""
    names: dict[str, None] = {}
    for record in records:
        for test in record.result.tests:
            names.setdefault(test["name"], None)
    return list(names)


def write_csv(records: Sequence[Record], path: Path) -> Path:
    """One row per submission: student, total, max, status, then one column per check.

    Every text cell goes through `ids.csv_cell`: an id a student chose (`=HYPERLINK(...)`)
    stays text in a spreadsheet, never a formula."""
    columns = check_names(records)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow([csv_cell(c) for c in ("student", "total", "max", "status", *columns)])
        for record in records:
            scores = {t["name"]: t["score"] for t in record.result.tests}
            total = (points(record.score), points(record.max_score)) if record.graded \
                else ("", "")
            writer.writerow([csv_cell(record.submission), *total, csv_cell(record.status),
                             *(points(scores[c]) if c in scores else "" for c in columns)])
    return path


def points(value: float) -> str:
    """A score as a spreadsheet shows it: at most 4 decimals, no trailing zeros."""
    return f"{value:.4f}".rstrip("0").rstrip(".")


def write_gradescope(records: Sequence[Record], folder: Path) -> list[Path]:
    """DIR/<student>/results.json (Gradescope's schema) for every graded submission, with
    the leaderboard columns its checks name."""
    written = []
    graded = [r for r in records if r.graded]
    # One folder per id, named safely (no separator, bounded, distinct even ignoring case).
    names = unique_file_names([r.submission for r in graded])
    for record in graded:
        target = folder / names[record.submission]
        target.mkdir(parents=True, exist_ok=True)
        path = target / "results.json"
        path.write_text(json.dumps(results_document(record.result), indent=2)
                        + "\n")
        written.append(path)
    return written


# ------------------------------------------------------------------ nbgrader gradebook


@dataclass(frozen=True)
class Course:
    """What nbgrader's configuration says about the course: its id and its gradebook."""

    root: Path
    course_id: str
    db_url: str


def course_settings(root: Path = ROOT) -> Course:
    """Read `root/nbgrader_config.py` the way nbgrader does (db_url, course_id)."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config_file = root / "nbgrader_config.py"
    if not config_file.is_file():
        raise FileNotFoundError(f"{config_file} not found: --course must be an nbgrader "
                                "course folder (the kit's repository is one)")
    config = PyFileConfigLoader(config_file.name, path=str(root)).load_config()
    coursedir = CourseDirectory(config=config)
    return Course(root=Path(coursedir.root or root), course_id=coursedir.course_id,
                  db_url=coursedir.db_url)


def cell_fractions(record: Record, grade_cells: Mapping[str, tuple[str, ...]]
                   ) -> dict[tuple[str, ...], float]:
    """Share of points earned per grade cell (0..1), over the checks of its targets, for
    cells whose targets had checks."""
    earned: dict[tuple[str, ...], list[float]] = {}
    for test in record.result.tests:
        cell = grade_cells.get(test.get("target"))
        if cell is not None:
            pair = earned.setdefault(tuple(cell), [0.0, 0.0])
            pair[0] += float(test["score"])
            pair[1] += float(test["max_score"])
    return {c: (s / m if m > 0 else 0.0) for c, (s, m) in earned.items()}


def gradebook_safe(submission: str) -> bool:
    """Whether an id may become an nbgrader student id: `nbgrader export` writes ids into
    its CSV as they are, so one a spreadsheet would run as a formula stays out."""
    return csv_cell(submission) == submission


def write_gradebook(records: Sequence[Record], db_url: str, course_id: str,
                    assignment: str = ASSIGNMENT) -> dict[str, dict[str, float]]:
    """Set the auto_score of each autograded cell of each graded submission.

    Returns {student: {grade cell: auto_score}} as written. Raises LookupError when the
    assignment (or one of its grade cells) is not in the gradebook.
    """
    from nbgrader.api import Gradebook, MissingEntry

    grade_cells = load_assignment(assignment).grade_cells
    written: dict[str, dict[str, float]] = {}
    with Gradebook(db_url, course_id=course_id) as gb:
        try:
            gb.find_assignment(assignment)
            cells = {(notebook, cell): gb.find_grade_cell(cell, notebook, assignment)
                     for notebook, cell in map(tuple, grade_cells.values())}
        except MissingEntry as exc:
            raise LookupError(
                f"the gradebook {db_url} lacks the assignment {assignment!r} or one of its "
                f"grade cells ({exc}): run `python -m autograder release` (nbgrader "
                f"generate_assignment {assignment}) with the same NBGRADER_DB_URL first"
            ) from None
        max_points = {key: float(cell.max_score) for key, cell in cells.items()}
        for record in records:
            if not record.graded or not gradebook_safe(record.submission):
                continue
            student = record.submission
            gb.update_or_create_student(student)
            extra = {"timestamp": record.submitted_at} if record.submitted_at else {}
            gb.update_or_create_submission(assignment, student, **extra)
            scores = {}
            for (notebook, cell), fraction in cell_fractions(record, grade_cells).items():
                grade = gb.find_grade(cell, notebook, assignment, student)
                grade.auto_score = round(max_points[notebook, cell] * fraction, 4)
                # nbgrader's rule (SaveAutoGrades): a manual score wins and needs review.
                grade.needs_manual_grade = grade.manual_score is not None
                scores[cell] = grade.auto_score
            gb.db.commit()
            written[student] = scores
    return written


def export(records: Sequence[Record], *, csv_path: Path | None = None,
           gradescope: Path | None = None, gradebook: Course | None = None,
           assignment: str = ASSIGNMENT) -> list[str]:
    """Write the requested outputs; returns one line per output for the user."""
    lines = []
    if csv_path is not None:
        write_csv(records, csv_path)
        lines.append(f"CSV: {csv_path} ({len(records)} rows)")
    if gradescope is not None:
        written = write_gradescope(records, gradescope)
        lines.append(f"Gradescope: {len(written)} results.json under {gradescope}")
    if gradebook is not None:
        written_gb = write_gradebook(records, gradebook.db_url, gradebook.course_id, assignment)
        lines.append(f"nbgrader gradebook {gradebook.db_url}: autograded scores of "
                     f"{len(written_gb)} submissions of {assignment!r}")
        unsafe = [r.submission for r in records if r.graded and not gradebook_safe(r.submission)]
        if unsafe:
            lines.append("not written to the gradebook (nbgrader's CSV export would make "
                         "these ids formulas; rename the submission and grade it again): "
                         + ", ".join(terminal(repr(u)) for u in unsafe))
    return lines


def main(store_path: Path, *, csv_path: Path | None, gradescope: Path | None,
         gradebook: bool, course: Path, assignment: str | None, canvas: Path | None = None,
         moodle: Path | None = None, roster: Path | None = None,
         lms_column: str | None = None) -> int:
    """The `export` subcommand: 0 written; 1 written, but ids on one side of the roster
    only, or the gradebook lacks the assignment; 2 nothing asked or an unusable roster."""
    from autograder import lms
    from autograder.store import open_store

    if csv_path is None and gradescope is None and not gradebook and not (canvas or moodle):
        print("nothing to export: give --csv FILE, --gradescope DIR, --gradebook, and/or "
              "--canvas FILE / --moodle FILE with --roster ROSTER.csv", file=sys.stderr)
        return 2
    if (canvas or moodle) and roster is None:
        print("--canvas and --moodle need --roster ROSTER.csv: the students' LMS identities "
              "by submission id (see `python -m autograder export --help`)", file=sys.stderr)
        return 2
    with open_store(store_path) as store:
        records = store.records()
        assignment = assignment or store.assignment or DEFAULT
    failed = [r.submission for r in records if not r.graded]
    if failed:
        print("not graded (grading failed; rerun batch): "
              f"{', '.join(terminal(f) for f in failed)}", file=sys.stderr)
    lines, mismatched = [], []
    try:
        if canvas or moodle:
            lines, mismatched = lms.export_lms(records, roster, canvas=canvas, moodle=moodle,
                                               column=lms_column or _title(assignment))
    except lms.RosterError as exc:
        print(f"error: {terminal(str(exc))}", file=sys.stderr)
        return 2
    settings = course_settings(course) if gradebook else None
    try:
        lines += export(records, csv_path=csv_path, gradescope=gradescope,
                        gradebook=settings, assignment=assignment)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for line in mismatched:
        print(terminal(line), file=sys.stderr)
    print("\n".join(lines))
    return 1 if mismatched else 0


def _title(assignment: str) -> str:
    """The LMS column's default name: the assignment's title."""
    from autograder.assignment import AssignmentError

    try:
        return load_assignment(assignment).title
    except AssignmentError:
        return assignment
