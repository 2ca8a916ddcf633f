"""What a student is told about a wrong loss function, as a TA would read it: the
regularization convention their code follows, the bug in their regularization term (in the
words of the course's convention), and why their softmax fails on large scores."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_checks import FAST, SEED, failing, grade, solution

from autograder import assignment
from autograder.assignments.linear import checks
from autograder.inkernel import OperationsSession

# The rubric of a course that keeps the older CS231n starter's 0.5 * reg * sum(W**2).
HALF = dataclasses.replace(FAST, own=dataclasses.replace(
    FAST.own, regularization="0.5 * reg * sum(W**2)"))
NAIVE_REG = "    loss += reg * np.sum(W * W)\n    dW += 2 * reg * W\n"
VECTOR_LOSS = "loss = margins.sum() / num_train + reg * np.sum(W * W)"
VECTOR_GRAD = "dW = X.T.dot(coeff) / num_train + 2 * reg * W"
REG_CASES = ("N=7 D=5 C=10, large reg", "N=1 D=3073 C=2, reg>0", "N=500 D=3073 C=10, reg>0")


def _older_starter() -> dict:
    """svm_loss_naive as the older starter writes it: 0.5 * reg * sum(W**2), reg * W."""
    return solution((NAIVE_REG, "    loss += 0.5 * reg * np.sum(W * W)\n    dW += reg * W\n"))


# ---------------------------------------------------------------- the convention


def test_code_right_under_the_older_convention_is_told_so_once_in_each_check():
    failed = failing(grade(_older_starter(), "svm_loss_naive"))
    assert set(failed) == {f"svm_loss_naive: {what}, {case}" for case in REG_CASES
                           for what in ("loss", "gradient")}
    for message in failed.values():
        assert ("your code uses 0.5 * reg * sum(W**2) (the older CS231n starter), in the "
                "loss and the gradient alike; this course's rubric uses reg * sum(W**2): add "
                "reg * np.sum(W * W) to the loss and 2 * reg * W to dW") in message
        # Said once: no per-check factor hint, no second statement of the course's term.
        assert "factor" not in message and message.count("reg * sum(W**2)") == 2


def test_the_older_rubric_passes_the_older_code_and_names_today_s():
    assert failing(grade(_older_starter(), "svm_loss_naive", rubric=HALF)) == {}
    failed = failing(grade(solution(), "svm_loss_naive", rubric=HALF))
    assert len(failed) == 6
    assert all("your code uses reg * sum(W**2) (today's CS231n starter)" in m and
               "add 0.5 * reg * np.sum(W * W) to the loss and reg * W to dW" in m
               for m in failed.values())


def test_only_code_right_throughout_is_told_about_the_convention():
    # The older loss term with today's gradient: each check names its own bug.
    mixed = solution((NAIVE_REG, "    loss += 0.5 * reg * np.sum(W * W)\n"
                                 "    dW += 2 * reg * W\n"))
    failed = failing(grade(mixed, "svm_loss_naive"))
    assert set(failed) == {f"svm_loss_naive: loss, {case}" for case in REG_CASES}
    assert all("your code uses" not in m and "the regularization loss is reg * np.sum(W * W), "
               "not 0.5 * reg * np.sum(W * W)" in m for m in failed.values())


@pytest.mark.parametrize("rubric, bug, words", [
    (HALF, "    loss += 0.5 * reg * np.sum(W * W)\n",
     "the regularization gradient is missing: add reg * W to dW"),
    (FAST, "    loss += reg * np.sum(W * W)\n",
     "the regularization gradient is missing: add 2 * reg * W to dW"),
    (HALF, "    loss += 0.5 * reg * np.sum(W * W)\n    dW += 0.5 * reg * W\n",
     "missing the factor 2: the derivative of 0.5 * reg * np.sum(W * W) is reg * W"),
])
def test_a_hint_names_the_regularization_term_of_the_rubric_s_convention(rubric, bug, words):
    failed = failing(grade(solution((NAIVE_REG, bug)), "svm_loss_naive", rubric=rubric))
    assert set(failed) == {f"svm_loss_naive: gradient, {case}" for case in REG_CASES}
    assert all(words in m for m in failed.values())
    if rubric is HALF:
        assert not any("2 * reg * W" in m for m in failed.values())


# ---------------------------------------------------------------- regularization bugs


@pytest.mark.parametrize("edit, failing_checks, words", [
    ((VECTOR_LOSS, "loss = margins.sum() / num_train + np.sum(W * W)"), "loss",
     "the regularization loss is missing reg: it is reg * np.sum(W * W), not np.sum(W * W)"),
    ((VECTOR_LOSS, "loss = margins.sum() / num_train + reg * np.sum(W.dot(W.T))"), "loss",
     "the regularization loss sums W.dot(W.T), which adds products of different weights: "
     "use reg * np.sum(W * W)"),
    ((VECTOR_GRAD, "dW = X.T.dot(coeff) / num_train + 0.5 * reg * W"), "gradient",
     "the regularization gradient is 0.5 * reg * W, but the derivative of "
     "reg * np.sum(W * W) is 2 * reg * W"),
    ((VECTOR_GRAD, "dW = X.T.dot(coeff) / num_train + 2 * W"), "gradient",
     "the regularization gradient is missing reg"),
])
def test_a_wrong_regularization_term_is_named(edit, failing_checks, words):
    failed = failing(grade(solution(edit), "svm_loss_vectorized"))
    named = {n: m for n, m in failed.items() if n.startswith(f"svm_loss_vectorized: "
                                                             f"{failing_checks},")}
    assert named and all(words in m for m in named.values()), failed


def test_a_loss_returned_as_w_times_its_transpose_is_named():
    # Through the operations the sandbox's child runs, which refuse a matrix as the loss.
    bugged = solution((VECTOR_LOSS, "loss = margins.sum() / num_train + reg * W.dot(W.T)"))
    session = OperationsSession(bugged, assignment.load())
    results = checks.run_checks(session, SEED, FAST, targets=["svm_loss_vectorized"])
    named = [r for r in results if r.name.startswith(("svm_loss_vectorized: loss",
                                                       "svm_loss_vectorized: gradient"))]
    assert len(named) == 10 and not any(r.passed for r in named)
    # The first case's W is (5, 10): every check says what its (5, 5) loss came from.
    assert all("a loss of shape (5, 5) is what reg * W.dot(W.T) gives; the regularization "
               "loss is a single number, reg * np.sum(W * W)" in r.output for r in named)


# ---------------------------------------------------------------- large scores

SHIFT = "    scores = scores - scores.max(axis=1, keepdims=True)\n"
LARGE = "softmax_loss_vectorized: large scores (overflow)"


def test_one_maximum_over_the_whole_matrix_underflows_and_is_told_so():
    bugged = solution((SHIFT, "    scores = scores - np.max(scores)\n"))
    with np.errstate(all="ignore"):
        failed = failing(grade(bugged, "softmax_loss_vectorized"))
    assert list(failed) == [LARGE]
    assert "underflow: one maximum subtracted over the whole score matrix" in failed[LARGE]
    assert "np.max(scores, axis=1, keepdims=True)" in failed[LARGE]
    assert "overflow" not in failed[LARGE]


def test_no_shift_at_all_still_overflows():
    with np.errstate(all="ignore"):
        failed = failing(grade(solution((SHIFT, "")), "softmax_loss_vectorized"))
    assert "overflow: scores here reach about 1e3" in failed[LARGE]


@pytest.mark.parametrize("fn, edit, spelled", [
    ("softmax_loss_vectorized", ("-log_probs[rows, y].mean()",
                                 "-np.log(np.clip(np.exp(log_probs[rows, y]), 1e-12, 1)).mean()"),
     "np.clip(p, 1e-12, 1)"),
    ("softmax_loss_naive", ("np.log(probs[y[i]])", "np.log(probs[y[i]] + 1e-15)"), "p + 1e-15"),
])
def test_an_epsilon_in_the_log_is_named(fn, edit, spelled):
    failed = failing(grade(solution(edit), fn))
    name = f"{fn}: large scores (overflow)"
    assert list(failed) == [name]
    assert f"a clamp or epsilon inside the log ({spelled}) changes the loss by" in failed[name]
    assert "compute the log-probabilities stably" in failed[name]
