"""The PyTorch edition's own checks, as a TA would check them on EECS 498 code: what the
course's starter asks is what earns the points, nothing more (sampling without
replacement, search values as an array) and nothing less (one regularization value, a
num_iters left over from testing). The checks run in this process over the edition's
own operations (its child.py), on the source notebook's solutions with one edit each."""

from __future__ import annotations

import json
import types
from pathlib import Path

import numpy as np
import pytest
import torch

from autograder import rubric as rubric_module
from autograder.assignment import load
from autograder.checks import CheckResult
from autograder.inkernel import OperationsSession

SPEC = load("linear_torch")
RUBRIC = rubric_module.load(spec=SPEC)
NOTEBOOK = Path(__file__).resolve().parent.parent / "source" / "linear_torch" / \
    "linear_classifier.ipynb"
SEED = 498
# The targets these tests grade: the classifier's checks need those they build on.
TARGETS = ["sample_batch", "train_linear_classifier", "svm_get_search_params",
           "softmax_get_search_params", "test_one_param_set"]


def _cells() -> dict[str, str]:
    cells = json.loads(NOTEBOOK.read_text(encoding="utf-8"))["cells"]
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"]) for c in cells
            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") in SPEC.definitions}


CELLS = _cells()


def solution(cell: str | None = None, old: str = "", new: str = "") -> dict:
    """The source notebook's definitions (and the given classes), with `old` replaced by
    `new` once in the cell `cell`."""
    cells = dict(CELLS)
    if cell is not None:
        assert cells[cell].count(old) == 1, f"{old!r} is not in {cell} exactly once"
        cells[cell] = cells[cell].replace(old, new)
    namespace: dict = {"torch": torch}
    for name, source in [*cells.items(), *((k, v["source"]) for k, v in SPEC.trusted.items())]:
        exec(compile(source, f"<{name}>", "exec"), namespace)  # noqa: S102 - our own cells
    return namespace


def grade(namespace: dict, targets: list[str] = TARGETS) -> dict[str, CheckResult]:
    session = OperationsSession(namespace, SPEC)
    results = SPEC.check_module.run_checks(
        session, SEED, RUBRIC, targets=targets, reference_session=session,
        submission=types.SimpleNamespace(findings={}))
    return {r.name: r for r in results}


def failing(results: dict[str, CheckResult]) -> dict[str, str]:
    return {name: r.output for name, r in results.items() if not r.passed}


def test_the_solution_passes_these_checks():
    results = grade(solution())
    assert failing(results) == {}
    assert {"sample_batch: random minibatches",
            "test_one_param_set: trains cls and reports its accuracies"} <= set(results)


# ---------------------------------------------------------------- sample_batch

DRAW = "idx = torch.randint(num_train, (batch_size,), device=X.device)"


@pytest.mark.parametrize("draw", [
    "idx = torch.randperm(num_train, device=X.device)[:batch_size]",
    "idx = torch.multinomial(torch.ones(num_train), batch_size, replacement=False)",
], ids=["randperm", "multinomial"])
def test_sample_batch_without_replacement_is_honest(draw):
    # The starter only hints at torch.randint: a draw without replacement, from data
    # larger than the batch (as CIFAR-10 always is), is a correct sample_batch.
    assert failing(grade(solution("sample_batch", DRAW, draw))) == {}


def test_sample_batch_that_always_returns_the_first_rows():
    failed = failing(grade(solution("sample_batch", DRAW,
                                    "idx = torch.arange(batch_size, device=X.device)")))
    assert "sample_batch: random minibatches" in failed
    assert "returned the same rows" in failed["sample_batch: random minibatches"]
    assert "train_linear_classifier: train samples minibatches at random, rows with their " \
           "labels" in failed


def test_train_that_samples_labels_apart_from_their_rows():
    # Rows from sample_batch, labels drawn again: every minibatch differs (the first part of
    # train's sampling check passes), but rows meet labels not their own.
    failed = failing(grade(solution(
        "train_linear_classifier", "X_batch, y_batch = sample_batch(X, y, num_train, batch_size)",
        "X_batch, _ = sample_batch(X, y, num_train, batch_size)\n"
        "        y_batch = y[torch.randint(num_train, (batch_size,))]")))
    check = "train_linear_classifier: train samples minibatches at random, rows with their labels"
    assert list(failed) == [check]
    assert "y_batch = y[idx]" in failed[check]


# ---------------------------------------------------------------- the search

SVM_SEARCH = "regularization_strengths = [2.5e-2, 5e-2, 1e-1]"
SEARCH_CHECK = "svm_get_search_params: at least 2 of each, at most 25 combinations"


@pytest.mark.parametrize("strengths, points", [
    ("[5e-2]", 0.0),
    ("[5e-2, 5e-2, 5e-2]", 0.0),
    ("[2.5e-2, 5e-2]", None),
    ("(2.5e-2, 5e-2, 1e-1)", None),
    ("np.array([2.5e-2, 5e-2, 1e-1])", None),
    ("torch.tensor([2.5e-2, 5e-2, 1e-1])", None),
], ids=["one value", "one value thrice", "2 x 2", "tuple", "numpy array", "tensor"])
def test_search_asks_what_the_starter_asks(strengths, points):
    namespace = solution("svm_get_search_params", SVM_SEARCH,
                         f"regularization_strengths = {strengths}")
    namespace["np"] = np
    result = grade(namespace, ["svm_get_search_params"])[SEARCH_CHECK]
    if points is None:
        assert result.passed and result.score == result.max_score > 0, result.output
    else:
        assert result.score == points
        assert "1 different regularization strengths" in result.output
        assert "at least 2 different values of each" in result.output


def test_search_with_more_than_25_combinations():
    namespace = solution("svm_get_search_params", SVM_SEARCH,
                         "regularization_strengths = [1e-3 * k for k in range(1, 14)]")
    result = grade(namespace, ["svm_get_search_params"])[SEARCH_CHECK]
    assert not result.passed and "2 x 13 = 26 combinations" in result.output


# ---------------------------------------------------------------- test_one_param_set

ONE = "test_one_param_set: trains cls and reports its accuracies"
TRAIN_CALL = 'cls.train(data_dict["X_train"], data_dict["y_train"], lr, reg, num_iters)'


@pytest.mark.parametrize("edit, says", [
    # cyrus28214's (the grader's other problem used num_iters=100 too).
    (f"num_iters = 100\n    {TRAIN_CALL}", "about 100 iterations"),
    # Xecades': num_iters = 50, and 50 trainings of 50 iterations each.
    (f"num_iters = 50\n    for _ in range(num_iters):\n        {TRAIN_CALL}",
     "about 2500 iterations"),
    (TRAIN_CALL.replace("num_iters)", "1500)"), "about 1500 iterations"),
    (TRAIN_CALL.replace("num_iters)", "20000)"), "5,000 or more iterations"),
], ids=["num_iters = 100", "looped", "a number of its own", "beyond the margins"])
def test_one_param_set_that_replaces_num_iters(edit, says):
    failed = failing(grade(solution("test_one_param_set", TRAIN_CALL, edit)))
    assert list(failed) == [ONE]
    assert says in failed[ONE] and "train with the num_iters and lr it is given" in failed[ONE]


def test_one_param_set_with_its_own_learning_rate():
    failed = failing(grade(solution("test_one_param_set", TRAIN_CALL,
                                    TRAIN_CALL.replace("lr,", "lr * 2,"))))
    assert list(failed) == [ONE] and "about 14 iterations" in failed[ONE]


# ---------------------------------------------------------------- verdicts the secret cannot move

FLOOR = ("svm_loss_vectorized", "loss = margins.sum() / num_train",
         "loss = margins.sum() // num_train")


@pytest.mark.parametrize("seed", [11, 17, 104, 5])
def test_a_floor_division_in_the_loss_costs_train_nothing_whatever_the_seed(seed):
    # corpus_torch buggy/svm_vectorized_integer_division scored 61 instead of 62 on a new
    # machine: under seeds 11, 17 and 104 (about 1 in 50) the floored losses of train's
    # ten minibatches were all equal, and the sampling check, judged through that loss,
    # failed. It is judged through a loss that answers right (Softmax's), whatever the seed.
    session = OperationsSession(solution(*FLOOR), SPEC)
    results = {r.name: r for r in SPEC.check_module.run_checks(
        session, seed, RUBRIC, targets=["sample_batch", "train_linear_classifier"],
        reference_session=session, submission=types.SimpleNamespace(findings={}))}
    assert failing(results) == {}


def test_train_seen_only_through_wrong_losses_is_never_judged_by_chance():
    # Both losses floored: no loss tells train's minibatches apart reliably, so the
    # sampling check fails for every seed with the same message, never by luck.
    namespace = solution(*FLOOR)
    namespace["softmax_loss_vectorized"] = lambda W, X, y, reg: (
        torch.floor(torch.tensor(1.5)), torch.zeros_like(W))
    for seed in (11, 5):
        session = OperationsSession(namespace, SPEC)
        results = {r.name: r for r in SPEC.check_module.run_checks(
            session, seed, RUBRIC, targets=["train_linear_classifier"],
            reference_session=session, submission=types.SimpleNamespace(findings={}))}
        sampling = results["train_linear_classifier: train samples minibatches at random, "
                           "rows with their labels"]
        assert not sampling.passed
        assert "could not test how train samples" in sampling.output


# ---------------------------------------------------------------- messages

@pytest.mark.parametrize("probs, spelled", [
    ("probs = scores.exp() / (scores.exp().sum(dim=1, keepdim=True) + 1e-5)",
     "exp / (sum + 1e-05)"),
    ("probs = log_probs.exp() + 1e-6", "p + 1e-06"),
], ids=["in the sum", "added to p"])
def test_an_epsilon_in_the_gradient_is_named(probs, spelled):
    namespace = solution("softmax_loss_vectorized", "probs = log_probs.exp()", probs)
    failed = failing(grade(namespace, ["softmax_loss_vectorized"]))
    gradient = [out for name, out in failed.items() if "gradient" in name]
    assert gradient, failed
    assert all(f"an epsilon in the probabilities the gradient uses ({spelled})" in out
               for out in gradient), gradient
