"""The SOI1010 edition's data and trusted training: CIFAR-10 as torchvision's ToTensor gives
it, the notebook's 90/10 split standardized with the training images' statistics, and the
reference the grader trains with a student's settings (deterministic for a seed, well above
chance on real CIFAR-10 for every target)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from autograder.assignments.soi1010 import reference
from cs231n_data import get_cifar10_raw_tensors
from cs231n_data.cifar10 import load_cifar10


def one_vs_all(lam: list[float], lr: list[float], epochs: int = 2) -> dict[str, float]:
    return {**{f"lam_{k}": v for k, v in enumerate(lam)},
            **{f"lr_{k}": v for k, v in enumerate(lr)}, "batch_size": 64, "epochs": epochs}


def clouds(n: int, d: int, seed: int) -> dict[str, np.ndarray]:
    """Ten well separated Gaussian clouds of n points in d dimensions, float32."""
    rng = np.random.default_rng(seed)
    centers = 3 * rng.standard_normal((10, d))
    y = rng.integers(0, 10, n)
    return {"X_train": (centers[y] + rng.standard_normal((n, d))).astype(np.float32),
            "y_train": y.astype(np.int64)}


def test_raw_tensors_are_the_batches_scaled_to_0_1_channels_first(tiny_cifar10_dir, tmp_path,
                                                                   monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    data = get_cifar10_raw_tensors(tiny_cifar10_dir)
    X_train, y_train, X_test, y_test = load_cifar10(tiny_cifar10_dir)
    assert data["X_train"].shape == (100, 3, 32, 32) and data["X_test"].shape == (10, 3, 32, 32)
    assert data["X_train"].dtype == torch.float32 and data["y_train"].dtype == torch.int64
    # pixel (row 4, column 7) of image 3, green channel, as ToTensor places it
    assert float(data["X_train"][3, 1, 4, 7]) == pytest.approx(X_train[3, 4, 7, 1] / 255.0)
    assert data["y_train"].tolist() == list(y_train)
    assert data["y_test"].tolist() == list(y_test)
    assert float(data["X_test"].min()) >= 0.0 and float(data["X_test"].max()) <= 1.0


@pytest.mark.cifar
def test_raw_tensors_hold_all_of_cifar10(cifar10_path: Path, cifar10_cache: Path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
    data = get_cifar10_raw_tensors(cifar10_path)
    assert data["X_train"].shape == (50000, 3, 32, 32)
    assert data["X_test"].shape == (10000, 3, 32, 32)
    assert float(data["X_train"].min()) == 0.0 and float(data["X_train"].max()) == 1.0
    # CIFAR-10 is balanced: 5,000 training and 1,000 test images per class
    assert torch.bincount(data["y_train"]).tolist() == [5000] * 10
    assert torch.bincount(data["y_test"]).tolist() == [1000] * 10


def test_binary_accuracy_counts_only_the_pairs_rows():
    X = np.ones((6, 4), np.float32)
    y = np.array([0, 8, 3, 8, 5, 0])
    always_positive = {"W": np.zeros((1, 4), np.float32), "b": np.array([0.5], np.float32)}
    pair = {"positive": 0, "negative": 8}
    # rows of classes 0 and 8: two 0s and two 8s; a score above 0 says class 0
    assert reference.accuracy("binary_svm", always_positive, X, y, pair) == 0.5
    flipped = {"positive": 8, "negative": 0}
    always_negative = {"W": np.zeros((1, 4), np.float32), "b": np.array([-0.5], np.float32)}
    assert reference.accuracy("binary_svm", always_negative, X, y[::-1].copy(), flipped) == 0.5


def test_multiclass_accuracy_is_the_argmax_of_the_scores():
    X = np.eye(3, dtype=np.float32)
    params = {"W": np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0]], np.float32),
              "b": np.zeros(3, np.float32)}
    # row i's highest score is class (i + 1) % 3
    assert reference.accuracy("softmax", params, X, np.array([1, 2, 0]), {}) == 1.0
    assert reference.accuracy("one_vs_all", params, X, np.array([1, 2, 2]), {}) == 2 / 3


def test_one_vs_all_trains_each_column_with_its_own_lam_and_lr():
    data = clouds(300, 8, seed=1)
    base = reference.train("one_vs_all", one_vs_all([1e-3] * 10, [1e-2] * 10), data, seed=4)
    lams = [1e-3] * 10
    frozen = reference.train("one_vs_all", one_vs_all(lams, [1e-2] * 3 + [0.0] + [1e-2] * 6),
                             data, seed=4)
    other_lr = reference.train("one_vs_all", one_vs_all(lams, [5e-2] * 3 + [0.0] + [5e-2] * 6),
                               data, seed=4)
    # a column with learning rate 0 keeps its initial weights whatever the others do
    np.testing.assert_array_equal(frozen["W"][3], other_lr["W"][3])
    assert not np.array_equal(frozen["W"][3], base["W"][3])
    strong = reference.train("one_vs_all", one_vs_all([1e-3] * 5 + [10.0] + [1e-3] * 4,
                                                      [1e-2] * 10), data, seed=4)
    # lam_5 reaches column 5 only, and shrinks it
    np.testing.assert_array_equal(np.delete(strong["W"], 5, 0), np.delete(base["W"], 5, 0))
    assert np.linalg.norm(strong["W"][5]) < 0.5 * np.linalg.norm(base["W"][5])
    assert base["W"].shape == (10, 8) and base["b"].shape == (10,)


def test_softmax_weight_decay_shrinks_the_weights_and_training_fits_separable_data():
    data = clouds(400, 6, seed=2)
    plain = reference.train("softmax", {"lr": 0.1, "batch_size": 20, "epochs": 20,
                                        "weight_decay": 0.0}, data, seed=0)
    decayed = reference.train("softmax", {"lr": 0.1, "batch_size": 20, "epochs": 20,
                                          "weight_decay": 0.1}, data, seed=0)
    assert np.linalg.norm(decayed["W"]) < 0.7 * np.linalg.norm(plain["W"])
    assert reference.accuracy("softmax", plain, data["X_train"], data["y_train"], {}) > 0.95


def test_the_binary_svm_trains_on_the_pair_only():
    data = clouds(400, 6, seed=3)
    pair = {"positive": 2, "negative": 7, "lam": 1e-3, "lr": 0.05, "batch_size": 16,
            "epochs": 10}
    params = reference.train("binary_svm", pair, data, seed=0)
    assert params["W"].shape == (1, 6) and params["b"].shape == (1,)
    assert reference.accuracy("binary_svm", params, data["X_train"], data["y_train"], pair) > 0.95
    # the other classes' rows play no part: dropping them changes nothing
    keep = np.isin(data["y_train"], [2, 7])
    alone = reference.train("binary_svm", pair, {k: v[keep] for k, v in data.items()}, seed=0)
    np.testing.assert_array_equal(params["W"], alone["W"])


@pytest.fixture(scope="module")
def prepared(cifar10_path: Path, cifar10_cache: Path):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
        return reference.prepare(cifar10_path)


@pytest.mark.cifar
@pytest.mark.slow
def test_prepare_splits_90_10_from_seed_0_and_standardizes_with_the_training_split(
        prepared, cifar10_path):
    parent, training = prepared
    assert training["X_train"].shape == (45000, 3072) and parent["X_val"].shape == (5000, 3072)
    assert parent["X_test"].shape == (10000, 3072) and training["X_train"].dtype == np.float32
    order = torch.randperm(50000, generator=torch.Generator().manual_seed(0)).numpy()
    X_all, y_all, X_test, y_test = load_cifar10(cifar10_path)
    assert parent["y_val"].tolist() == y_all[order[:5000]].tolist()
    assert training["y_train"].tolist() == y_all[order[5000:]].tolist()
    assert parent["y_test"].tolist() == y_test.tolist()
    pixels = X_all[order[5000:]].reshape(-1, 3).astype(np.float64) / 255.0   # (N * 1024, 3)
    mean, std = pixels.mean(axis=0), pixels.std(axis=0)
    val_0 = (X_all[order[0]].transpose(2, 0, 1) / 255.0 - mean[:, None, None]) / std[:, None, None]
    np.testing.assert_allclose(parent["X_val"][0], val_0.reshape(-1), atol=1e-4)
    test_9 = (X_test[9].transpose(2, 0, 1) / 255.0 - mean[:, None, None]) / std[:, None, None]
    np.testing.assert_allclose(parent["X_test"][9], test_9.reshape(-1), atol=1e-4)
    red = training["X_train"][:, :1024]
    assert abs(float(red.mean())) < 1e-3 and abs(float(red.std()) - 1.0) < 1e-3


@pytest.mark.cifar
@pytest.mark.slow
@pytest.mark.parametrize(("target", "settings", "chance", "above"), [
    ("binary_svm", {"positive": 0, "negative": 8, "lam": 1e-2, "lr": 1e-3, "batch_size": 64,
                    "epochs": 5}, 0.5, 0.12),
    ("binary_svm", {"positive": 3, "negative": 5, "lam": 1e-2, "lr": 1e-3, "batch_size": 64,
                    "epochs": 5}, 0.5, 0.05),
    ("one_vs_all", one_vs_all([1e-2] * 10, [1e-3] * 10, epochs=1), 0.1, 0.15),
    ("softmax", {"lr": 1e-3, "batch_size": 64, "epochs": 1, "weight_decay": 0.0}, 0.1, 0.25),
])
def test_the_reference_beats_chance_on_cifar10_and_is_deterministic(
        prepared, target, settings, chance, above):
    parent, training = prepared
    params = reference.train(target, settings, training, seed=5)
    test = reference.accuracy(target, params, parent["X_test"], parent["y_test"], settings)
    assert test > chance + above, f"{target}: test accuracy {test:.3f}"
    again = reference.train(target, settings, training, seed=5)
    np.testing.assert_array_equal(params["W"], again["W"])
    np.testing.assert_array_equal(params["b"], again["b"])
    other = reference.train(target, settings, training, seed=6)
    assert not np.array_equal(params["W"], other["W"])
