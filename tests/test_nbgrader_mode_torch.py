"""Plain `nbgrader autograde` (the same-kernel mode) scores the PyTorch edition too: its
hidden test cells call `assert_checks(..., assignment="linear_torch")`, which runs the
edition's own checks through the operations its sandbox serves (autograder/inkernel.py).

Two students hand in linear_classifier.ipynb with every solution cell filled and the
models the search saves: alice the reference solution, bob the same with a
test_one_param_set that reports the training accuracy as the validation accuracy, which
the visible tests miss (the search still picks a model that reaches the targets) and the
hidden checks catch.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from corpus_cells import notebook_cells
from submissions import nbgrader_autograde
from torch_submissions import NOTEBOOK, SOURCE, SPEC, write_submission

from autograder.export import course_settings
from autograder.release import scratch_course

BUG = ("test_one_param_set",
       'val_acc = (cls.predict(data_dict["X_val"]) == data_dict["y_val"]).double().mean().item()',
       "val_acc = train_acc")
# The autograded grade cells and their points (the source notebook's); the inline answers
# are graded by hand.
FULL_MARKS = {"test_svm_loss_naive": 10.0, "test_svm_loss_vectorized": 10.0,
              "test_softmax_loss": 20.0, "test_sgd": 15.0, "test_saved_models": 15.0}


def auto_scores(course: Path, student: str) -> dict[str, float | None]:
    from nbgrader.api import Gradebook

    url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(url, course_id=course_settings(course).course_id) as gb:
        submission = gb.find_submission(SPEC.source, student)
        return {grade.name: grade.auto_score for notebook in submission.notebooks
                for grade in notebook.grades if grade.cell.cell_type == "code"}


def errors(course: Path, student: str) -> dict[str, str]:
    """grade_id -> the error its cell raised, in `student`'s autograded notebook."""
    path = course / "autograded" / student / SPEC.source / NOTEBOOK
    found = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        raised = "".join(f"{o['ename']}: {o['evalue']}" for o in cell.get("outputs", [])
                         if o["output_type"] == "error")
        if raised:
            found[cell["metadata"].get("nbgrader", {}).get("grade_id", "?")] = raised
    return found


@pytest.fixture(scope="module")
def autograded(tmp_path_factory: pytest.TempPathFactory, cifar10_path: Path,
               cifar10_cache: Path, torch_models) -> Path:
    course = scratch_course(tmp_path_factory.mktemp("nbgrader-torch") / "course",
                            assignment=SPEC.source)
    solved = notebook_cells(SOURCE / NOTEBOOK)
    grade_id, old, new = BUG
    assert old in solved[grade_id]
    buggy = {**solved, grade_id: solved[grade_id].replace(old, new)}
    models = torch_models.reference()
    write_submission(course / "submitted" / "alice" / SPEC.source, solved, models)
    write_submission(course / "submitted" / "bob" / SPEC.source, buggy, models)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CIFAR10_DIR", str(cifar10_path))
        env.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
        seconds = nbgrader_autograde(course, SPEC.source)
    print(f"nbgrader autograde {SPEC.source}, 2 students: {seconds:.0f} s")
    return course


@pytest.mark.cifar
@pytest.mark.slow
def test_correct_torch_submission_gets_full_marks(autograded: Path) -> None:
    assert auto_scores(autograded, "alice") == FULL_MARKS
    assert errors(autograded, "alice") == {}


@pytest.mark.cifar
@pytest.mark.slow
def test_buggy_torch_submission_loses_only_the_cell_whose_hidden_check_fails(
        autograded: Path) -> None:
    assert auto_scores(autograded, "bob") == {**FULL_MARKS, "test_saved_models": 0.0}
    raised = errors(autograded, "bob")
    assert list(raised) == ["test_saved_models"]
    assert re.match(r"AssertionError: 1 of 1 hidden checks failed for test_one_param_set:\n"
                    r"- test_one_param_set: trains cls and reports its accuracies: "
                    r"test_one_param_set reported val_acc", raised["test_saved_models"]), raised
