"""The two-layer network's oracle: right on cases worked by hand and against numerical
gradients (cs231n_data.gradient_check), on multi-dimensional inputs too."""

from __future__ import annotations

import math

import numpy as np
import pytest

from autograder.assignments.two_layer_net import oracle
from cs231n_data.gradient_check import eval_numerical_gradient, rel_error


def test_affine_by_hand_flattens_x_and_reshapes_dx_back():
    x = np.arange(4.0).reshape(1, 2, 2)             # one example, flattened to [0, 1, 2, 3]
    w = np.array([[1.0], [0.0], [2.0], [-1.0]])
    b = np.array([0.5])
    out, dx, dw, db = oracle.affine(x, w, b, dout=np.array([[2.0]]))
    assert out.tolist() == [[0 + 0 + 4 - 3 + 0.5]]
    assert dx.shape == (1, 2, 2)
    assert dx.tolist() == [[[2.0, 0.0], [4.0, -2.0]]]   # dout * w, back in x's shape
    assert dw.ravel().tolist() == [0.0, 2.0, 4.0, 6.0]  # x * dout
    assert db.tolist() == [2.0]


def test_affine_db_sums_over_the_batch():
    x, w, b = np.zeros((3, 2)), np.zeros((2, 2)), np.zeros(2)
    dout = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert oracle.affine(x, w, b, dout)[3].tolist() == [9.0, 12.0]


def test_relu_by_hand_passes_nothing_at_exactly_zero():
    x = np.array([[-1.0, 0.0, 2.0]])
    out, dx = oracle.relu(x, dout=np.array([[5.0, 5.0, 5.0]]))
    assert out.tolist() == [[0.0, 0.0, 2.0]]
    assert dx.tolist() == [[0.0, 0.0, 5.0]]


def test_softmax_loss_by_hand():
    # Equal scores: probability 1/C for every class, loss log C, gradient (1/C - [y]) / N.
    loss, dx = oracle.softmax_loss(np.zeros((2, 4)), np.array([0, 3]))
    assert loss == pytest.approx(math.log(4))
    np.testing.assert_allclose(dx, [[-0.375, 0.125, 0.125, 0.125],
                                    [0.125, 0.125, 0.125, -0.375]])


def test_softmax_loss_finite_on_scores_of_1e3():
    x = np.array([[1000.0, 0.0, -1000.0]])
    loss, dx = oracle.softmax_loss(x, np.array([1]))
    assert loss == pytest.approx(1000.0)
    np.testing.assert_allclose(dx, [[1.0, -1.0, 0.0]], atol=1e-12)


def test_two_layer_loss_by_hand_regularizes_weights_only_with_one_half():
    params = {"W1": np.array([[1.0, -1.0]]), "b1": np.array([3.0, 3.0]),
              "W2": np.zeros((2, 2)), "b2": np.zeros(2)}
    loss, grads = oracle.two_layer_loss(params, np.array([[0.0]]), np.array([0]), reg=2.0)
    # scores are 0: data loss log 2; reg term 0.5 * 2 * (1 + 1) = 2 (b1 is not regularized).
    assert loss == pytest.approx(math.log(2) + 2.0)
    np.testing.assert_allclose(grads["W1"], [[2.0, -2.0]])   # reg * W1 (x is 0)
    np.testing.assert_allclose(grads["b1"], [0.0, 0.0])      # W2 is 0
    np.testing.assert_allclose(grads["W2"], [[-1.5, 1.5], [-1.5, 1.5]])  # hidden 3 * (p - y)
    np.testing.assert_allclose(grads["b2"], [-0.5, 0.5])


def test_two_layer_scores_by_hand():
    params = {"W1": np.array([[1.0, -1.0]]), "b1": np.zeros(2),
              "W2": np.array([[1.0], [1.0]]), "b2": np.array([0.5])}
    assert oracle.two_layer_scores(params, np.array([[2.0], [-3.0]])).tolist() == \
        [[2.5], [3.5]]


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(7)


def _numerical(f, a: np.ndarray) -> np.ndarray:
    return eval_numerical_gradient(lambda _: f(), a, h=1e-6)


def test_layers_match_numerical_gradients(rng):
    x = rng.standard_normal((3, 2, 4))                # multi-dimensional input, D = 8
    w, b = rng.standard_normal((8, 5)), rng.standard_normal(5)
    dout = rng.standard_normal((3, 5))
    _, dx, dw, db = oracle.affine(x, w, b, dout)

    def affine_value() -> float:
        return float(np.sum((x.reshape(3, -1) @ w + b) * dout))

    for analytic, array in ((dx, x), (dw, w), (db, b)):
        assert rel_error(analytic, _numerical(affine_value, array)) < 1e-7
    _, dx, dw, db = oracle.affine_relu(x, w, b, dout)

    def affine_relu_value() -> float:
        return float(np.sum(np.maximum(x.reshape(3, -1) @ w + b, 0) * dout))

    for analytic, array in ((dx, x), (dw, w), (db, b)):
        assert rel_error(analytic, _numerical(affine_relu_value, array)) < 1e-6
    s, y = rng.standard_normal((4, 6)), np.array([0, 5, 2, 2])
    _, ds = oracle.softmax_loss(s, y)
    assert rel_error(ds, _numerical(lambda: oracle.softmax_loss(s, y)[0], s)) < 1e-7


def test_two_layer_loss_matches_numerical_gradients(rng):
    params = {"W1": rng.standard_normal((6, 4)), "b1": rng.standard_normal(4),
              "W2": rng.standard_normal((4, 3)), "b2": rng.standard_normal(3)}
    X, y = rng.standard_normal((5, 2, 3)), np.array([0, 1, 2, 1, 0])
    for reg in (0.0, 0.7):
        _, grads = oracle.two_layer_loss(params, X, y, reg)
        for name in oracle.PARAMS:
            numeric = _numerical(lambda r=reg: oracle.two_layer_loss(params, X, y, r)[0],
                                 params[name])
            # Tiny entries of a gradient put the finite difference's rounding at ~1e-5.
            assert rel_error(grads[name], numeric) < 1e-5, (name, reg)


def test_oracle_leaves_its_inputs_alone(rng):
    x, dout = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    kept = x.copy(), dout.copy()
    oracle.relu(x, dout)
    assert np.array_equal(x, kept[0]) and np.array_equal(dout, kept[1])
