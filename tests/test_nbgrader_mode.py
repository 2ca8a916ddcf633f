"""Plain `nbgrader autograde` (the weaker, same-kernel mode) scores a class, as a course
without our sandboxed grader would run it.

Two students hand in the whole assignment (every solution cell filled, the trained .npz
beside the notebooks): alice the reference solution, bob the same with a `train` that
draws a fresh W on every call, a bug only the hidden checks catch. nbgrader runs each
notebook top to bottom with the hidden test cells put back (they call
`autograder.inkernel.assert_checks`); softmax.ipynb runs before svm.ipynb and loads
LinearClassifier from the student's svm.ipynb.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from corpus_cells import entry_cells, solved_cells
from submissions import nbgrader_autograde, write_submission

from autograder.export import course_settings
from autograder.release import ASSIGNMENT, scratch_course

# The visible tests miss it (unlike e.g. svm_vectorized_reg_grad_no_factor_2, whose visible
# gradient check fails before the hidden checks run), and training from scratch, as the
# search cells do, is unaffected.
BUG = "buggy/train_reinitialises_W"
# The targets whose grade cells hold hidden tests (test_<target>).
HIDDEN = ("svm_loss_naive", "svm_loss_vectorized", "linear_classifier", "softmax_loss_naive",
          "softmax_loss_vectorized")
# The autograded grade cells and their points; the inline answers are graded by hand.
FULL_MARKS = {
    "test_svm_loss_naive": 10.0,
    "test_svm_loss_vectorized": 10.0,
    "test_linear_classifier": 10.0,
    "test_svm_accuracy": 5.0,
    "test_softmax_loss_naive": 10.0,
    "test_softmax_loss_vectorized": 10.0,
    "test_softmax_accuracy": 5.0,
}


def auto_scores(course: Path, student: str) -> dict[str, float | None]:
    """grade cell -> points nbgrader's autograder gave `student` (code cells only)."""
    from nbgrader.api import Gradebook

    url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(url, course_id=course_settings(course).course_id) as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        return {grade.name: grade.auto_score for notebook in submission.notebooks
                for grade in notebook.grades if grade.cell.cell_type == "code"}


def outputs(notebook: Path) -> dict[str, tuple[str, str]]:
    """Cell (grade_id, else its first line) -> (what it printed, the error it raised), in
    an autograded notebook."""
    found = {}
    for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"]:
        if cell["cell_type"] != "code":
            continue
        name = cell["metadata"].get("nbgrader", {}).get("grade_id") \
            or "".join(cell["source"]).partition("\n")[0]
        printed = "".join("".join(o["text"]) for o in cell["outputs"]
                          if o["output_type"] == "stream")
        raised = "".join(f"{o['ename']}: {o['evalue']}" for o in cell["outputs"]
                         if o["output_type"] == "error")
        found[name] = (printed, raised)
    return found


def autograded_cells(course: Path, student: str) -> dict[str, tuple[str, str]]:
    """`outputs` of both of `student`'s autograded notebooks."""
    folder = course / "autograded" / student / ASSIGNMENT
    return {**outputs(folder / "svm.ipynb"), **outputs(folder / "softmax.ipynb")}


@pytest.fixture(scope="module")
def autograded(tmp_path_factory: pytest.TempPathFactory, cifar10_path: Path,
               cifar10_cache: Path, trained_models) -> Path:
    """A scratch course where `nbgrader autograde linear` has run once for alice and bob."""
    course = scratch_course(tmp_path_factory.mktemp("nbgrader") / "course")
    npz = trained_models.reference()
    write_submission(course / "submitted" / "alice" / ASSIGNMENT, solved_cells(), npz)
    write_submission(course / "submitted" / "bob" / ASSIGNMENT,
                     {**solved_cells(), **entry_cells(BUG)}, npz)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CIFAR10_DIR", str(cifar10_path))
        env.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
        seconds = nbgrader_autograde(course)
    print(f"nbgrader autograde {ASSIGNMENT}, 2 students: {seconds:.0f} s")
    return course


@pytest.mark.cifar
@pytest.mark.slow
def test_correct_submission_gets_full_marks_and_runs_without_an_error(autograded: Path
                                                                      ) -> None:
    assert auto_scores(autograded, "alice") == FULL_MARKS
    cells = autograded_cells(autograded, "alice")
    assert {name: raised for name, (_, raised) in cells.items() if raised} == {}
    for target in HIDDEN:
        printed = cells[f"test_{target}"][0]
        assert re.search(rf"{target}: all \d+ hidden checks passed", printed), \
            f"test_{target} printed {printed!r}: were its hidden tests put back?"
        # The feedback says this mode has no sandbox between the code and its checks.
        assert "nbgrader's weaker mode" in printed


@pytest.mark.cifar
@pytest.mark.slow
def test_buggy_submission_loses_only_the_cell_whose_hidden_check_fails(autograded: Path
                                                                       ) -> None:
    assert auto_scores(autograded, "bob") == {**FULL_MARKS, "test_linear_classifier": 0.0}
    cells = autograded_cells(autograded, "bob")
    raised = {name: error for name, (_, error) in cells.items() if error}
    assert list(raised) == ["test_linear_classifier"]
    assert raised["test_linear_classifier"].startswith(
        "AssertionError: 1 of 5 hidden checks failed for linear_classifier:\n"
        "- linear_classifier: train steps W")
