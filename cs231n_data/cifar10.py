"""Load CIFAR-10 (the "python version") and build the standard CS231n split.

The canonical data set is a folder ``cifar-10-batches-py/`` holding five training batches
(``data_batch_1`` ... ``data_batch_5``), ``test_batch`` and ``batches.meta``. Each batch is a
pickled dict whose ``data`` is a uint8 array of shape (N, 3072) (1024 red, 1024 green, then
1024 blue values, each plane row-major) and whose ``labels`` is a list of N ints in 0..9.

Unpickling 180 MB takes a while, so the first load writes the arrays as ``.npy`` files to a
cache folder and later loads memory-map them.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_DIR = Path(__file__).parent / "cifar-10-batches-py"
TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
IMAGE_SHAPE = (32, 32, 3)
NUM_PIXELS = 32 * 32 * 3
DOWNLOAD_COMMAND = "python -m cs231n_data.download"
# The label names stored in batches.meta, in label order.
CLASS_NAMES = ("airplane", "automobile", "bird", "cat", "deer",
               "dog", "frog", "horse", "ship", "truck")

# Bump when the layout of the cached files changes, so old caches are ignored.
_CACHE_VERSION = 1
_CACHE_NAMES = ("X_train", "y_train", "X_test", "y_test")

# The only globals a CIFAR-10 batch pickle refers to (numpy 1 and numpy 2 spellings).
# Anything else in a data file is refused rather than executed.
_PICKLE_ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),
}


class CIFAR10Error(FileNotFoundError):
    """CIFAR-10 is missing or damaged; the message names the path and what to run."""


def cifar10_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Return the CIFAR-10 folder: ``path`` if given, else ``$CIFAR10_DIR``, else DEFAULT_DIR.

    A folder that itself holds ``cifar-10-batches-py/`` (where the archive was extracted) is
    accepted too and resolved to that subfolder.
    """
    if path is not None:
        folder = Path(path).expanduser()
    elif os.environ.get("CIFAR10_DIR"):
        folder = Path(os.environ["CIFAR10_DIR"]).expanduser()
    else:
        folder = DEFAULT_DIR
    nested = folder / "cifar-10-batches-py"
    if not (folder / TEST_BATCH).exists() and nested.is_dir():
        return nested
    return folder


def load_cifar10(
    path: str | os.PathLike[str] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Load all of CIFAR-10.

    Inputs:
    - path: the ``cifar-10-batches-py`` folder; None means ``cifar10_dir()``.

    Returns a tuple of:
    - X_train: uint8 array of shape (50000, 32, 32, 3), images as height x width x RGB
    - y_train: int64 array of shape (50000,), labels in 0..9
    - X_test: uint8 array of shape (10000, 32, 32, 3)
    - y_test: int64 array of shape (10000,)

    The images are read-only memory maps of the cache (``$CS231N_CACHE_DIR``, else
    ``~/.cache/cs231n_data``); take ``X.astype(np.float32)`` or ``X.copy()`` to get an array
    you can modify. The labels are ordinary arrays.

    Raises CIFAR10Error if the folder or a batch is missing or damaged.
    """
    folder = cifar10_dir(path)
    batch_files = _batch_files(folder)
    cache = _cache_folder(folder, batch_files)
    cached = _read_cache(cache)
    if cached is not None:
        return cached

    train = [_read_batch(f) for f in batch_files[:-1]]
    test = [_read_batch(batch_files[-1])]
    try:
        _write_cache(cache, train, test)
    except OSError as exc:
        warnings.warn(
            f"could not write the CIFAR-10 cache to {cache} ({exc}); loading without it. "
            "Set CS231N_CACHE_DIR to a writable folder to make later loads fast.",
            stacklevel=2,
        )
        X_train, y_train = _assemble(train, np.empty)
        X_test, y_test = _assemble(test, np.empty)
        return X_train, y_train, X_test, y_test
    cached = _read_cache(cache)
    if cached is None:
        raise CIFAR10Error(f"the CIFAR-10 cache just written to {cache} cannot be read back")
    return cached


def get_cifar10_data(
    path: str | os.PathLike[str] | None = None,
    num_training: int = 49000,
    num_validation: int = 1000,
    num_test: int = 1000,
    num_dev: int = 500,
    seed: int | np.random.Generator | None = 0,
    dtype: type | np.dtype = np.float32,
    pixel_scale: float = 1.0,
) -> dict[str, np.ndarray]:
    """Load CIFAR-10 and preprocess it the standard CS231n way for linear classifiers.

    Images become rows of D = 3073 values: the 3072 pixels (32 x 32 x 3, flattened) minus the
    mean training image, then a constant 1 (the bias trick, so X @ W includes the bias).

    Inputs:
    - path: the ``cifar-10-batches-py`` folder; None means ``cifar10_dir()``.
    - num_training: training rows, the first training images (0 .. num_training-1).
    - num_validation: validation rows, the training images right after them
      (by default images 49000 .. 49999).
    - num_test: test rows, the first test images.
    - num_dev: rows of a small development set, sampled without replacement from the
      training rows (reproducible for a given seed).
    - seed: seed (or np.random.Generator) for the dev sample.
    - dtype: floating dtype of the train/val/test rows; float32 halves the memory of
      float64. The small dev set is always float64, so that gradient checks and
      naive-vs-vectorized comparisons on it are not limited by float32 rounding.
    - pixel_scale: pixels are multiplied by this before the mean image is subtracted
      (1.0: CS231n's 0-255 values; 1/255: EECS 498's pixels in [0, 1]).

    Returns a dict of arrays:
    - X_train (num_training, 3073), y_train (num_training,)
    - X_val (num_validation, 3073), y_val (num_validation,)
    - X_test (num_test, 3073), y_test (num_test,)
    - X_dev (num_dev, 3073), y_dev (num_dev,)
    - mean_image (3072,): the mean training image that was subtracted (flattened)
    Labels are int64.
    """
    X_all, y_all, X_test_all, y_test_all = load_cifar10(path)
    if num_training < 1 or num_validation < 0 or num_training + num_validation > len(X_all):
        raise ValueError(
            f"num_training = {num_training} and num_validation = {num_validation} must be "
            f"positive and together at most the {len(X_all)} training images"
        )
    if not 0 <= num_test <= len(X_test_all):
        raise ValueError(f"num_test = {num_test} must be between 0 and {len(X_test_all)}")
    if not 0 <= num_dev <= num_training:
        raise ValueError(f"num_dev = {num_dev} must be between 0 and num_training = {num_training}")

    train_pixels = X_all[:num_training].reshape(num_training, NUM_PIXELS)
    # The float64 accumulator is applied chunk by chunk: no float64 copy of the images.
    mean_image = (train_pixels.mean(axis=0, dtype=np.float64) * pixel_scale).astype(dtype)

    def rows(images: np.ndarray) -> np.ndarray:
        out = np.empty((len(images), NUM_PIXELS + 1), dtype=dtype)
        out[:, :NUM_PIXELS] = images.reshape(len(images), NUM_PIXELS)
        if pixel_scale != 1.0:
            out[:, :NUM_PIXELS] *= dtype(pixel_scale) if isinstance(dtype, type) \
                else np.dtype(dtype).type(pixel_scale)
        out[:, :NUM_PIXELS] -= mean_image
        out[:, NUM_PIXELS] = 1
        return out

    val = slice(num_training, num_training + num_validation)
    X_train = rows(X_all[:num_training])
    dev = np.random.default_rng(seed).choice(num_training, size=num_dev, replace=False)
    return {
        "X_train": X_train,
        "y_train": y_all[:num_training].copy(),
        "X_val": rows(X_all[val]),
        "y_val": y_all[val].copy(),
        "X_test": rows(X_test_all[:num_test]),
        "y_test": y_test_all[:num_test].copy(),
        # The dev set is for gradient checks and naive-vs-vectorized comparisons, where
        # float32 rounding (~1e-3 in a gradient's norm) would hide or fake a bug: float64.
        "X_dev": X_train[dev].astype(np.float64),
        "y_dev": y_all[dev],
        "mean_image": mean_image,
    }


def get_cifar10_tensors(
    path: str | os.PathLike[str] | None = None,
    dtype: object = None,
    device: object = "cpu",
    **options: Any,
) -> dict[str, Any]:
    """CIFAR-10 as torch tensors, preprocessed as EECS 498 does for linear classifiers:
    pixels scaled to [0, 1], minus the mean training image, a constant 1 appended (the
    bias trick), in the standard split of `get_cifar10_data` (whose other options, such
    as num_training, it takes too).

    Inputs:
    - dtype: the tensors' floating dtype (default torch.float64, as EECS 498 uses);
      labels are always int64.
    - device: where the tensors live ("cpu", "cuda", a torch.device).

    Returns the keys of `get_cifar10_data` (X_train, y_train, X_val, y_val, X_test,
    y_test, X_dev, y_dev, mean_image), each a tensor on `device`.
    """
    import torch

    dtype = torch.float64 if dtype is None else dtype
    data = get_cifar10_data(path, pixel_scale=1 / 255, **options)
    return {k: torch.from_numpy(v).to(device=device,
                                      dtype=torch.int64 if k.startswith("y") else dtype)
            for k, v in data.items()}


def _batch_files(folder: Path) -> list[Path]:
    """The six batch files of ``folder`` (training first), or a CIFAR10Error saying what to do."""
    if not folder.is_dir():
        raise CIFAR10Error(
            f"CIFAR-10 not found: {folder} is not a folder. Run `{DOWNLOAD_COMMAND}` to "
            "download it, or set CIFAR10_DIR to a folder holding data_batch_1..5 and test_batch."
        )
    files = [folder / name for name in (*TRAIN_BATCHES, TEST_BATCH)]
    missing = [f.name for f in files if not f.is_file()]
    if missing:
        raise CIFAR10Error(
            f"CIFAR-10 at {folder} is incomplete: missing {', '.join(missing)}. "
            + _damaged_advice(folder)
        )
    return files


def _damaged_advice(folder: Path) -> str:
    return f"Delete {folder} and run `{DOWNLOAD_COMMAND}` again, or set CIFAR10_DIR to a good copy."


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in _PICKLE_ALLOWED:
            raise pickle.UnpicklingError(f"unexpected object {module}.{name} in the pickle")
        return super().find_class(module, name)


def _read_batch(file: Path) -> tuple[np.ndarray, np.ndarray]:
    """Unpickle one batch: (data of shape (N, 3072) uint8, labels of shape (N,) int64)."""
    try:
        with open(file, "rb") as f:
            # latin1 turns the Python 2 byte strings of the original pickles into str keys.
            batch = _BatchUnpickler(f, encoding="latin1").load()
        data = batch["data"]
        labels = np.asarray(batch["labels"])
    except Exception as exc:  # any failure to unpickle means the same thing: a damaged file
        raise CIFAR10Error(
            f"cannot read the CIFAR-10 batch {file} ({type(exc).__name__}: {exc}). "
            + _damaged_advice(file.parent)
        ) from exc
    if (
        not isinstance(data, np.ndarray)
        or data.dtype != np.uint8
        or data.ndim != 2
        or data.shape[1] != NUM_PIXELS
        or labels.shape != (data.shape[0],)
        or not np.issubdtype(labels.dtype, np.integer)
        or labels.size == 0
        or labels.min() < 0
        or labels.max() > 9
    ):
        found = f"data {getattr(data, 'dtype', type(data).__name__)} {getattr(data, 'shape', '')}"
        raise CIFAR10Error(
            f"the CIFAR-10 batch {file} has the wrong shape: expected uint8 data of shape "
            f"(N, {NUM_PIXELS}) and N labels in 0..9, found {found} and "
            f"{labels.size} labels. " + _damaged_advice(file.parent)
        )
    return data, labels.astype(np.int64)


def _assemble(
    batches: list[tuple[np.ndarray, np.ndarray]],
    allocate: Callable[[tuple[int, ...], type], np.ndarray],
) -> tuple[np.ndarray, np.ndarray]:
    """Stack batches into (X of shape (N, 32, 32, 3), y of shape (N,)).

    ``allocate(shape, dtype)`` makes the output image array (np.empty, or a writable memmap),
    so the images are copied once, straight into place.
    """
    y = np.concatenate([labels for _, labels in batches])
    X = allocate((len(y), *IMAGE_SHAPE), np.uint8)
    start = 0
    for data, _ in batches:
        n = len(data)
        X[start : start + n] = data.reshape(n, 3, 32, 32).transpose(0, 2, 3, 1)
        start += n
    return X, y


def _cache_root() -> Path:
    if os.environ.get("CS231N_CACHE_DIR"):
        return Path(os.environ["CS231N_CACHE_DIR"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "cs231n_data"


def _cache_folder(folder: Path, batch_files: list[Path]) -> Path:
    """Cache subfolder keyed by the data's real path and its files' sizes and mtimes."""
    key = hashlib.sha256(f"v{_CACHE_VERSION}\0{folder.resolve()}".encode())
    for file in batch_files:
        st = file.stat()
        key.update(f"\0{file.name}\0{st.st_size}\0{st.st_mtime_ns}".encode())
    return _cache_root() / f"cifar10-{key.hexdigest()[:20]}"


def _read_cache(cache: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """The cached arrays, or None when the cache is absent or unusable."""
    try:
        X_train, y_train, X_test, y_test = (
            np.load(cache / f"{name}.npy", mmap_mode="r" if name.startswith("X") else None)
            for name in _CACHE_NAMES
        )
    except (OSError, ValueError):
        return None
    for X, y in ((X_train, y_train), (X_test, y_test)):
        if X.dtype != np.uint8 or X.shape != (len(y), *IMAGE_SHAPE) or y.dtype != np.int64:
            return None
    return X_train, y_train, X_test, y_test


def _write_cache(cache: Path, train: list, test: list) -> None:
    """Write the four .npy files; each appears under its final name only once complete."""
    cache.mkdir(parents=True, exist_ok=True)
    for suffix, batches in (("train", train), ("test", test)):
        X_tmp = _temp_name(cache, f"X_{suffix}")
        y_tmp = _temp_name(cache, f"y_{suffix}")
        try:
            X, y = _assemble(
                batches,
                lambda shape, dtype, tmp=X_tmp: np.lib.format.open_memmap(
                    tmp, mode="w+", dtype=dtype, shape=shape
                ),
            )
            X.flush()
            del X
            np.save(y_tmp, y)
            for tmp in (X_tmp, y_tmp):
                # mkstemp makes owner-only files; the cache may be shared by a course's users.
                os.chmod(tmp, 0o644)
            # os.replace is atomic: a concurrent reader sees the old state or a whole file.
            os.replace(X_tmp, cache / f"X_{suffix}.npy")
            os.replace(y_tmp, cache / f"y_{suffix}.npy")
        finally:
            for tmp in (X_tmp, y_tmp):
                tmp.unlink(missing_ok=True)


def _temp_name(cache: Path, name: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}-", suffix=".npy", dir=cache)
    os.close(fd)
    return Path(tmp)
