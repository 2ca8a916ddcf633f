"""Grades into the LMS: the grade store as Canvas' and Moodle's import CSV, from a roster.

A TA grades a class, writes a roster (or adds a `submission` column to the LMS's own
gradebook export) and runs `python -m autograder export --canvas/--moodle`. Every roster
student gets a row, ids on one side only are named on stderr and make the exit code 1,
and a roster that cannot be used writes nothing.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from test_export import CLASS, make_result, make_store

from autograder.assignment import load as load_assignment

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """alice and bob graded, carol's grading failed, eve graded but not in any roster."""
    return make_store(tmp_path / "grades.sqlite",
                      {**CLASS, "eve": make_result("eve", {"Softmax": 0.0})},
                      errors=("carol",))


def write_roster(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


ROSTER = [
    ["Submission", "Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Email"],
    ["alice.zip", "Liddell, Alice", "1001", "S-1", "aliddell", "CS231n 01", "alice@uni.edu"],
    ["bob", "Builder, Bob", "1002", "S-2", "bbuilder", "CS231n 02", "bob@uni.edu"],
    ["carol", "Singer, Carol", "1003", "S-3", "csinger", "CS231n 01", "carol@uni.edu"],
    ["", "Dodo, Dave", "1004", "S-4", "ddodo", "CS231n 02", "dave@uni.edu"],   # no submission
]


def export(store: Path, *args: str | Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "export", "--store", str(store),
                           *map(str, args)], capture_output=True, text=True, timeout=120)


def read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


def test_canvas_gradebook_csv_has_every_student_and_names_the_mismatches(
        store: Path, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.csv", ROSTER)
    proc = export(store, "--canvas", tmp_path / "canvas.csv", "--roster", roster)
    assert proc.returncode == 1, proc.stderr          # written, but not everyone matched
    rows = read(tmp_path / "canvas.csv")
    title = load_assignment("linear").title
    assert rows[0] == [*CANVAS_HEADER, title]
    assert rows[1] == ["Points Possible", "", "", "", "", "100"]
    by_name = {row[0]: row for row in rows[2:]}
    assert by_name["Liddell, Alice"] == ["Liddell, Alice", "1001", "S-1", "aliddell",
                                         "CS231n 01", "100"]
    assert float(by_name["Builder, Bob"][5]) == pytest.approx(CLASS["bob"].score)
    assert by_name["Singer, Carol"][5] == ""           # grading failed: blank, not zero
    assert by_name["Dodo, Dave"][5] == ""              # no submission
    # eve was graded but is in no roster: not in the file (Canvas would match her by name).
    assert "eve" not in by_name
    assert len(rows) == 2 + 4
    assert "submissions not in the roster" in proc.stderr and "eve" in proc.stderr
    without = proc.stderr[proc.stderr.index("without a grade"):]
    assert "Singer, Carol" in without and "Dodo, Dave" in without
    assert "Liddell" not in without and "Builder" not in without


def test_moodle_csv_holds_roster_rows_with_their_identifier(store: Path, tmp_path: Path) -> None:
    roster = write_roster(tmp_path / "roster.csv", ROSTER)
    proc = export(store, "--moodle", tmp_path / "moodle.csv", "--roster", roster,
                  "--lms-column", "Assignment 1")
    assert proc.returncode == 1, proc.stderr
    rows = read(tmp_path / "moodle.csv")
    assert rows[0] == ["Email address", "Assignment 1"]
    grades = dict(rows[1:])
    assert grades["alice@uni.edu"] == "100"
    assert float(grades["bob@uni.edu"]) == pytest.approx(CLASS["bob"].score)
    assert grades["carol@uni.edu"] == "-" and grades["dave@uni.edu"] == "-"  # Moodle's no grade
    # eve has no Moodle identity: a row without one would go to the student above it.
    assert len(rows) == 1 + 4
    assert "eve" in proc.stderr and "not in the roster" in proc.stderr


def test_a_zip_named_after_a_classmate_does_not_reach_the_classmate_in_canvas(
        tmp_path: Path) -> None:
    """A student not in the roster names their zip as Canvas shows a classmate: Canvas
    matches a row without ids by name, so no such row is written; the id is on stderr."""
    store = make_store(tmp_path / "grades.sqlite",
                       {**CLASS, "Builder, Bob": make_result("Builder, Bob", {"Softmax": 0.0})})
    roster = write_roster(tmp_path / "roster.csv", ROSTER[:3])
    proc = export(store, "--canvas", tmp_path / "c.csv", "--roster", roster)
    assert proc.returncode == 1
    assert "not in the roster" in proc.stderr and "Builder, Bob" in proc.stderr
    rows = read(tmp_path / "c.csv")[2:]
    assert [row[:2] for row in rows] == [["Liddell, Alice", "1001"], ["Builder, Bob", "1002"]]
    assert float(rows[1][5]) == pytest.approx(CLASS["bob"].score)   # bob's own grade only


def test_a_full_match_exits_zero_and_a_named_canvas_assignment_is_kept(
        tmp_path: Path) -> None:
    store = make_store(tmp_path / "grades.sqlite", CLASS)
    roster = write_roster(tmp_path / "roster.csv", ROSTER[:3])
    proc = export(store, "--canvas", tmp_path / "c.csv", "--moodle", tmp_path / "m.csv",
                  "--roster", roster, "--lms-column", "Linear classifiers (4521)")
    assert proc.returncode == 0, proc.stderr
    assert read(tmp_path / "c.csv")[0][-1] == "Linear classifiers (4521)"
    assert len(read(tmp_path / "m.csv")) == 3
    assert "not in the roster" not in proc.stderr and "without a grade" not in proc.stderr


def test_a_canvas_gradebook_export_with_a_submission_column_is_a_roster(
        tmp_path: Path) -> None:
    """What Canvas exports: a byte-order mark, the Points Possible row, score columns."""
    store = make_store(tmp_path / "grades.sqlite", CLASS)
    text = ("\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Quiz 1 (77),submission\r\n"
            "    Points Possible,,,,,10,\r\n"
            '"Liddell, Alice",1001,S-1,aliddell,CS231n 01,9,alice\r\n'
            '"Builder, Bob",1002,S-2,bbuilder,CS231n 02,7,bob.zip\r\n')
    roster = tmp_path / "canvas-export.csv"
    roster.write_text(text, encoding="utf-8")
    proc = export(store, "--canvas", tmp_path / "c.csv", "--roster", roster)
    assert proc.returncode == 0, proc.stderr
    rows = read(tmp_path / "c.csv")
    assert [row[:2] for row in rows[2:]] == [["Liddell, Alice", "1001"], ["Builder, Bob", "1002"]]


@pytest.mark.parametrize("rows, message", [
    ([["Student", "Email"], ["Alice", "alice@uni.edu"]], "no `submission` column"),
    ([["submission", "email"], ["alice", "a@uni.edu"], ["alice.zip", "b@uni.edu"]],
     "lines 2 and 3"),
    ([["submission", "student"], ["alice", "Alice"]], "Moodle identifier"),
])
def test_an_unusable_roster_writes_nothing(store: Path, tmp_path: Path,
                                           rows: list[list[str]], message: str) -> None:
    roster = write_roster(tmp_path / "roster.csv", rows)
    proc = export(store, "--canvas", tmp_path / "c.csv", "--moodle", tmp_path / "m.csv",
                  "--roster", roster)
    assert proc.returncode == 2
    assert message in proc.stderr
    assert not (tmp_path / "c.csv").exists() and not (tmp_path / "m.csv").exists()


def test_lms_export_needs_a_roster(store: Path, tmp_path: Path) -> None:
    proc = export(store, "--canvas", tmp_path / "c.csv")
    assert proc.returncode == 2 and "--roster" in proc.stderr
    assert not (tmp_path / "c.csv").exists()


def test_an_id_a_student_chose_is_text_in_the_file_and_on_the_terminal(
        tmp_path: Path) -> None:
    """Two students named their zips as formulas: one the roster lists without a name (its
    id is the row's name in the file), one it lacks (named on the terminal only)."""
    from autograder.ids import submission_id

    listed = submission_id('=HYPERLINK("evil.example","x")')
    hostile = submission_id('=HYPERLINK("evil.example","y")\x1b[2J')
    store = make_store(tmp_path / "grades.sqlite", {i: make_result(i, {})
                                                    for i in (listed, hostile)})
    roster = write_roster(tmp_path / "roster.csv", [*ROSTER[:2], [listed, "", "1009"]])
    proc = export(store, "--canvas", tmp_path / "c.csv", "--roster", roster)
    assert proc.returncode == 1
    assert "\x1b" not in proc.stderr and '"y")' in proc.stderr
    cells = [cell for row in read(tmp_path / "c.csv") for cell in row]
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert "'" + listed in cells and "1009" in cells
    assert not any('"y")' in c for c in cells)          # not in the roster: not in the file
