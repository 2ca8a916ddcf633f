"""CS231n's own starter layout, graded as it is.

Many courses hand out CS231n's starter code: students edit
cs231n/classifiers/linear_svm.py, softmax.py and linear_classifier.py (with the starter's
imports, `from past.builtins import xrange` included) and zip the assignment folder with
its notebooks. The grader reads the definitions from those files and runs the same checks
with the same messages as for the notebook layout; errors name the file and the line.
"""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from corpus_cells import reference_cells
from submissions import write_starter_submission, write_submission, zip_submission

from autograder import intake
from autograder import rubric as rubric_module
from autograder.grade import grade_submission

CODE_TARGETS = ["svm_loss_naive", "svm_loss_vectorized", "linear_classifier",
                "softmax_loss_naive", "softmax_loss_vectorized"]
RUBRIC = rubric_module.load()


def _starter_zip(tmp_path, cells=None, files=None):
    tmp_path.mkdir(parents=True, exist_ok=True)
    folder = write_starter_submission(tmp_path / "assignment1", cells or reference_cells(),
                                      files)
    return zip_submission(folder, tmp_path / "assignment1.zip")


def _by_name(result) -> dict[str, dict]:
    return {t["name"]: t for t in result.tests}


def _half_reg(cells: dict[str, str]) -> dict[str, str]:
    """The reference rewritten to the older starter's 0.5 * reg * sum(W**2) term."""
    out = {}
    for grade_id, text in cells.items():
        text = text.replace("+= reg * np.sum(W * W)", "+= 0.5 * reg * np.sum(W * W)")
        text = text.replace("+ reg * np.sum(W * W)", "+ 0.5 * reg * np.sum(W * W)")
        text = text.replace(" 2 * reg * W", " reg * W")
        out[grade_id] = text
    return out


def test_a_starter_zip_is_read_from_its_module_files(tmp_path):
    submission = intake.load_submission(_starter_zip(tmp_path))
    assert submission.layout == intake.STARTER
    assert submission.problems == []
    assert submission.origins == {
        "svm_loss_naive": "cs231n/classifiers/linear_svm.py",
        "svm_loss_vectorized": "cs231n/classifiers/linear_svm.py",
        "linear_classifier": "cs231n/classifiers/linear_classifier.py",
        "softmax_loss_naive": "cs231n/classifiers/softmax.py",
        "softmax_loss_vectorized": "cs231n/classifiers/softmax.py",
    }
    assert "from past.builtins import xrange" in submission.cells["svm_loss_naive"]


def test_the_starter_code_earns_what_the_same_code_earns_in_the_notebooks(tmp_path):
    starter = grade_submission(_starter_zip(tmp_path), targets=CODE_TARGETS)
    notebooks = grade_submission(write_submission(tmp_path / "nb", reference_cells()),
                                 targets=CODE_TARGETS)
    assert starter.max_score == notebooks.max_score > 0
    assert starter.score == notebooks.score == notebooks.max_score, [
        (t["name"], t["output"]) for t in starter.tests if t["score"] < t["max_score"]]
    assert list(_by_name(starter)) == list(_by_name(notebooks))


def test_an_error_names_the_module_file_and_line(tmp_path):
    cells = dict(reference_cells())
    cells["svm_loss_naive"] = cells["svm_loss_naive"].replace(
        "    return loss, dW", "    raise KeyError('margins')\n    return loss, dW")
    result = grade_submission(_starter_zip(tmp_path, cells), targets=["svm_loss_naive"])
    failing = [t for t in result.tests if t["score"] < t["max_score"]]
    assert failing
    line = next(n for n, text in enumerate(
        (tmp_path / "assignment1/cs231n/classifiers/linear_svm.py").read_text().splitlines(),
        start=1) if "raise KeyError" in text)
    assert f"(cs231n/classifiers/linear_svm.py, line {line})" in failing[0]["output"]
    assert "KeyError" in failing[0]["output"]


def test_each_function_is_graded_from_its_own_file(tmp_path):
    """A correct svm_loss_vectorized pasted at the end of linear_classifier.py (which runs
    last and shares svm's namespace) does not stand in for the stub in linear_svm.py: the
    checks call what linear_svm.py defines, as the starter's notebooks import it."""
    cells = dict(reference_cells())
    cells["linear_classifier"] += "\n\n" + cells["svm_loss_vectorized"]
    cells["svm_loss_vectorized"] = ("def svm_loss_vectorized(W, X, y, reg):\n"
                                    "    raise NotImplementedError\n")
    result = grade_submission(_starter_zip(tmp_path, cells), targets=["svm_loss_vectorized"])
    assert result.score == 0
    assert all("NotImplementedError" in t["output"] for t in result.tests)


def test_a_broken_module_costs_only_the_functions_in_it(tmp_path):
    broken = "def softmax_loss_naive(W, X, y, reg)\n    return 0.0, W\n"
    path = _starter_zip(tmp_path, files={"cs231n/classifiers/softmax.py": broken})
    submission = intake.load_submission(path)
    assert [p.notebook for p in submission.problems] == ["cs231n/classifiers/softmax.py"]
    assert "is not valid Python" in submission.problems[0].message
    result = _by_name(grade_submission(path, targets=["svm_loss_naive",
                                                      "softmax_loss_naive"]))
    svm = [t for n, t in result.items() if n.startswith("svm_loss_naive")]
    softmax = [t for n, t in result.items() if n.startswith("softmax_loss_naive")]
    assert svm and all(t["score"] == t["max_score"] for t in svm)
    assert softmax and all(t["score"] == 0 for t in softmax)
    assert all("cs231n/classifiers/softmax.py" in t["output"] for t in softmax)


def test_the_older_half_reg_convention_is_a_rubric_choice_named_in_the_message(tmp_path):
    path = _starter_zip(tmp_path, _half_reg(reference_cells()))
    today = _by_name(grade_submission(path, targets=["svm_loss_vectorized"]))
    wrong = [t for n, t in today.items() if "loss, " in n and t["score"] == 0]
    assert wrong, "0.5 * reg differs from reg * sum(W**2) wherever reg > 0"
    assert all("your code uses 0.5 * reg * sum(W**2) (the older CS231n starter)" in t["output"]
               and "this course's rubric uses reg * sum(W**2)" in t["output"] for t in wrong)
    older = dataclasses.replace(RUBRIC, own=dataclasses.replace(
        RUBRIC.own, regularization="0.5 * reg * sum(W**2)"))
    graded = grade_submission(path, rubric=older, targets=["svm_loss_vectorized",
                                                           "svm_loss_naive"])
    assert graded.score == graded.max_score, [
        (t["name"], t["output"]) for t in graded.tests if t["score"] < t["max_score"]]
    # And today's code fails under the older convention, which its message names.
    current = grade_submission(write_submission(tmp_path / "nb", reference_cells()),
                               rubric=older, targets=["svm_loss_naive"])
    assert any("0.5 * reg * sum(W**2)" in t["output"] for t in current.tests
               if t["score"] == 0)


@pytest.mark.cifar
@pytest.mark.slow
def test_a_missing_model_file_costs_its_checks_in_every_layout(grading_data, trained_models,
                                                               tmp_path):
    """The layout never picks the grading path or the maximum: without svm_best.npz and
    softmax_best.npz (CS231n's starter keeps its best model in memory) a starter submission
    gets the notebooks' checks and maximum, and the checks that need a file score 0 naming
    it and the cell that writes it; with the files beside its modules it earns full marks."""
    bare = grade_submission(_starter_zip(tmp_path / "bare"), data=grading_data)
    notebooks = grade_submission(write_submission(tmp_path / "nb", reference_cells(),
                                                  trained_models.reference()),
                                 data=grading_data)
    assert list(_by_name(bare)) == list(_by_name(notebooks))
    assert bare.max_score == notebooks.max_score == notebooks.score == 100
    assert bare.score == 70
    for t in bare.tests:
        if t["target"] in ("LinearSVM", "Softmax"):
            file, notebook = (("svm_best.npz", "svm.ipynb") if t["target"] == "LinearSVM"
                              else ("softmax_best.npz", "softmax.ipynb"))
            assert t["score"] == 0 and f"{file} is missing from the submission" in t["output"]
            assert f"the hyperparameter search cell of {notebook}" in t["output"]
    folder = write_starter_submission(tmp_path / "full" / "assignment1", reference_cells())
    for name, path in trained_models.reference().items():
        shutil.copyfile(path, folder / name)
    full = grade_submission(zip_submission(folder, tmp_path / "full.zip"), data=grading_data)
    assert full.score == full.max_score == 100, [
        (t["name"], t["output"]) for t in full.tests if t["score"] < t["max_score"]]
