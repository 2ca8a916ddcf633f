"""CIFAR-10 as images, the way CS231n's two-layer and fully connected network notebooks use it,
and as torchvision's dataset gives it (SOI1010's notebook).

The linear classifiers flatten each image into a row and append a bias column; networks keep
the image's shape, (3, 32, 32) channels first, and learn their biases themselves, so an affine
layer flattens its input and no column of ones is added.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from cs231n_data.cifar10 import NUM_PIXELS, load_cifar10

CHW = (3, 32, 32)


def get_cifar10_images(
    path: str | os.PathLike[str] | None = None,
    num_training: int = 49000,
    num_validation: int = 1000,
    num_test: int = 1000,
    dtype: type | np.dtype = np.float32,
) -> dict[str, np.ndarray]:
    """Load CIFAR-10 and preprocess it as CS231n's two-layer network notebook does.

    Pixels keep their 0-255 scale, the mean training image is subtracted, and each image is
    laid out channels first: (3, 32, 32). There is no bias column.

    Inputs:
    - path: the ``cifar-10-batches-py`` folder; None means ``cifar10_dir()``.
    - num_training: training images, the first ones of the training batches (0 .. 48999).
    - num_validation: validation images, the training images right after them
      (by default images 49000 .. 49999).
    - num_test: test images, the first ones of the test batch.
    - dtype: floating dtype of the images; float32 (the default) halves float64's memory.

    Returns a dict of arrays:
    - X_train (num_training, 3, 32, 32), y_train (num_training,)
    - X_val (num_validation, 3, 32, 32), y_val (num_validation,)
    - X_test (num_test, 3, 32, 32), y_test (num_test,)
    - mean_image (3, 32, 32): the mean training image that was subtracted
    Labels are int64.
    """
    X_all, y_all, X_test_all, y_test_all = load_cifar10(path)
    if num_training < 1 or num_validation < 0 or num_training + num_validation > len(X_all):
        raise ValueError(
            f"get_cifar10_images: num_training = {num_training} and num_validation = "
            f"{num_validation} must be positive and together at most the {len(X_all)} "
            "training images"
        )
    if not 0 <= num_test <= len(X_test_all):
        raise ValueError(
            f"get_cifar10_images: num_test = {num_test} must be between 0 and {len(X_test_all)}"
        )

    train_pixels = X_all[:num_training].reshape(num_training, NUM_PIXELS)
    # The float64 accumulator works chunk by chunk: no float64 copy of the images is made.
    mean_hwc = train_pixels.mean(axis=0, dtype=np.float64).reshape(32, 32, 3)
    mean_image = mean_hwc.transpose(2, 0, 1).astype(dtype)  # (3, 32, 32)

    def images(hwc: np.ndarray) -> np.ndarray:
        # (N, 32, 32, 3) uint8 -> (N, 3, 32, 32) float, centred
        out = np.empty((len(hwc), *CHW), dtype=dtype)
        out[...] = hwc.transpose(0, 3, 1, 2)
        out -= mean_image
        return out

    val = slice(num_training, num_training + num_validation)
    return {
        "X_train": images(X_all[:num_training]),
        "y_train": y_all[:num_training].copy(),
        "X_val": images(X_all[val]),
        "y_val": y_all[val].copy(),
        "X_test": images(X_test_all[:num_test]),
        "y_test": y_test_all[:num_test].copy(),
        "mean_image": mean_image,
    }


def get_cifar10_raw_tensors(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """All of CIFAR-10 as torch tensors, the way torchvision's ``CIFAR10`` dataset with
    ``transforms.ToTensor()`` gives each image: pixels scaled to [0, 1], channels first, no
    mean subtracted, no split (the notebook makes its own validation split).

    Inputs:
    - path: the ``cifar-10-batches-py`` folder; None means ``cifar10_dir()``.

    Returns a dict of CPU tensors:
    - X_train (50000, 3, 32, 32) float32 in [0, 1], y_train (50000,) int64 in 0..9
    - X_test (10000, 3, 32, 32) float32 in [0, 1], y_test (10000,) int64
    """
    import torch

    X_all, y_all, X_test_all, y_test_all = load_cifar10(path)

    def images(hwc: np.ndarray) -> torch.Tensor:
        # (N, 32, 32, 3) uint8 -> (N, 3, 32, 32) float32 in [0, 1], as ToTensor divides by 255
        out = np.empty((len(hwc), *CHW), dtype=np.float32)
        out[...] = hwc.transpose(0, 3, 1, 2)
        out /= 255.0
        return torch.from_numpy(out)

    return {"X_train": images(X_all), "y_train": torch.from_numpy(np.asarray(y_all, np.int64)),
            "X_test": images(X_test_all),
            "y_test": torch.from_numpy(np.asarray(y_test_all, np.int64))}
