"""Grades into the LMS: the grade store as Canvas' and Moodle's gradebook import CSV.

    python -m autograder export --canvas FILE --roster ROSTER.csv [--lms-column NAME]
    python -m autograder export --moodle FILE --roster ROSTER.csv [--lms-column NAME]

The roster maps each submission id (the grade store's, i.e. the name of the student's zip
or folder) to the student's identity in the LMS. It is a CSV file with a header; column
names are matched ignoring case, spaces and underscores, so an LMS's own gradebook export
with a `Submission` column added is a roster:

    submission      the submission id (alice.zip or alice: the same id)      required column
    student / name  the student's name, as the LMS shows it
    id              Canvas' user id (the ID column of Canvas' export)
    sis user id     Canvas' SIS User ID
    sis login id    Canvas' SIS Login ID
    section         Canvas' section
    email / email address, idnumber / id number, username     Moodle's identifiers

Canvas (its gradebook importer): a header `Student, ID, SIS User ID, SIS Login ID,
Section, <assignment>`, a second row `Points Possible` with the assignment's maximum, then
one row per student with the points earned. Canvas finds the student by ID, else SIS User
ID, else SIS Login ID, else name, and the assignment by a column named `Name (id)` as
Canvas exports it (another name creates a new assignment). A blank grade changes nothing
that Canvas holds.

Moodle (Grades > Import > CSV file): the identifier columns the roster has (`ID number`,
`Email address`, `Username`), then the grade column; at import, map from the identifier
column to `useridnumber` / `useremail` / `username`, and the grade column to the grade
item. Moodle aborts the whole import on a row whose user it cannot find, and gives a row
without an identifier to the user of the row above, so a Moodle file holds roster rows
only (each with an identifier); a roster row without a grade gets `-`, Moodle's "no grade"
(it clears a grade typed in Moodle by hand: import before grading by hand there).

A name, a section and a submission id are written so that no spreadsheet runs them as a
formula (`ids.csv_cell`); the identifiers (IDs, SIS ids, email, idnumber, username) are
the institution's and are written as the roster has them, since the LMS matches them
exactly.

Both files hold roster rows only: a submission id the roster lacks is in neither. In the
Canvas file it would be a row with a name and no ids, which Canvas matches by name, and a
student may name their zip after a classmate ("Builder, Bob.zip") to take that classmate's
grade. Nothing is dropped silently: such an id and a roster student without a grade (no
submission, or grading failed: a blank grade) are named on stderr, and the export exits 1.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from autograder.export import points
from autograder.ids import csv_cell, submission_id
from autograder.store import Record

MAX_ROSTER_BYTES = 16 * 2**20
# Roster column -> its spellings (compared lowercased, without spaces and underscores).
COLUMNS = {
    "submission": ("submission", "submissionid"),
    "student": ("student", "name"),
    "canvas_id": ("id", "canvasid", "canvasuserid"),
    "sis_user_id": ("sisuserid",),
    "sis_login_id": ("sisloginid",),
    "section": ("section",),
    "email": ("email", "emailaddress"),
    "idnumber": ("idnumber",),
    "username": ("username",),
}
# Moodle identifier -> the column name Moodle's own export gives it.
MOODLE_IDS = {"idnumber": "ID number", "email": "Email address", "username": "Username"}


class RosterError(ValueError):
    """A roster that cannot be used: unreadable, no submission column, duplicate ids."""


@dataclass(frozen=True)
class Student:
    """One roster row: the LMS identity of a student, and the id of their submission."""

    line: int
    submission: str
    identity: dict[str, str] = field(default_factory=dict)

    def get(self, column: str) -> str:
        return self.identity.get(column, "")


@dataclass(frozen=True)
class Row:
    """One row to write: a roster student and their record, either possibly absent."""

    student: Student | None
    record: Record | None

    @property
    def grade(self) -> str:
        """Points earned, or blank where the submission is missing or was not graded."""
        return points(self.record.score) if self.record and self.record.graded else ""


def _key(name: str) -> str | None:
    spelled = name.strip().lower().replace(" ", "").replace("_", "")
    return next((column for column, names in COLUMNS.items() if spelled in names), None)


def read_roster(path: Path) -> list[Student]:
    """The roster's students (empty rows and the `Points Possible` row of a Canvas export
    are skipped). Raises RosterError."""
    try:
        data = path.read_bytes()[:MAX_ROSTER_BYTES + 1]
        text = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"the roster {path} cannot be read ({exc}): save it as UTF-8 "
                          "CSV") from None
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterError(f"the roster {path} is larger than {MAX_ROSTER_BYTES} bytes")
    rows = list(csv.reader(io.StringIO(text)))
    columns = [_key(name) for name in (rows[0] if rows else [])]
    if "submission" not in columns:
        raise RosterError(f"the roster {path} has no `submission` column (the submission id "
                          "of each student: the name of their zip or folder)")
    students, seen = [], {}
    for line, row in enumerate(rows[1:], start=2):
        values = {c: v.strip() for c, v in zip(columns, row, strict=False) if c and v.strip()}
        submission = values.pop("submission", "")
        if not submission and (not values or values == {"student": "Points Possible"}):
            continue    # an empty row, or the Points Possible row of a Canvas export
        student = Student(line, submission_id(submission) if submission else "", values)
        if student.submission in seen:
            raise RosterError(f"the roster {path} gives the submission {submission!r} to "
                              f"lines {seen[student.submission]} and {line}: one each")
        if student.submission:
            seen[student.submission] = line
        students.append(student)
    return students


@dataclass
class Matched:
    """The roster joined with the grade store, in roster order, then the store's ids the
    roster lacks."""

    rows: list[Row]

    @property
    def not_in_roster(self) -> list[str]:
        return [r.record.submission for r in self.rows if r.student is None and r.record]

    @property
    def without_grade(self) -> list[Student]:
        return [r.student for r in self.rows if r.student is not None and not r.grade]


def match(records: Sequence[Record], roster: Sequence[Student]) -> Matched:
    """Each roster student with their record, then each record no student claims."""
    by_id = {r.submission: r for r in records}
    rows = [Row(s, by_id.get(s.submission)) for s in roster]
    claimed = {s.submission for s in roster}
    rows += [Row(None, r) for r in records if r.submission not in claimed]
    return Matched(rows)


def points_possible(records: Sequence[Record]) -> str:
    """The assignment's maximum, from its graded records (the largest, if a rubric changed
    between gradings)."""
    maxima = [r.max_score for r in records if r.graded]
    return points(max(maxima)) if maxima else ""


def _write(path: Path, rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def write_canvas(matched: Matched, records: Sequence[Record], column: str, path: Path) -> Path:
    """Canvas' gradebook import CSV, roster rows only (see the module's docstring)."""
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", csv_cell(column)],
            ["Points Possible", "", "", "", "", points_possible(records)]]
    for row in matched.rows:
        s = row.student
        if s is None:
            continue    # not in the roster: Canvas would match its name (module docstring)
        # Names are shown, never matched, once an id is there: a formula stays text.
        # The ids are the institution's, and Canvas matches them as they are.
        rows.append([csv_cell(s.get("student") or s.submission), s.get("canvas_id"),
                     s.get("sis_user_id"), s.get("sis_login_id"),
                     csv_cell(s.get("section")), row.grade])
    return _write(path, rows)


def moodle_columns(roster: Sequence[Student]) -> list[str]:
    """The Moodle identifiers the roster has; raises RosterError for a student without
    one (Moodle would give their grade to the row above)."""
    present = [key for key in MOODLE_IDS if any(s.get(key) for s in roster)]
    missing = [s for s in roster if not any(s.get(key) for key in MOODLE_IDS)]
    if not present or missing:
        lines = ", ".join(str(s.line) for s in missing[:20])
        raise RosterError("every roster row needs a Moodle identifier (email, idnumber or "
                          f"username) for --moodle; missing on line(s) {lines}")
    return present


def write_moodle(matched: Matched, column: str, path: Path) -> Path:
    """Moodle's grade import CSV (roster rows only; see the module's docstring)."""
    keys = moodle_columns([r.student for r in matched.rows if r.student is not None])
    rows = [[*(MOODLE_IDS[k] for k in keys), csv_cell(column)]]
    for row in matched.rows:
        if row.student is not None:
            rows.append([*(row.student.get(k) for k in keys), row.grade or "-"])
    return _write(path, rows)


def problems(matched: Matched) -> list[str]:
    """What an instructor must see before importing: ids on one side only."""
    lines = []
    if matched.not_in_roster:
        lines.append("submissions not in the roster (add them to it and export again; they "
                     "are in no LMS file): " + ", ".join(matched.not_in_roster))
    if matched.without_grade:
        lines.append("roster students without a grade (no submission, or grading failed): "
                     + ", ".join(f"{s.get('student') or s.submission or '?'} (line {s.line})"
                                 for s in matched.without_grade))
    return lines


def export_lms(records: Sequence[Record], roster_path: Path, *, canvas: Path | None,
               moodle: Path | None, column: str) -> tuple[list[str], list[str]]:
    """Write the requested LMS files; returns the lines for the user and the problems
    (ids on one side only). Raises RosterError before writing anything."""
    roster = read_roster(roster_path)
    if moodle is not None:
        moodle_columns(roster)
    matched = match(records, roster)
    graded = len(roster) - len(matched.without_grade)
    lines = []
    if canvas is not None:
        write_canvas(matched, records, column, canvas)
        lines.append(f"Canvas: {canvas} ({graded} of {len(roster)} roster students graded; "
                     "Grades > Import, then review the changes Canvas shows)")
    if moodle is not None:
        write_moodle(matched, column, moodle)
        lines.append(f"Moodle: {moodle} ({graded} of {len(roster)} roster students graded; "
                     "Grades > Import > CSV file, map the identifier and grade columns)")
    return lines, problems(matched)
