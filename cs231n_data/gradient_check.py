"""Numerical gradients, to check the analytic gradients you derive (CS231n style)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def rel_error(a: np.ndarray | float, b: np.ndarray | float) -> float:
    """Relative error between two arrays of the same shape (or two numbers).

    Returns max over elements of |a - b| / max(1e-8, |a| + |b|): 0 when equal, about 1e-7 or
    less when a correct gradient is compared with a numerical one, near 1 when unrelated.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def eval_numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Numerical gradient of f at x by centered differences.

    Inputs:
    - f: a function taking an array of the same shape as x and returning a number
      (e.g. ``lambda W: svm_loss_naive(W, X, y, 0.0)[0]``).
    - x: a float array of any shape, e.g. W of shape (D, C). It is nudged in place, one
      element at a time, and restored afterwards (also when f raises).
    - h: the step; grad[i] = (f(x + h e_i) - f(x - h e_i)) / (2h).

    Returns:
    - grad: a float64 array of the same shape as x.

    It calls f 2 * x.size times, so keep x small (a 500-row dev set, not all of CIFAR-10).
    Use a float64 x: in float32, x + h rounds away most of a 1e-5 step.
    """
    _require_float(x)
    grad = np.zeros(x.shape, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        grad[ix] = _centered_difference(f, x, ix, h)
    return grad


def eval_numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, df: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Numerical gradient of a layer's output with respect to its input x, given the
    upstream gradient df (what a layer's backward pass computes).

    Inputs:
    - f: a function taking an array of the shape of x and returning an array of the shape
      of df (e.g. ``lambda x: relu_forward(x)[0]``).
    - x: a float array of any shape; nudged in place one element at a time and restored.
    - df: the upstream gradient, an array of the shape of f(x).
    - h: the step of the centered difference.

    Returns:
    - grad: a float64 array of the shape of x, grad[i] = sum(df * d f(x) / d x[i]).
    """
    _require_float(x)
    grad = np.zeros(x.shape, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        grad[ix] = _centered_difference(lambda v: np.sum(f(v) * df), x, ix, h)
    return grad


def grad_check_sparse(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    analytic_grad: np.ndarray,
    num_checks: int = 10,
    h: float = 1e-5,
    seed: int | np.random.Generator | None = None,
) -> list[float]:
    """Compare an analytic gradient with numerical ones at a few random elements of x.

    Inputs:
    - f: a function taking an array of the same shape as x and returning a number.
    - x: a float array of any shape, e.g. W of shape (D, C); restored after each check.
    - analytic_grad: your gradient of f at x; an array of the same shape as x.
    - num_checks: how many random elements to check.
    - h: the step of the centered difference.
    - seed: an int or np.random.Generator to pick the same elements again; None picks
      different ones each call.

    Prints one line per check, ``numerical: %f analytic: %f, relative error: %e``, and
    returns the relative errors as a list of num_checks floats. A correct gradient gives
    errors around 1e-7 or smaller (larger ones can appear where f has a kink, like the hinge).
    """
    _require_float(x)
    analytic_grad = np.asarray(analytic_grad)
    if analytic_grad.shape != x.shape:
        raise ValueError(
            f"analytic_grad has shape {analytic_grad.shape} but x has shape {x.shape}; "
            "the gradient must have the shape of the array it is taken with respect to"
        )
    rng = np.random.default_rng(seed)
    errors = []
    for _ in range(num_checks):
        ix = tuple(int(rng.integers(n)) for n in x.shape)
        numerical = _centered_difference(f, x, ix, h)
        analytic = float(analytic_grad[ix])
        error = rel_error(numerical, analytic)
        print(f"numerical: {numerical:f} analytic: {analytic:f}, relative error: {error:e}")
        errors.append(error)
    return errors


def _centered_difference(
    f: Callable[[np.ndarray], float], x: np.ndarray, ix: tuple[int, ...], h: float
) -> float:
    old = x[ix]
    try:
        x[ix] = old + h
        f_plus = float(f(x))
        x[ix] = old - h
        f_minus = float(f(x))
    finally:
        x[ix] = old
    return (f_plus - f_minus) / (2 * h)


def _require_float(x: np.ndarray) -> None:
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        kind = x.dtype if isinstance(x, np.ndarray) else type(x).__name__
        raise TypeError(
            f"x must be a float numpy array (it is changed by +-h in place), got {kind}; "
            "use x.astype(np.float64)"
        )
