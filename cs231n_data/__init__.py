"""CIFAR-10 data and helpers for the linear-classifier assignment.

- ``cs231n_data.cifar10``: ``load_cifar10``, ``get_cifar10_data`` (the standard split),
  ``get_cifar10_tensors`` (the same split as torch tensors, EECS 498's [0, 1] pixels)
- ``cs231n_data.images``: ``get_cifar10_images``, the split as (N, 3, 32, 32) images for networks;
  ``get_cifar10_raw_tensors``, all of it as torchvision's ToTensor gives it ([0, 1], unsplit)
- ``cs231n_data.download``: ``python -m cs231n_data.download`` fetches the data set
- ``cs231n_data.gradient_check``: numerical gradients to check yours against
"""

from cs231n_data.cifar10 import (
    CIFAR10Error,
    cifar10_dir,
    get_cifar10_data,
    get_cifar10_tensors,
    load_cifar10,
)
from cs231n_data.gradient_check import (
    eval_numerical_gradient,
    eval_numerical_gradient_array,
    grad_check_sparse,
    rel_error,
)
from cs231n_data.images import get_cifar10_images, get_cifar10_raw_tensors

__all__ = [
    "CIFAR10Error",
    "cifar10_dir",
    "eval_numerical_gradient",
    "eval_numerical_gradient_array",
    "get_cifar10_data",
    "get_cifar10_images",
    "get_cifar10_raw_tensors",
    "get_cifar10_tensors",
    "grad_check_sparse",
    "load_cifar10",
    "rel_error",
]
