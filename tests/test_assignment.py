"""Assignments are data: the engine reads what a submission holds from the assignment's
own folder (autograder/assignments/<name>/assignment.toml beside its rubric.toml)."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys

import pytest
from corpus_cells import reference_cells
from submissions import write_submission

from autograder import assignment, intake
from autograder import rubric as rubric_module


def test_the_numpy_assignment_describes_itself():
    spec = assignment.load("linear")
    assert "linear" in assignment.names()
    assert list(spec.notebooks) == ["svm.ipynb", "softmax.ipynb"]
    assert spec.definitions["linear_classifier"] == ("LinearClassifier",)
    assert spec.methods["LinearClassifier"] == ("train", "predict")
    assert spec.model_files == ("svm_best.npz", "softmax_best.npz")
    assert rubric_module.DEFAULT_PATH == spec.rubric_path
    assert spec.rubric_path.parent == spec.folder


def test_an_unknown_assignment_names_the_known_ones():
    with pytest.raises(assignment.AssignmentError, match="unknown assignment 'two_layer'.*"
                                                         "known: .*linear"):
        assignment.load("two_layer")


def test_a_malformed_description_names_its_file(tmp_path, monkeypatch):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "assignment.toml").write_text(
        'title = "x"\nsource = "x"\nchecks = "autograder.checks"\n'
        '[notebooks."a.ipynb"]\ncell = "not a list"\n'
        '[files]\nmodels = ["m.npz"]\n')
    monkeypatch.setattr(assignment, "FOLDER", tmp_path)
    with pytest.raises(assignment.AssignmentError, match=r"broken/assignment.toml.*"
                                                         r"notebooks.a.ipynb.cell"):
        assignment.load("broken")


def test_a_rule_whose_modules_are_not_a_list_names_the_key(tmp_path, monkeypatch):
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "assignment.toml").write_text(
        'title = "x"\nsource = "x"\nchecks = "autograder.checks"\n'
        '[notebooks."a.ipynb"]\ncell = ["f"]\n[files]\nmodels = ["m.npz"]\n'
        '[rules.autograd]\nfunctions = ["f"]\nimports = "torch"\n')
    monkeypatch.setattr(assignment, "FOLDER", tmp_path)
    with pytest.raises(assignment.AssignmentError, match=r"rules.autograd.imports"):
        assignment.load("broken")


def test_intake_reads_what_the_assignment_names(tmp_path):
    """Give the same notebooks a spec whose svm notebook is called lab.ipynb: intake now
    asks for lab.ipynb, and reads its cells by the spec's grade_ids."""
    folder = write_submission(tmp_path / "s", reference_cells())
    spec = assignment.load()
    renamed = dataclasses.replace(spec, notebooks={
        "lab.ipynb": spec.notebooks["svm.ipynb"],
        "softmax.ipynb": spec.notebooks["softmax.ipynb"]})
    missing = intake.load_submission(folder, renamed)
    assert any(p.notebook == "lab.ipynb" and "is missing" in p.message
               for p in missing.problems)
    assert "svm_loss_naive" not in missing.cells
    (folder / "lab.ipynb").write_text(json.dumps(json.loads(
        (folder / "svm.ipynb").read_text())))
    found = intake.load_submission(folder, renamed)
    assert set(found.cells) == set(spec.definitions)


def test_grade_takes_the_assignment_and_refuses_an_unknown_one(tmp_path):
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp_path),
                           "--assignment", "two_layer"], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 1
    assert "unknown assignment 'two_layer'; known: linear" in done.stderr


def test_a_submission_tells_its_assignment_by_its_files(tmp_path):
    import zipfile

    (tmp_path / "numpy").mkdir()
    (tmp_path / "numpy" / "svm.ipynb").write_text("{}")
    assert assignment.detect(tmp_path / "numpy") == ["linear"]
    with zipfile.ZipFile(tmp_path / "torch.zip", "w") as zf:
        zf.writestr("alice/linear_classifier.ipynb", "{}")
    assert assignment.detect(tmp_path / "torch.zip") == ["linear_torch"]
    # CS231n's starter layout: its linear_classifier.py is not the torch edition's module.
    with zipfile.ZipFile(tmp_path / "starter.zip", "w") as zf:
        zf.writestr("cs231n/classifiers/linear_classifier.py", "")
        zf.writestr("cs231n/classifiers/linear_svm.py", "")
    assert assignment.detect(tmp_path / "starter.zip") == ["linear"]
    (tmp_path / "both").mkdir()
    for name in ("svm.ipynb", "linear_classifier.ipynb"):
        (tmp_path / "both" / name).write_text("{}")
    assert assignment.detect(tmp_path / "both") == ["linear", "linear_torch"]
    (tmp_path / "junk.zip").write_bytes(b"PK\x03\x04 not a zip")
    assert assignment.detect(tmp_path / "junk.zip") == []
