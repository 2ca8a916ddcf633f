"""Grading one submission as an instructor runs it: `python -m autograder grade PATH`.

What a TA relies on: a regrade gives the same score; `--json` prints exactly one Gradescope
results.json document; a broken submission is graded (exit status 0) with every check of
the rubric listed; a missing data set stops the grader with a message saying what to do.
The corpus (test_corpus.py) checks the scores and messages of many submissions.
"""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from corpus_cells import reference_cells
from submissions import build_entry, write_starter_submission, write_submission

from autograder import intake, rubric
from autograder.assignment import load as load_assignment
from autograder.assignments.linear import inputs
from autograder.assignments.linear.checks import build_checks
from autograder.grade import (
    GradingData,
    GradingError,
    ReferenceTiming,
    grade_submission,
    missing_models,
    prepare_training_data,
    reference_seed,
    seed_of,
)
from autograder.sandbox import SandboxSession

ROOT = Path(__file__).resolve().parent.parent
GRADESCOPE_VISIBILITY = {"hidden", "after_due_date", "after_published", "visible"}
RUBRIC = rubric.load()


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", *args], cwd=ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True,
                          timeout=600)


def every_check_name(content_hash: str) -> list[str]:
    return [check.name for check in build_checks(seed_of(content_hash), RUBRIC)]


# --------------------------------------------------------------------------- without CIFAR-10


def test_a_path_that_is_nothing_still_lists_every_check_with_the_reason(tmp_path):
    result = grade_submission(tmp_path / "nobody.zip", data=None)
    assert result.score == 0 and result.max_score == 100
    assert [t["name"] for t in result.tests] == every_check_name(result.content_hash)
    assert all(t["output"].startswith("not graded: nobody.zip: ") and "does not exist"
               in t["output"] for t in result.tests)
    assert result.problems and all("does not exist" in p for p in result.problems)


def test_stubs_are_graded_zero_without_data_and_the_cifar_checks_say_why(tmp_path):
    # The untouched release notebooks: every function raises NotImplementedError.
    result = grade_submission(write_submission(tmp_path / "stubs", {}), data=None)
    assert result.score == 0 and result.max_score == 100
    by_name = {t["name"]: t for t in result.tests}
    assert "fill in the stub" in by_name["svm_loss_naive: loss, N=7 D=5 C=10, reg=0"]["output"]
    assert by_name["LinearSVM: CIFAR-10 validation accuracy"]["output"] == (
        "not graded: svm_best.npz: svm_best.npz is missing from the submission: it is written "
        "by the hyperparameter search cell of svm.ipynb, which saves it with save_best_model("
        "\"svm_best.npz\", best_svm, ...) (CS231n's starter notebook: add np.savez("
        "\"svm_best.npz\", W=best_svm.W, learning_rate=..., reg=..., num_iters=..., "
        "batch_size=...) after its search); submit it with your code")
    assert all(t["visibility"] == "visible" and t["target"] for t in result.tests)


def test_without_data_the_cifar_checks_are_listed_as_not_graded(tmp_path):
    npz = {}
    for name in ("svm_best.npz", "softmax_best.npz"):
        npz[name] = tmp_path / name
        np.savez(npz[name], W=np.zeros((3073, 10)), learning_rate=1e-7, reg=5e3,
                 num_iters=10, batch_size=200, val_accuracy=0.1)
    folder = write_submission(tmp_path / "student", reference_cells(), npz)
    result = grade_submission(folder, data=None, targets=["linear_classifier", "LinearSVM"])
    assert result.max_score == 10 + 15
    cifar = [t for t in result.tests if t["target"] == "LinearSVM"]
    assert len(cifar) == 3 and all(t["score"] == 0 and t["output"] == (
        "not graded: the grader ran without the CIFAR-10 data set") for t in cifar)
    assert result.score == 10


def test_the_seed_is_the_content_hash_so_regrades_see_the_same_inputs():
    digest = "9f" * 32
    assert seed_of(digest) == seed_of(digest)
    assert seed_of(digest) != seed_of("9e" * 32)
    assert np.array_equal(inputs.loss_cases("svm", seed_of(digest))[0].X,
                          inputs.loss_cases("svm", seed_of(digest))[0].X)


def test_the_reference_times_its_loop_and_its_vectorized_loss_live():
    """The speed checks call the reference in the same round as the student's calls: one
    live session, its naive loop clearly slower than its vectorized loss."""
    case = inputs.timing_case("svm", 7, 0)
    args = dict(W=case.W, X=case.X, y=case.y, reg=case.reg)
    with ReferenceTiming() as timing:
        naive = [timing.call("loss", fn="svm_loss_naive", **args) for _ in range(3)]
        fast = [timing.call("loss", fn="svm_loss_vectorized", **args) for _ in range(3)]
    assert all(out.ok and out.cpu_seconds > 0 for out in naive + fast)
    assert abs(naive[0].value["loss"] - fast[0].value["loss"]) < 1e-9
    assert np.median([o.cpu_seconds for o in naive]) > \
        2 * np.median([o.cpu_seconds for o in fast])


def test_a_missing_data_set_is_an_error_that_says_what_to_do(tmp_path):
    with pytest.raises(GradingError) as info:
        GradingData(tmp_path / "no-such-folder")
    assert "CIFAR10_DIR" in str(info.value)
    assert "python -m cs231n_data.download" in str(info.value)


def test_cli_missing_data_set_exits_nonzero_with_the_fix(tmp_path):
    done = cli("grade", str(write_submission(tmp_path / "student", {})),
               env={"CIFAR10_DIR": str(tmp_path / "nowhere")})
    assert done.returncode == 1 and done.stdout == ""
    assert "CIFAR10_DIR" in done.stderr and "python -m cs231n_data.download" in done.stderr


def test_cli_usage_errors(tmp_path):
    assert cli("grade").returncode == 2
    done = cli("grade", str(tmp_path / "typo"))
    assert done.returncode == 2 and "does not exist" in done.stderr


# --------------------------------------------------------------------------- with CIFAR-10


@pytest.mark.cifar
def test_grading_data_keeps_the_training_split_private_and_gives_the_child_none(
        cifar10_env, tmp_path, monkeypatch):
    configs = []
    config = SandboxSession._config
    monkeypatch.setattr(SandboxSession, "_config",
                        lambda self, *a: configs.append(config(self, *a)) or configs[-1])
    with GradingData() as data:
        # The parent's reference training reads the training split from a folder of its
        # own that no other user can enter; the evaluation images stay in memory.
        files = sorted(p.name for p in data.train_dir.iterdir())
        assert files == ["X_train.npy", "y_train.npy"]
        assert stat.S_IMODE(data.train_dir.stat().st_mode) == 0o700
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in data.train_dir.iterdir())
        assert set(data.parent) == {"X_val", "y_val", "X_test", "y_test"}
        assert data.parent["X_val"].shape == (1000, 3073)
        assert np.load(data.train_dir / "X_train.npy", mmap_mode="r").dtype == np.float32
        folder = data.train_dir
        # A graded submission's child is told of no data folder, and of nothing in this one.
        submission = write_submission(tmp_path / "alice", reference_cells(), {})
        result = grade_submission(submission, data=data, targets=["svm_loss_naive"])
        assert result.score > 0
    assert configs, "grade_submission started no sandbox"
    for sent in configs:
        assert not any("data" in key for key in sent), sorted(sent)
        assert str(folder.parent) not in json.dumps(sent, default=str)
    assert not folder.exists()


def test_prepare_training_data_refuses_a_folder_holding_other_files(tmp_path):
    (tmp_path / "y_test.npy").write_bytes(b"labels")
    with pytest.raises(ValueError, match="prepare_training_data: .* y_test.npy"):
        prepare_training_data({}, tmp_path)


@pytest.mark.cifar
@pytest.mark.slow
def test_regrading_the_same_submission_gives_the_identical_score(grading_data,
                                                                 trained_models, tmp_path):
    folder = write_submission(tmp_path / "alice", reference_cells(), trained_models.reference())
    first = grade_submission(folder, data=grading_data)
    again = grade_submission(folder, data=grading_data)
    assert first.content_hash == again.content_hash
    assert first.score == again.score == 100
    assert [(t["name"], t["score"], t.get("value")) for t in first.tests] == \
        [(t["name"], t["score"], t.get("value")) for t in again.tests]
    # The accuracy checks carry the accuracy they measured, for the class report's plots.
    accuracy = {t["name"]: t["value"] for t in first.tests if "value" in t}
    assert len(accuracy) == 4 and all(0.35 <= v <= 0.45 for v in accuracy.values())
    assert all(f"accuracy {accuracy[t['name']]:.3f}" in t["output"]
               for t in first.tests if "value" in t)


@pytest.mark.cifar
@pytest.mark.slow
def test_cli_json_is_one_gradescope_document_even_for_a_broken_submission(
        cifar10_env, trained_models, tmp_path):
    submission = build_entry("broken/invalid_json", tmp_path, trained_models)
    done = cli("grade", str(submission), "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)  # the whole of stdout: one document, nothing else
    assert set(doc) <= {"score", "tests", "output", "execution_time", "visibility",
                        "stdout_visibility", "extra_data", "leaderboard"}
    assert isinstance(doc["score"], float | int) and isinstance(doc["execution_time"], float)
    for test in doc["tests"]:
        assert set(test) == {"name", "score", "max_score", "output", "visibility", "status",
                             "output_format"}
        assert test["visibility"] in GRADESCOPE_VISIBILITY
        assert 0 <= test["score"] <= test["max_score"]
    assert doc["score"] == pytest.approx(sum(t["score"] for t in doc["tests"]))
    assert sum(t["max_score"] for t in doc["tests"]) == 100
    # svm.ipynb is lost (LinearClassifier with it), so the grader's reference stands for
    # neither classifier's training (no accuracy point); the saved models are valid files.
    assert doc["score"] == 40
    assert "svm.ipynb: is not a valid notebook" in doc["output"]
    assert "grading" in done.stderr


@pytest.mark.cifar
@pytest.mark.slow
def test_cli_table_shows_each_check_the_failures_and_the_total(cifar10_env, trained_models,
                                                               tmp_path):
    submission = build_entry("broken/missing_npz", tmp_path, trained_models)
    done = cli("grade", str(submission))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("missing_npz")
    assert any(line.startswith("ok   1/1  svm_loss_naive: loss, N=7 D=5 C=10, reg=0")
               for line in lines)
    failed = lines.index(next(line for line in lines if line.startswith(
        "FAIL 0/6  LinearSVM: CIFAR-10 validation accuracy")))
    assert "svm_best.npz is missing" in lines[failed + 1]
    assert lines[-1].startswith("Total: 70 / 100")


def test_a_submission_past_its_budget_scores_0_for_the_rest_and_is_told_so(tmp_path):
    # Slow in wall-clock time, whatever the machine's load (a CPU-bound loop of 1.5 s took
    # over 4 s of wall clock beside other jobs): the budget is wall clock.
    slow = reference_cells()["svm_loss_naive"].replace(
        "    dW = np.zeros(W.shape)",
        "    import time\n    time.sleep(3.0)\n    dW = np.zeros(W.shape)", 1)
    assert slow != reference_cells()["svm_loss_naive"]
    base = rubric.load()
    tight = dataclasses.replace(base, budget=dataclasses.replace(base.budget,
                                                                 submission_seconds=10.0))
    folder = write_submission(tmp_path / "slow", {**reference_cells(), "svm_loss_naive": slow})
    result = grade_submission(folder, rubric=tight, targets=["svm_loss_naive"])
    outputs = [t["output"] for t in result.tests]
    assert result.tests[0]["score"] == 1  # the first case ran, slowly but correctly
    spent = [o for o in outputs if "used up its budget of 10 s of wall-clock time" in o]
    assert spent and outputs[-1] in spent
    assert all(t["score"] == 0 for t in result.tests if t["output"] in spent)
    assert "10 s for all the calls into your code" in result.limits
    assert "The grader's own CIFAR-10 training with your hyperparameters is not counted" \
        in result.limits


def test_a_missing_model_file_is_named_with_the_cell_that_writes_it_in_every_layout(tmp_path):
    """Without model files, a starter submission is told what a notebook one is told: the
    checks stay, the file's checks score 0 naming it and its cell (intake names it for the
    notebook layout, the grader for the starter's, which intake reads from modules)."""
    starter = intake.load_submission(write_starter_submission(tmp_path / "starter",
                                                              reference_cells()))
    notebooks = intake.load_submission(write_submission(tmp_path / "nb", reference_cells(), {}))
    spec = load_assignment()
    missing = missing_models(starter, spec)
    assert set(missing) == {"LinearSVM", "Softmax"}
    assert "svm_best.npz is missing from the submission: it is written by the hyperparameter " \
           "search cell of svm.ipynb" in missing["LinearSVM"]
    assert missing_models(notebooks, spec) == {}
    assert any("svm_best.npz is missing" in str(p) for p in notebooks.problems)
    assert [c.name for c in build_checks(0, RUBRIC)] == \
        [c.name for c in build_checks(1, RUBRIC)]


def test_the_reference_training_s_seed_is_the_secret_s_and_the_class_s_only(monkeypatch):
    """Not the hyperparameters': a student cannot pick a lucky seed by changing the learning
    rate in its last digits, nor predict it without the secret."""
    monkeypatch.setenv("AUTOGRADER_SECRET", "course secret")
    svm, softmax = reference_seed("LinearSVM"), reference_seed("Softmax")
    assert svm != softmax and reference_seed("LinearSVM") == svm
    monkeypatch.setenv("AUTOGRADER_SECRET", "another course")
    assert reference_seed("LinearSVM") != svm


def test_the_seed_is_keyed_by_the_grader_s_secret(tmp_path, monkeypatch):
    """Student code can read its own source (and so its content hash): the seed also needs
    the grader's secret, which lives outside the sandbox, created once, owner-only."""
    digest = "9f" * 32
    monkeypatch.delenv("AUTOGRADER_SECRET", raising=False)
    monkeypatch.setenv("AUTOGRADER_SECRET_FILE", str(tmp_path / "key" / "secret"))
    first = seed_of(digest)
    assert (tmp_path / "key" / "secret").stat().st_mode & 0o777 == 0o600
    assert seed_of(digest) == first  # regrades see the same inputs
    monkeypatch.setenv("AUTOGRADER_SECRET_FILE", str(tmp_path / "other" / "secret"))
    assert seed_of(digest) != first
