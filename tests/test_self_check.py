"""The student's check before submitting, as a student runs it from the unzipped bundle.

`python -m cs231n_data.submit` in the bundle's assignment folder (what a notebook cell's
`check()` runs) with the bundle's files alone, and `python -m autograder check` in the kit.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from submissions import write_starter_submission, write_submission

from autograder import assignment, self_check
from autograder.assignments import samples
from autograder.assignments.linear.samples import reference_cells, solved_cells
from autograder.assignments.samples import corrupt_notebook, fill_notebook, notebook_cells
from autograder.grade import grade_submission
from autograder.release import ROOT, build_student_bundle

EDITIONS = sorted({assignment.load(name).source for name in assignment.names()
                   if (ROOT / "release" / assignment.load(name).source).is_dir()})
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", re.DOTALL)
SECRET = "course-secret-3f9a1c77d2"


def _unzip_bundle(tmp_path: Path, edition: str) -> Path:
    """The student's folder: the bundle unzipped."""
    bundle = build_student_bundle(tmp_path / f"{edition}-student.zip", assignment=edition)
    with zipfile.ZipFile(bundle) as zf:
        zf.extractall(tmp_path / "student")
    return tmp_path / "student" / edition


def _student_check(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m cs231n_data.submit` run in `folder`, printing at the end where the
    engine it ran came from."""
    script = ("import sys; from cs231n_data.submit import main; code = main(sys.argv[1:]); "
              "import autograder; print('engine:', autograder.__file__); sys.exit(code)")
    return subprocess.run([sys.executable, "-c", script, *args], cwd=folder,
                          capture_output=True, text=True, timeout=900,
                          env={**os.environ, "OMP_NUM_THREADS": "1",
                               "OPENBLAS_NUM_THREADS": "1"})


@pytest.mark.parametrize("edition", EDITIONS)
def test_the_bundle_carries_nothing_hidden(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           edition: str) -> None:
    """No file of an assignment's folder (checks, oracle, inputs, reference, rubric), no
    hidden test's code and not the grader's secret reach the student."""
    monkeypatch.setenv("AUTOGRADER_SECRET", SECRET)
    bundle = build_student_bundle(tmp_path / "bundle.zip", assignment=edition)
    with zipfile.ZipFile(bundle) as zf:
        contents = {name: zf.read(name) for name in zf.namelist()}
    assert not [n for n in contents if "assignments/" in n or n.endswith("rubric.toml")]
    assert f"{edition}/cs231n_data/submit.py" in contents
    assert f"{edition}/cs231n_data/_check/autograder/intake/__init__.py" in contents
    hidden = [region.strip() for nb in (ROOT / "source" / edition).glob("*.ipynb")
              for cell in json.loads(nb.read_text())["cells"]
              for region in HIDDEN.findall("".join(cell["source"]))]
    assert hidden, f"source/{edition} has hidden tests to look for"
    for name, data in contents.items():
        assert SECRET.encode() not in data, name
        assert b"BEGIN HIDDEN TESTS" not in data, name
        for region in hidden:
            assert region.encode() not in data, f"{name} holds a hidden test"


@pytest.mark.cifar
@pytest.mark.parametrize("edition, answer, stubs", [
    ("linear", "svm.ipynb, cell `svm_inline_q1`",
     ["svm_loss_naive", "svm_loss_vectorized", "LinearClassifier.train",
      "LinearClassifier.predict", "softmax_loss_naive", "softmax_loss_vectorized"]),
    ("linear_torch", "linear_classifier.ipynb, cell `softmax_inline_q1`",
     ["svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive",
      "softmax_loss_vectorized", "sample_batch", "train_linear_classifier",
      "predict_linear_classifier", "svm_get_search_params", "softmax_get_search_params",
      "test_one_param_set"]),
    ("two_layer_net", "two_layer_net.ipynb, cell `two_layer_inline_q1`",
     ["affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss",
      "TwoLayerNet.__init__", "TwoLayerNet.loss"]),
])
def test_the_release_as_handed_out_is_not_ready_and_names_every_stub(
        tmp_path: Path, cifar10_env: Path, edition: str, answer: str, stubs: list[str]
) -> None:
    folder = _unzip_bundle(tmp_path, edition)
    done = _student_check(folder)
    assert done.returncode == 1, done.stdout + done.stderr
    for name in stubs:
        assert f"`{name}` is still the release's stub" in done.stdout
    # The abstract method the release means to raise is no stub.
    assert "`LinearClassifier.loss`" not in done.stdout
    assert "FAIL" in done.stdout and "NotImplementedError" in done.stdout
    assert "Not ready" in done.stdout
    assert f"note  {answer}: is not answered yet" in done.stdout
    # It ran on the bundle's own engine, not on a grader installed beside it.
    engine = done.stdout.rsplit("engine: ", 1)[1].strip()
    assert Path(engine).is_relative_to(folder / "cs231n_data" / "_check")


@pytest.mark.cifar
@pytest.mark.slow
def test_the_reference_solution_is_ready_and_grade_accepts_its_zip(
        tmp_path: Path, cifar10_env: Path, trained_models, grading_data) -> None:
    folder = _unzip_bundle(tmp_path, "linear")
    write_submission(folder, solved_cells(), trained_models.reference())
    out = tmp_path / "hand-in.zip"
    done = _student_check(folder, "--zip", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Ready to submit" in done.stdout
    assert "not answered" not in done.stdout
    for test in ("test_svm_loss_naive", "test_svm_loss_vectorized", "test_linear_classifier",
                 "test_svm_accuracy", "test_softmax_loss_naive",
                 "test_softmax_loss_vectorized", "test_softmax_accuracy"):
        assert f"PASS  {'softmax' if 'softmax' in test else 'svm'}.ipynb, test `{test}`" \
            in done.stdout
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["softmax.ipynb", "softmax_best.npz", "svm.ipynb",
                                         "svm_best.npz"]
    result = grade_submission(out, data=grading_data)
    assert not result.problems
    assert result.score == result.max_score


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.cifar
@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in assignment.names()
                                  if assignment.load(n).source in EDITIONS])
def test_the_check_changes_none_of_the_students_files(
        tmp_path: Path, cifar10_env: Path, sample_models_of, name: str) -> None:
    """The check runs the course's cells, one of which (SOI1010's) writes the settings file
    the searches chose: it once emptied that file, so the hand-in lost its settings. The
    unzipped bundle holding every assignment's reference solution and its saved models is
    byte for byte the same after the check, which only adds the zip; the notebooks still
    import the bundle's modules; SOI1010's is ready to hand in."""
    edition = assignment.load(name).source
    folder = _unzip_bundle(tmp_path, edition)
    solved = samples.load(name).build_entry("correct", tmp_path / "work",
                                            sample_models_of(name))
    shutil.copytree(solved, folder, dirs_exist_ok=True)
    before = _files(folder)
    shown: list[str] = []
    code = self_check.check(folder, self_check.load_kit(folder), show=shown.append)
    out = "\n".join(shown)
    after = _files(folder)
    assert set(after) == {*before, f"{edition}_submission.zip"}, out
    assert [n for n in before if after[n] != before[n]] == [], out
    # A setup cell is shown only when it fails (its imports, the data).
    assert "setup cell" not in out, out
    if name == "soi1010":
        assert code == 0 and "Ready to submit" in out, out
        assert "FAIL" not in out
        assert "note  svm_softmax.ipynb, test `test_settings`\n        not run here: it " \
            "needs `X_val_rows`" in out


@pytest.mark.cifar
def test_a_deleted_graded_cell_and_a_damaged_model_are_named_by_the_kit_command(
        tmp_path: Path, cifar10_env: Path) -> None:
    folder = _unzip_bundle(tmp_path, "linear")
    corrupt_notebook(folder / "svm.ipynb", "delete_cell", "svm_loss_vectorized")
    (folder / "svm_best.npz").write_bytes(b"PK\x03\x04 not a whole file")
    done = subprocess.run([sys.executable, "-m", "autograder", "check", str(folder)],
                          capture_output=True, text=True, timeout=900, cwd=ROOT,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 1, done.stdout + done.stderr
    assert ("svm.ipynb, cell `svm_loss_vectorized`: is missing (the cell was deleted or its "
            "metadata lost)") in done.stdout
    assert ("svm_best.npz: cannot be read as data (") in done.stdout
    assert "write it again with the hyperparameter search cell of svm.ipynb" in done.stdout
    with zipfile.ZipFile(folder / "linear_submission.zip") as zf:
        assert sorted(zf.namelist()) == ["softmax.ipynb", "svm.ipynb", "svm_best.npz"]


@pytest.mark.cifar
def test_a_cell_that_never_ends_is_stopped_and_named(tmp_path: Path, cifar10_env: Path) -> None:
    folder = _unzip_bundle(tmp_path, "two_layer_net")
    fill_notebook(folder / "two_layer_net.ipynb",
                  {"relu_forward": "def relu_forward(x):\n    while True:\n        pass\n"},
                  folder / "two_layer_net.ipynb")
    done = _student_check(folder, "--cell-timeout", "3")
    assert done.returncode == 1, done.stdout + done.stderr
    after = done.stdout.split("test `test_relu_forward`", 1)[1]
    assert after.lstrip().startswith("stopped after 3 s, the time limit of a cell")
    # The run goes on after the stopped cell.
    assert "test `test_best_model`" in after


def test_a_stub_left_in_a_starter_module_is_named_with_its_file(tmp_path: Path) -> None:
    """CS231n's starter layout (definitions in cs231n/classifiers/*.py): intake and the
    stubs are checked; the notebook tests are not run on cells that hold no definitions."""
    stub = notebook_cells(ROOT / "release" / "linear" / "svm.ipynb",
                          ["svm_loss_vectorized"])["svm_loss_vectorized"]
    folder = write_starter_submission(tmp_path / "starter",
                                      {**reference_cells(), "svm_loss_vectorized": stub})
    shown: list[str] = []
    code = self_check.check(folder, self_check.load_kit(folder), show=shown.append)
    out = "\n".join(shown)
    assert code == 1
    assert ("cs231n/classifiers/linear_svm.py: `svm_loss_vectorized` is still the release's "
            "stub") in out
    assert "`svm_loss_naive` is still" not in out
    assert "Visible tests: not run here" in out
    with zipfile.ZipFile(folder / "linear_submission.zip") as zf:
        assert "cs231n/classifiers/linear_svm.py" in zf.namelist()
