"""Hidden inputs of the two-layer network's checks, drawn from the grading seed.

Every case is new for each submission (the seed comes from the grader's secret and the
submission's content), so answers cannot be looked up. The shapes are what the course's
visible checks do not show: inputs of several dimensions (N, d1, ..., dk) that the affine
layer must flatten and whose gradient it must reshape back, ReLU inputs holding exact
zeros, softmax scores of about 1e3 (exp overflows unless the row maximum is subtracted),
and networks whose hidden units are active and inactive, away from ReLU's kink.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Pre-activations within this of 0 are redrawn: the gradient there is ill-conditioned
# for comparison (a rounding error flips the unit on or off).
KINK_MARGIN = 1e-6


@dataclass(frozen=True)
class LayerCase:
    """Inputs of one layer call: x (N, d1, ..., dk), and w, b, dout where the layer takes
    them (ReLU has no w and b), y for the softmax loss."""

    label: str
    x: np.ndarray
    dout: np.ndarray | None = None
    w: np.ndarray | None = None
    b: np.ndarray | None = None
    y: np.ndarray | None = None


@dataclass(frozen=True)
class NetCase:
    """TwoLayerNet's sizes, its parameters (set on a fresh net before the call), X and y."""

    label: str
    input_dim: int
    hidden_dim: int
    num_classes: int
    reg: float
    params: dict[str, np.ndarray]
    X: np.ndarray
    y: np.ndarray


@dataclass(frozen=True)
class InitCase:
    """TwoLayerNet(...)'s arguments for the initialization check (weights many enough to
    estimate their standard deviation within a few percent)."""

    input_dim: int
    hidden_dim: int
    num_classes: int
    weight_scale: float
    reg: float
    seed: int


def _rng(seed: int, what: str) -> np.random.Generator:
    # One stream per kind of case, so adding a case of one kind leaves the others alone.
    return np.random.default_rng([seed, *what.encode()])


def _away_from_kink(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    values = rng.standard_normal(shape)
    small = np.abs(values) < 1e-3
    values[small] = np.sign(values[small] + 1e-12) * 1e-3
    return values


def affine_cases(seed: int) -> list[LayerCase]:
    """x (N, D) once, then x of 3 and 4 dimensions: dx must come back in x's shape."""
    rng = _rng(seed, "affine")
    cases = []
    for label, shape, M in (("x of shape (N, D)", (int(rng.integers(2, 6)), 7), 4),
                            ("x of shape (N, d1, d2)", (int(rng.integers(2, 5)), 3, 5), 6),
                            ("x of shape (N, d1, d2, d3)", (int(rng.integers(2, 4)), 2, 4, 3), 5)):
        D = int(np.prod(shape[1:]))
        cases.append(LayerCase(
            label=label, x=rng.standard_normal(shape), w=rng.standard_normal((D, M)),
            b=rng.standard_normal(M), dout=rng.standard_normal((shape[0], M))))
    return cases


def relu_cases(seed: int) -> list[LayerCase]:
    """x of 2 dimensions away from 0, then x of 4 dimensions about a third of it exactly 0
    (relu_zero_case checks the zeros alone)."""
    rng = _rng(seed, "relu")
    cases = []
    for label, shape, zeros in (("x of shape (N, D)", (int(rng.integers(3, 7)), 8), 0.0),
                                ("x of shape (N, d1, d2, d3) with exact zeros",
                                 (int(rng.integers(2, 4)), 3, 4, 2), 1 / 3)):
        x = _away_from_kink(rng, shape)
        x[rng.random(shape) < zeros] = 0.0
        cases.append(LayerCase(label=label, x=x, dout=_away_from_kink(rng, shape)))
    return cases


def relu_zero_case(seed: int) -> LayerCase:
    """Half of x exactly 0, the other half negative or positive: what passes at 0."""
    rng = _rng(seed, "relu zero")
    x = _away_from_kink(rng, (4, 6))
    x[:, ::2] = 0.0
    return LayerCase(label="x with exact zeros", x=x, dout=1.0 + rng.random((4, 6)))


def softmax_cases(seed: int) -> list[LayerCase]:
    """Scores (N, C) of ordinary size: C = 10, then C = 3 with one example."""
    rng = _rng(seed, "softmax")
    cases = []
    for label, N, C in (("N examples, 10 classes", int(rng.integers(5, 12)), 10),
                        ("1 example, 3 classes", 1, 3)):
        cases.append(LayerCase(label=label, x=2.0 * rng.standard_normal((N, C)),
                               y=rng.integers(0, C, N)))
    return cases


def large_scores_case(seed: int) -> LayerCase:
    """Scores of about +-1e3: exp overflows to inf unless the row maximum is subtracted."""
    rng = _rng(seed, "softmax large")
    N, C = 6, 5
    return LayerCase(label="scores of about 1e3", x=1e3 * rng.standard_normal((N, C)),
                     y=rng.integers(0, C, N))


def affine_relu_case(seed: int) -> LayerCase:
    """One multi-dimensional case for affine_relu_forward / affine_relu_backward."""
    rng = _rng(seed, "affine relu")
    N, shape, M = int(rng.integers(2, 5)), (2, 3, 2), 7
    for _ in range(100):
        x, w, b = (rng.standard_normal((N, *shape)), rng.standard_normal((12, M)),
                   rng.standard_normal(M))
        if np.min(np.abs(x.reshape(N, -1) @ w + b)) > KINK_MARGIN:
            break
    return LayerCase(label="x of shape (N, d1, d2, d3)", x=x, w=w, b=b,
                     dout=rng.standard_normal((N, M)))


def net_cases(seed: int) -> list[NetCase]:
    """A small net on images (N, 3, 4, 2), at reg 0 and at reg > 0 (the regularization's
    gradient then matters as much as the data's)."""
    rng = _rng(seed, "net")
    cases = []
    for label, reg in (("reg = 0", 0.0), ("reg > 0", round(float(rng.uniform(0.5, 2.0)), 3))):
        N, shape, H, C = int(rng.integers(4, 9)), (3, 4, 2), int(rng.integers(6, 11)), 5
        D = int(np.prod(shape))
        for _ in range(100):
            params = {"W1": rng.standard_normal((D, H)) / np.sqrt(D),
                      "b1": 0.1 * rng.standard_normal(H),
                      "W2": rng.standard_normal((H, C)) / np.sqrt(H),
                      "b2": 0.1 * rng.standard_normal(C)}
            X = rng.standard_normal((N, *shape))
            pre = X.reshape(N, -1) @ params["W1"] + params["b1"]
            if np.min(np.abs(pre)) > KINK_MARGIN and np.any(pre < 0) and np.any(pre > 0):
                break
        cases.append(NetCase(label=label, input_dim=D, hidden_dim=H, num_classes=C, reg=reg,
                             params=params, X=X, y=rng.integers(0, C, N)))
    return cases


def init_case(seed: int) -> InitCase:
    """Sizes other than the defaults (the net must use its arguments) and a weight scale
    far from 1e-3 (the net must use that too)."""
    rng = _rng(seed, "init")
    return InitCase(input_dim=int(rng.integers(150, 250)), hidden_dim=int(rng.integers(60, 90)),
                    num_classes=int(rng.integers(7, 13)),
                    weight_scale=float(rng.choice([2e-2, 5e-2, 0.1])),
                    reg=round(float(rng.uniform(0.1, 1.0)), 3),
                    seed=int(rng.integers(0, 2**31)))
