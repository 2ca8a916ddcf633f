"""get_cifar10_images: CIFAR-10 as the two-layer network notebook uses it (images kept as
(N, 3, 32, 32), 0-255 pixels minus the mean training image, no bias column)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from cs231n_data import eval_numerical_gradient_array, get_cifar10_images
from cs231n_data.cifar10 import load_cifar10


@pytest.fixture(scope="module")
def images(cifar10_path: Path, cifar10_cache: Path) -> dict[str, np.ndarray]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
        return get_cifar10_images(cifar10_path)


@pytest.mark.cifar
def test_the_split_is_49000_1000_1000_images_channels_first(images):
    assert images["X_train"].shape == (49000, 3, 32, 32)
    assert images["X_val"].shape == (1000, 3, 32, 32)
    assert images["X_test"].shape == (1000, 3, 32, 32)
    assert images["mean_image"].shape == (3, 32, 32)
    assert [len(images[k]) for k in ("y_train", "y_val", "y_test")] == [49000, 1000, 1000]
    assert images["X_train"].dtype == np.float32 and images["y_train"].dtype == np.int64


@pytest.mark.cifar
def test_pixels_are_0_to_255_minus_the_mean_training_image(images, cifar10_path):
    X_train, y_train, X_test, y_test = load_cifar10(cifar10_path)
    # the red channel's mean over CIFAR-10 is about 125 (of 255): the mean image shows it
    assert 120 < images["mean_image"][0].mean() < 131
    restored = images["X_val"][3] + images["mean_image"]  # (3, 32, 32)
    np.testing.assert_allclose(restored, X_train[49003].transpose(2, 0, 1), atol=1e-3)
    restored = images["X_test"][0] + images["mean_image"]
    np.testing.assert_allclose(restored, X_test[0].transpose(2, 0, 1), atol=1e-3)
    assert abs(images["X_train"].mean(axis=0, dtype=np.float64)).max() < 1e-3
    assert images["y_val"][:5].tolist() == y_train[49000:49005].tolist()
    assert images["y_test"].tolist() == y_test[:1000].tolist()


def test_a_split_larger_than_the_data_is_refused_by_name(tiny_cifar10_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ValueError, match="get_cifar10_images: num_training = 100"):
        get_cifar10_images(tiny_cifar10_dir, num_training=100, num_validation=1)


def test_small_splits_in_float64(tiny_cifar10_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    small = get_cifar10_images(tiny_cifar10_dir, num_training=90, num_validation=10,
                               num_test=4, dtype=np.float64)
    X_train, _, _, _ = load_cifar10(tiny_cifar10_dir)
    expected_mean = X_train[:90].astype(np.float64).mean(axis=0).transpose(2, 0, 1)
    np.testing.assert_allclose(small["mean_image"], expected_mean)
    assert small["X_train"].dtype == np.float64 and small["X_test"].shape == (4, 3, 32, 32)


def test_the_array_gradient_check_matches_a_layer_whose_gradient_is_known():
    # f(x) = x * x elementwise: the gradient of sum(df * f(x)) is 2 * x * df
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    df = rng.standard_normal((3, 4))
    before = x.copy()
    grad = eval_numerical_gradient_array(lambda v: v * v, x, df)
    np.testing.assert_allclose(grad, 2 * x * df, rtol=1e-6, atol=1e-9)
    assert np.array_equal(x, before), "x must be restored after the check"


def test_the_array_gradient_check_refuses_integer_input():
    with pytest.raises(TypeError, match="float numpy array"):
        eval_numerical_gradient_array(lambda v: v, np.arange(3), np.ones(3))
