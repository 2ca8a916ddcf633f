"""The oracle and the hidden inputs: right by hand, by finite differences, and well posed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.assignments.linear import inputs, oracle

SEEDS = [0, 1, 2024]


def numerical_gradient(f, W: np.ndarray, h: float = 1e-6) -> np.ndarray:
    grad = np.zeros_like(W)
    for index in np.ndindex(*W.shape):
        old = W[index]
        W[index] = old + h
        plus = f(W)
        W[index] = old - h
        minus = f(W)
        W[index] = old
        grad[index] = (plus - minus) / (2 * h)
    return grad


def test_svm_loss_by_hand():
    # scores [0, 0, 0] for the one example: both wrong classes have margin 1.
    W = np.zeros((2, 3))
    X = np.array([[1.0, 2.0]])
    loss, dW = oracle.svm_loss(W, X, np.array([0]), 0.0)
    assert loss == pytest.approx(2.0)
    np.testing.assert_allclose(dW, [[-2.0, 1.0, 1.0], [-4.0, 2.0, 2.0]])


def test_svm_inactive_margins_and_reg_by_hand():
    # scores [3, 0]: the wrong class's margin 0 - 3 + 1 < 0 adds nothing; only reg remains.
    W = np.array([[3.0, 0.0]])
    X = np.array([[1.0]])
    loss, dW = oracle.svm_loss(W, X, np.array([0]), 0.5)
    assert loss == pytest.approx(0.5 * 9.0)
    np.testing.assert_allclose(dW, [[3.0, 0.0]])


def test_svm_averages_over_examples_by_hand():
    W = np.array([[1.0, 0.0]])
    X = np.array([[1.0], [2.0]])
    # example 0: label 1, scores [1, 0] -> margin 2; example 1: label 0, scores [2, 0] -> < 0
    loss, dW = oracle.svm_loss(W, X, np.array([1, 0]), 0.0)
    assert loss == pytest.approx(1.0)
    np.testing.assert_allclose(dW, [[0.5, -0.5]])


def test_softmax_loss_by_hand():
    W = np.zeros((2, 4))
    X = np.array([[1.0, -1.0], [0.5, 2.0]])
    y = np.array([3, 0])
    loss, dW = oracle.softmax_loss(W, X, y, 0.0)
    assert loss == pytest.approx(math.log(4))
    probs = np.full((2, 4), 0.25)
    probs[[0, 1], y] -= 1
    np.testing.assert_allclose(dW, X.T @ probs / 2)


def test_softmax_large_scores_by_hand():
    # scores [1000, 0]: exp(1000) overflows, yet the loss is log(1 + e^-1000) ~ 0 or 1000.
    W = np.array([[1000.0, 0.0]])
    X = np.array([[1.0], [1.0]])
    loss, dW = oracle.softmax_loss(W, X, np.array([0, 1]), 0.0)
    assert loss == pytest.approx(500.0)
    np.testing.assert_allclose(dW, [[0.5, -0.5]], atol=1e-12)


def test_reg_term_by_hand():
    W = np.array([[1.0, -2.0], [0.5, 0.0]])
    X = np.zeros((3, 2))
    for loss_fn in (oracle.svm_loss, oracle.softmax_loss):
        zero_loss, zero_dW = loss_fn(W, X, np.array([0, 1, 0]), 0.0)
        loss, dW = loss_fn(W, X, np.array([0, 1, 0]), 0.1)
        assert loss - zero_loss == pytest.approx(0.1 * 5.25)
        np.testing.assert_allclose(dW - zero_dW, 0.2 * W)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("kind", ["svm", "softmax"])
def test_oracle_gradient_matches_finite_differences(kind, seed):
    loss_fn = oracle.ORACLES[kind]
    cases = [c for c in inputs.loss_cases(kind, seed) if c.X.shape[1] == 5]
    if kind == "softmax":
        cases.append(inputs.large_scores_case(seed))
    for case in cases:
        _, dW = loss_fn(case.W, case.X, case.y, case.reg)
        numeric = numerical_gradient(lambda W, c=case: loss_fn(W, c.X, c.y, c.reg)[0],
                                     case.W.copy())
        # Elementwise relative error is meaningless for entries near 0 (e.g. the bias row
        # of an SVM gradient), so compare against the gradient's largest entry.
        assert np.max(np.abs(dW - numeric)) <= 1e-6 * np.max(np.abs(dW)), case.label


def test_oracle_does_not_touch_its_inputs():
    case = inputs.loss_cases("svm", 0)[0]
    W, X, y = case.W.copy(), case.X.copy(), case.y.copy()
    oracle.svm_loss(case.W, case.X, case.y, 1.0)
    oracle.softmax_loss(case.W, case.X, case.y, 1.0)
    assert np.array_equal(W, case.W) and np.array_equal(X, case.X)
    assert np.array_equal(y, case.y)


@pytest.mark.parametrize("seed", SEEDS)
def test_svm_inputs_keep_every_margin_off_the_kink(seed):
    for case in inputs.loss_cases("svm", seed):
        margins = oracle.svm_margins(case.W, case.X, case.y)
        assert np.min(np.abs(margins)) >= inputs.KINK_GAP
        assert np.any(margins > 0), f"{case.label}: the hinge is never active"


def test_inputs_cover_the_shapes_and_regs():
    cases = inputs.loss_cases("svm", 0)
    assert {c.X.shape[0] for c in cases} == {1, 7, 500}
    assert {c.X.shape[1] for c in cases} == {5, 3073}
    assert {c.W.shape[1] for c in cases} == {2, 10}
    assert {c.reg for c in cases} == {0.0, inputs.SMALL_REG, inputs.LARGE_REG}
    for case in cases:
        assert case.W.dtype == case.X.dtype == np.float64 and case.y.dtype == np.int64
        assert case.y.min() >= 0 and case.y.max() < case.W.shape[1]
        assert np.all(case.X[:, -1] == 1.0), "bias column"


def test_inputs_follow_the_seed():
    a, b = inputs.loss_cases("softmax", 7), inputs.loss_cases("softmax", 7)
    c = inputs.loss_cases("softmax", 8)
    for x, y in zip(a, b, strict=True):
        assert np.array_equal(x.X, y.X) and np.array_equal(x.W, y.W)
    assert not np.array_equal(a[0].X, c[0].X)


def test_dev_scores_are_order_one():
    case = inputs.timing_case("svm", 3, 0)
    assert 0.3 < np.std(case.X @ case.W) < 3


@pytest.mark.parametrize("seed", SEEDS)
def test_large_scores_overflow_a_naive_exp_but_not_the_max_shift(seed):
    case = inputs.large_scores_case(seed)
    scores = case.X @ case.W
    with np.errstate(over="ignore", under="ignore"):
        assert np.isinf(np.exp(scores)).any()
        assert (np.exp(scores) == 0).any()
    shifted = scores - scores.max(axis=1, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    assert probs[np.arange(len(case.y)), case.y].min() > 1e-200
    loss, dW = oracle.softmax_loss(case.W, case.X, case.y, case.reg)
    assert math.isfinite(loss) and np.all(np.isfinite(dW))
