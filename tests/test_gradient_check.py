"""Numerical gradient helpers, checked on functions whose gradients are known in closed form."""

from __future__ import annotations

import re

import numpy as np
import pytest

from cs231n_data.gradient_check import eval_numerical_gradient, grad_check_sparse, rel_error

LINE = re.compile(
    r"numerical: -?\d+\.\d{6} analytic: -?\d+\.\d{6}, relative error: \d\.\d{6}e[+-]\d+"
)


def quadratic(A: np.ndarray):
    """f(W) = sum(W * (A @ W)) / 2 for a symmetric A, whose gradient is A @ W."""
    return lambda W: 0.5 * float(np.sum(W * (A @ W)))


@pytest.fixture
def problem():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((6, 6))
    A = M + M.T
    W = rng.standard_normal((6, 4))
    return quadratic(A), W, A @ W


def test_rel_error_is_the_cs231n_formula():
    assert rel_error(np.ones(3), np.ones(3)) == 0.0
    assert rel_error(0.0, 0.0) == 0.0, "both zero: no division by zero"
    assert rel_error(np.array([1.0, 3.0]), np.array([1.0, 1.0])) == pytest.approx(0.5)
    assert rel_error(1.0, -1.0) == pytest.approx(1.0)


def test_eval_numerical_gradient_matches_the_analytic_one_and_restores_x(problem):
    f, W, grad = problem
    before = W.copy()
    numerical = eval_numerical_gradient(f, W)
    assert numerical.shape == W.shape
    assert rel_error(numerical, grad) < 1e-7
    assert np.array_equal(W, before), "x is restored exactly"


def test_eval_numerical_gradient_restores_x_when_f_raises():
    W = np.zeros(3)

    def f(x):
        if x[0] != 0:
            raise RuntimeError("boom")
        return 0.0

    with pytest.raises(RuntimeError):
        eval_numerical_gradient(f, W)
    assert np.array_equal(W, np.zeros(3))


def test_eval_numerical_gradient_refuses_integer_arrays():
    with pytest.raises(TypeError, match="float"):
        eval_numerical_gradient(lambda x: float(x.sum()), np.arange(3))


def test_grad_check_sparse_prints_cs231n_lines_and_returns_the_errors(problem, capsys):
    f, W, grad = problem
    before = W.copy()
    errors = grad_check_sparse(f, W, grad, num_checks=5, seed=0)
    lines = capsys.readouterr().out.splitlines()
    assert len(errors) == len(lines) == 5
    assert all(LINE.fullmatch(line) for line in lines), lines
    assert all(isinstance(e, float) and e < 1e-7 for e in errors)
    assert np.array_equal(W, before)


def test_grad_check_sparse_catches_a_wrong_gradient(problem, capsys):
    f, W, grad = problem
    errors = grad_check_sparse(f, W, 2 * grad, num_checks=5, seed=0)
    assert min(errors) > 0.3


def test_grad_check_sparse_is_reproducible_with_a_seed_or_a_generator(problem, capsys):
    f, W, grad = problem
    wrong = grad + np.arange(grad.size).reshape(grad.shape)  # a different error per element
    first = grad_check_sparse(f, W, wrong, num_checks=8, seed=3)
    again = grad_check_sparse(f, W, wrong, num_checks=8, seed=np.random.default_rng(3))
    other = grad_check_sparse(f, W, wrong, num_checks=8, seed=4)
    assert first == again
    assert first != other


def test_grad_check_sparse_names_a_shape_mismatch(problem):
    f, W, grad = problem
    with pytest.raises(ValueError, match=r"\(4, 6\).*\(6, 4\)"):
        grad_check_sparse(f, W, grad.T)
