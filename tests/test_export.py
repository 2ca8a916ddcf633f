"""Exports a TA uses: CSV, Gradescope results.json, and nbgrader's own gradebook.

The gradebook test runs the real tools: `nbgrader generate_assignment` records the
assignment in a temporary gradebook, our export writes the scores through nbgrader's API,
and `nbgrader export` (a subprocess) must then report them.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from autograder import assignment
from autograder import rubric as rubric_module
from autograder.assignments.linear.checks import build_checks
from autograder.export import write_csv, write_gradescope
from autograder.release import ASSIGNMENT, ROOT, nbgrader_env, run_nbgrader, scratch_course
from autograder.result import GradeResult
from autograder.store import ERROR, GradeStore, open_store

RUBRIC = rubric_module.load()


def make_result(student: str, fractions: Mapping[str, float], seed: int = 0,
                output: str = "") -> GradeResult:
    """A GradeResult with the real check list, each target scoring `fractions[target]`
    (default 1.0) of its points on every one of its checks."""
    tests = []
    for check in build_checks(seed, RUBRIC):
        fraction = fractions.get(check.target, 1.0)
        tests.append({"name": check.name, "score": round(check.points(RUBRIC) * fraction, 4),
                      "max_score": check.points(RUBRIC), "target": check.target,
                      "visibility": "visible",
                      "output": output or ("correct" if fraction == 1 else "wrong")})
    return GradeResult(student, f"hash-{student}", sum(t["score"] for t in tests),
                       sum(t["max_score"] for t in tests), tests, [], 3.0)


def make_store(path: Path, results: Mapping[str, GradeResult], errors: tuple[str, ...] = ()
               ) -> Path:
    with GradeStore(path) as store:
        for result in results.values():
            store.record(result, rubric_hash="r")
        for student in errors:
            store.record(GradeResult(student, f"hash-{student}", 0.0, 0.0, [],
                                     ["not graded: the grading process was killed"]),
                         rubric_hash="r", status=ERROR)
    return path


CLASS = {
    "alice": make_result("alice", {}),
    "bob": make_result("bob", {"svm_loss_naive": 0.5, "LinearSVM": 0.4,
                               "softmax_loss_naive": 0.0, "softmax_loss_vectorized": 0.0,
                               "Softmax": 0.0}),
}


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return make_store(tmp_path / "grades" / "grades.sqlite", CLASS, errors=("carol",))


def test_csv_has_a_row_per_student_and_a_column_per_check(store: Path, tmp_path: Path) -> None:
    with open_store(store) as s:
        write_csv(s.records(), tmp_path / "grades.csv")
    with (tmp_path / "grades.csv").open() as fh:
        rows = list(csv.DictReader(fh))
    checks = [c.name for c in build_checks(0, RUBRIC)]
    assert list(rows[0]) == ["student", "total", "max", "status", *checks]
    by_student = {r["student"]: r for r in rows}
    assert by_student["alice"]["total"] == "100" and by_student["alice"]["max"] == "100"
    bob = by_student["bob"]
    assert float(bob["total"]) == pytest.approx(CLASS["bob"].score)
    assert bob["svm_loss_naive: does not modify its inputs"] == "0.5"
    assert bob["Softmax: CIFAR-10 test accuracy"] == "0"
    # A submission whose grading failed is listed, without a total that could be mistaken.
    assert by_student["carol"]["status"] == "error" and by_student["carol"]["total"] == ""


def test_gradescope_results_json_per_graded_student(store: Path, tmp_path: Path) -> None:
    with open_store(store) as s:
        written = write_gradescope(s.records(), tmp_path / "gs")
    assert sorted(p.parent.name for p in written) == ["alice", "bob"]
    doc = json.loads((tmp_path / "gs" / "bob" / "results.json").read_text())
    assert doc["score"] == pytest.approx(CLASS["bob"].score)
    assert len(doc["tests"]) == len(CLASS["bob"].tests)
    for test in doc["tests"]:
        assert set(test) == {"name", "score", "max_score", "output", "visibility", "status",
                             "output_format"}
        assert test["status"] == ("passed" if test["score"] >= test["max_score"] else "failed")


@pytest.mark.parametrize("name", assignment.names())
def test_every_check_target_maps_to_a_source_grade_cell(name: str) -> None:
    spec = assignment.load(name)
    cells = {}
    for notebook in spec.notebooks:
        nb = json.loads((ROOT / "source" / spec.source / notebook).read_text())
        for cell in nb["cells"]:
            meta = cell["metadata"].get("nbgrader", {})
            if meta.get("grade") and cell["cell_type"] == "code":
                cells[(notebook.removesuffix(".ipynb"), meta["grade_id"])] = meta["points"]
    # Every target's points land in a cell, and every autograded cell gets some.
    assert set(spec.grade_cells) == set(spec.check_module.TARGETS)
    assert set(spec.grade_cells.values()) == set(cells)
    assert all(points > 0 for points in cells.values()), cells


@pytest.fixture(scope="module")
def released_course(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the course whose own gradebook (gradebook.db in it) knows the assignment."""
    return scratch_course(tmp_path_factory.mktemp("released") / "course")


@pytest.fixture
def course(released_course: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A fresh copy of the released course and its gradebook for one test."""
    course = shutil.copytree(released_course, tmp_path / "course")
    return course, course / "gradebook.db"


def export_to_gradebook(store: Path, course: Path, db: Path) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "export", "--store", str(store), "--gradebook",
         "--course", str(course)],
        cwd=course, env=nbgrader_env(db), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def nbgrader_export(course: Path, db: Path) -> dict[str, dict[str, str]]:
    run_nbgrader(course, "export", "--to", "grades.csv", db_path=db)
    with (course / "grades.csv").open() as fh:
        return {row["student_id"]: row for row in csv.DictReader(fh)}


def test_nbgrader_export_reports_the_autograded_scores(store: Path,
                                                       course: tuple[Path, Path]) -> None:
    root, db = course
    out = export_to_gradebook(store, root, db)
    assert "carol" in out  # named as not graded
    grades = nbgrader_export(root, db)
    assert set(grades) == {"alice", "bob"}  # carol's grading failed: nothing written
    # 60 autograded points (7 test cells) + 8 manual (inline questions) in the source.
    assert float(grades["alice"]["max_score"]) == 68.0
    assert float(grades["alice"]["score"]) == 60.0
    # bob: svm_loss_naive 10*0.5, svm_loss_vectorized 10, linear_classifier 10,
    # svm accuracy 5*0.4, the softmax cells 0.
    assert float(grades["bob"]["score"]) == pytest.approx(27.0)


def test_regrading_keeps_the_tas_manual_scores(store: Path, course: tuple[Path, Path]) -> None:
    from nbgrader.api import Gradebook

    root, db = course
    export_to_gradebook(store, root, db)
    with Gradebook(f"sqlite:///{db}") as gb:
        # A TA grades an inline question and overrides one autograded cell in formgrader.
        gb.find_grade("svm_inline_q1", "svm", ASSIGNMENT, "alice").manual_score = 2.0
        gb.find_grade("test_svm_loss_naive", "svm", ASSIGNMENT, "alice").manual_score = 8.0
        gb.db.commit()
    export_to_gradebook(store, root, db)
    assert float(nbgrader_export(root, db)["alice"]["score"]) == 60.0 - 10.0 + 8.0 + 2.0
    with Gradebook(f"sqlite:///{db}") as gb:
        overridden = gb.find_grade("test_svm_loss_naive", "svm", ASSIGNMENT, "alice")
        assert overridden.auto_score == 10.0 and overridden.needs_manual_grade


def test_export_without_the_assignment_says_to_release_first(store: Path,
                                                             tmp_path: Path) -> None:
    course = tmp_path / "empty-course"
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course)
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "export", "--store", str(store), "--gradebook",
         "--course", str(course)],
        env=nbgrader_env(tmp_path / "empty.db"), capture_output=True, text=True)
    assert proc.returncode == 1
    assert "python -m autograder release" in proc.stderr


# ------------------------------------------------------------------ ids students chose

HOSTILE_NAMES = ('=HYPERLINK("evil.example","grade me")', "+1-1", "@SUM(A1)",
                 "\x1b]0;pwned\x07\x1b[2J", "a" * 251, "<img src=x onerror=alert(1)>")


def hostile_class() -> dict[str, GradeResult]:
    from autograder.ids import submission_id

    return {submission_id(n): make_result(submission_id(n), {}) for n in HOSTILE_NAMES}


def test_no_csv_cell_is_a_formula_and_ordinary_ids_stay_as_they_are(tmp_path: Path) -> None:
    results = {**hostile_class(), **CLASS}
    store = make_store(tmp_path / "grades.sqlite", results)
    with open_store(store) as s:
        write_csv(s.records(), tmp_path / "grades.csv")
    with (tmp_path / "grades.csv").open() as fh:
        rows = list(csv.reader(fh))
    cells = [cell for row in rows for cell in row]
    assert not any(c.startswith(("=", "+", "@", "\t", "\r")) for c in cells)
    students = {row[0] for row in rows[1:]}
    assert "'=HYPERLINK(\"evil.example\",\"grade me\")" in students
    assert "'+1-1" in students and "'@SUM(A1)" in students
    assert {"alice", "bob"} <= students                       # the honest twins, unchanged
    assert {row[0]: row[1] for row in rows[1:]}["alice"] == "100"


def test_gradescope_folders_are_safe_names_for_every_id(tmp_path: Path) -> None:
    store = make_store(tmp_path / "grades.sqlite", {**hostile_class(), **CLASS})
    with open_store(store) as s:
        written = write_gradescope(s.records(), tmp_path / "gs")
    assert len(written) == len(HOSTILE_NAMES) + 2
    assert all(p.parent.parent == tmp_path / "gs" for p in written)
    assert (tmp_path / "gs" / "alice" / "results.json").is_file()


def test_a_formula_id_stays_out_of_the_nbgrader_gradebook() -> None:
    from autograder.export import gradebook_safe

    assert not gradebook_safe('=HYPERLINK("evil.example","grade me")')
    assert gradebook_safe("alice") and gradebook_safe("Ünïcode-name")


def test_export_names_failed_ids_without_control_characters(tmp_path: Path, capsys) -> None:
    from autograder.export import main
    from autograder.ids import submission_id

    hostile = submission_id("\x1b]0;pwned\x07")
    store = make_store(tmp_path / "grades.sqlite", CLASS, errors=(hostile,))
    assert main(store, csv_path=tmp_path / "g.csv", gradescope=None, gradebook=False,
                course=ROOT, assignment=None) == 0
    err = capsys.readouterr().err
    assert "not graded" in err and "\x1b" not in err and "\x07" not in err
