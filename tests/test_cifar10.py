"""The CIFAR-10 loader: real facts about the data, the standard split, the cache, clear errors.

Tests marked ``cifar`` read the real data set (see the ``cifar10_path`` fixture); the others
build tiny folders of their own to exercise the error paths.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import shutil
from pathlib import Path

import numpy as np
import pytest

from cs231n_data.cifar10 import (
    DEFAULT_DIR,
    CIFAR10Error,
    cifar10_dir,
    get_cifar10_data,
    load_cifar10,
)

DOWNLOAD_COMMAND = "python -m cs231n_data.download"


@pytest.fixture(scope="module")
def real(cifar10_path: Path, cifar10_cache: Path) -> tuple[np.ndarray, ...]:
    """load_cifar10 on the real data, through the session cache."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
        return load_cifar10(cifar10_path)


@pytest.fixture(scope="module")
def split(cifar10_path: Path, cifar10_cache: Path) -> dict[str, np.ndarray]:
    """get_cifar10_data with its defaults on the real data."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
        return get_cifar10_data(cifar10_path)


def symlink_copy(src: Path, dst: Path) -> Path:
    """A folder of symlinks to src's files: a "copy" of the data set that costs nothing."""
    dst.mkdir()
    for file in src.iterdir():
        (dst / file.name).symlink_to(file.resolve())
    return dst


# --- facts from shared/data/README.md ------------------------------------------------------


@pytest.mark.cifar
def test_shapes_and_dtypes(real):
    X_train, y_train, X_test, y_test = real
    assert X_train.shape == (50000, 32, 32, 3) and X_train.dtype == np.uint8
    assert X_test.shape == (10000, 32, 32, 3) and X_test.dtype == np.uint8
    assert y_train.shape == (50000,) and y_train.dtype == np.int64
    assert y_test.shape == (10000,) and y_test.dtype == np.int64


@pytest.mark.cifar
def test_class_counts_and_first_labels(real):
    _, y_train, _, y_test = real
    assert np.bincount(y_train).tolist() == [5000] * 10
    assert np.bincount(y_test).tolist() == [1000] * 10
    assert y_train[:10].tolist() == [6, 9, 9, 4, 1, 1, 2, 7, 8, 3]
    assert y_test[:10].tolist() == [3, 8, 8, 0, 6, 6, 1, 6, 3, 1]


@pytest.mark.cifar
def test_channels_are_rgb_in_the_last_axis(real):
    X_train = real[0]
    means = X_train.reshape(-1, 3).mean(axis=0)
    np.testing.assert_allclose(means, [125.31, 122.95, 113.87], atol=0.01)


# --- the standard split ----------------------------------------------------------------------


@pytest.mark.cifar
def test_split_shapes_and_bias_column(split):
    expected = {"train": 49000, "val": 1000, "test": 1000, "dev": 500}
    for name, n in expected.items():
        X, y = split[f"X_{name}"], split[f"y_{name}"]
        assert X.shape == (n, 3073), name
        assert X.dtype == (np.float64 if name == "dev" else np.float32), name
        assert y.shape == (n,) and y.dtype == np.int64, name
        assert np.all(X[:, -1] == 1), f"X_{name}: the last column is the bias trick's ones"
    assert split["mean_image"].shape == (3072,)


@pytest.mark.cifar
def test_training_rows_are_mean_subtracted(split, real):
    pixel_means = split["X_train"][:, :-1].mean(axis=0, dtype=np.float64)
    assert np.abs(pixel_means).max() < 1e-3
    # The mean image is that of the 49,000 training rows only (not of val), as a picture.
    expected = real[0][:49000].mean(axis=0, dtype=np.float64).reshape(-1)
    np.testing.assert_allclose(split["mean_image"], expected, atol=1e-4)


@pytest.mark.cifar
def test_val_is_training_images_49000_to_49999_and_test_the_first_1000(split, real):
    X_train, y_train, X_test, y_test = real
    restored_val = split["X_val"][:, :-1] + split["mean_image"]
    np.testing.assert_allclose(restored_val, X_train[49000:].reshape(1000, -1), atol=1e-3)
    assert np.array_equal(split["y_val"], y_train[49000:])
    restored_test = split["X_test"][:, :-1] + split["mean_image"]
    np.testing.assert_allclose(restored_test, X_test[:1000].reshape(1000, -1), atol=1e-3)
    assert np.array_equal(split["y_test"], y_test[:1000])
    assert np.array_equal(split["y_train"], y_train[:49000])


def row_digests(X: np.ndarray) -> list[bytes]:
    return [hashlib.sha1(row.tobytes()).digest() for row in X]


@pytest.mark.cifar
def test_dev_is_a_seeded_sample_of_distinct_training_rows(split, cifar10_path, cifar10_env):
    train_rows = dict(zip(row_digests(split["X_train"]), split["y_train"], strict=True))
    dev = row_digests(split["X_dev"].astype(np.float32))
    assert len(set(dev)) == 500, "dev rows are sampled without replacement"
    assert all(d in train_rows for d in dev), "every dev row is a training row"
    assert [train_rows[d] for d in dev] == split["y_dev"].tolist()

    again = get_cifar10_data(cifar10_path, seed=0)
    assert np.array_equal(again["X_dev"], split["X_dev"]), "the same seed gives the same dev set"
    other = get_cifar10_data(cifar10_path, seed=1)
    assert not np.array_equal(other["X_dev"], split["X_dev"])


# --- the cache -----------------------------------------------------------------------------


@pytest.mark.cifar
def test_second_load_is_served_from_the_cache(cifar10_env, cifar10_cache):
    load_cifar10()
    cached = {p: p.stat().st_mtime_ns for p in cifar10_cache.rglob("*.npy")}
    assert len(cached) == 4

    X_train, y_train, X_test, y_test = load_cifar10()
    for X in (X_train, X_test):
        assert isinstance(X, np.memmap)
        assert Path(X.filename).parent.parent == cifar10_cache
        assert not X.flags.writeable, "the cached images are shared, hence read-only"
    assert {p: p.stat().st_mtime_ns for p in cifar10_cache.rglob("*.npy")} == cached


@pytest.mark.cifar
def test_a_changed_data_set_invalidates_the_cache(cifar10_path, real, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    copy = symlink_copy(cifar10_path, tmp_path / "cifar-10-batches-py")
    load_cifar10(copy)
    (copy / "data_batch_1").unlink()
    shutil.copyfile(cifar10_path / "data_batch_2", copy / "data_batch_1")

    X_train, y_train, _, _ = load_cifar10(copy)
    assert np.array_equal(X_train[:10000], real[0][10000:20000])
    assert np.array_equal(y_train[:10000], real[1][10000:20000])
    assert len(list((tmp_path / "cache").iterdir())) == 2


def test_an_unwritable_cache_still_loads_with_a_warning(tiny_cifar10_dir, tmp_path, monkeypatch):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder should go")
    monkeypatch.setenv("CS231N_CACHE_DIR", str(blocker))
    with pytest.warns(UserWarning, match="CS231N_CACHE_DIR"):
        X_train, y_train, X_test, y_test = load_cifar10(tiny_cifar10_dir)
    assert X_train.shape == (100, 32, 32, 3) and y_test.shape == (10,)


def test_the_data_folder_may_be_read_only(tiny_cifar10_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    before = sorted(p.name for p in tiny_cifar10_dir.iterdir())
    load_cifar10(tiny_cifar10_dir)
    assert sorted(p.name for p in tiny_cifar10_dir.iterdir()) == before


# --- the preprocessing, checked exactly on a tiny folder -------------------------------------


def test_preprocessing_in_float64(tiny_cifar10_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    X, y, _, _ = load_cifar10(tiny_cifar10_dir)
    data = get_cifar10_data(
        tiny_cifar10_dir,
        num_training=80,
        num_validation=20,
        num_test=10,
        num_dev=30,
        dtype=np.float64,
    )
    pixels = X.reshape(100, -1).astype(np.float64)
    mean = pixels[:80].mean(axis=0)
    np.testing.assert_allclose(data["mean_image"], mean)
    np.testing.assert_allclose(data["X_train"][:, :-1], pixels[:80] - mean)
    np.testing.assert_allclose(data["X_val"][:, :-1], pixels[80:] - mean)
    assert data["X_train"].dtype == np.float64
    assert np.array_equal(data["y_val"], y[80:])


def test_split_sizes_beyond_the_data_are_refused(tiny_cifar10_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(ValueError, match="at most the 100 training images"):
        get_cifar10_data(tiny_cifar10_dir)


# --- where the data is looked for ----------------------------------------------------------


def test_cifar10_dir_prefers_the_argument_then_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    assert cifar10_dir() == DEFAULT_DIR
    monkeypatch.setenv("CIFAR10_DIR", str(tmp_path / "env"))
    assert cifar10_dir() == tmp_path / "env"
    assert cifar10_dir(tmp_path / "arg") == tmp_path / "arg"


def test_cifar10_dir_accepts_the_folder_the_archive_was_extracted_in(tiny_cifar10_dir):
    assert cifar10_dir(tiny_cifar10_dir.parent) == tiny_cifar10_dir


# --- clear errors ------------------------------------------------------------------------


def test_a_missing_folder_names_the_path_and_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    missing = tmp_path / "nowhere" / "cifar-10-batches-py"
    with pytest.raises(CIFAR10Error) as info:
        load_cifar10(missing)
    assert str(missing) in str(info.value)
    assert DOWNLOAD_COMMAND in str(info.value)
    assert "CIFAR10_DIR" in str(info.value)
    assert isinstance(info.value, FileNotFoundError)


def test_the_environment_variable_is_used_and_named_in_errors(tmp_path, monkeypatch):
    monkeypatch.setenv("CIFAR10_DIR", str(tmp_path / "typo"))
    with pytest.raises(CIFAR10Error, match="typo"):
        get_cifar10_data()


def test_a_missing_batch_is_named(tiny_cifar10_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    (tiny_cifar10_dir / "data_batch_5").unlink()
    with pytest.raises(CIFAR10Error, match="missing data_batch_5") as info:
        load_cifar10(tiny_cifar10_dir)
    assert DOWNLOAD_COMMAND in str(info.value)


@pytest.mark.cifar
def test_a_corrupt_batch_is_named_with_the_command(cifar10_path, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    copy = symlink_copy(cifar10_path, tmp_path / "cifar-10-batches-py")
    (copy / "data_batch_3").unlink()
    (copy / "data_batch_3").write_bytes(b"\x80\x04 this is not a pickle" * 100)
    with pytest.raises(CIFAR10Error) as info:
        load_cifar10(copy)
    message = str(info.value)
    assert str(copy / "data_batch_3") in message
    assert DOWNLOAD_COMMAND in message
    assert not list((tmp_path / "cache").rglob("*.npy")), "nothing is cached from a bad set"


def test_a_batch_of_the_wrong_shape_is_named(tiny_cifar10_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    batch = {"labels": [0] * 4, "data": np.zeros((4, 3071), np.uint8)}
    (tiny_cifar10_dir / "test_batch").write_bytes(pickle.dumps(batch))
    with pytest.raises(CIFAR10Error, match="wrong shape") as info:
        load_cifar10(tiny_cifar10_dir)
    assert str(tiny_cifar10_dir / "test_batch") in str(info.value)
    assert "(4, 3071)" in str(info.value)


class _RunsCode:
    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (os.mkdir, (str(self.marker),))


def test_a_pickle_that_would_run_code_is_refused(tiny_cifar10_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("CS231N_CACHE_DIR", str(tmp_path / "cache"))
    marker = tmp_path / "pwned"
    batch = {"labels": [0], "data": _RunsCode(marker)}
    (tiny_cifar10_dir / "data_batch_2").write_bytes(pickle.dumps(batch))
    with pytest.raises(CIFAR10Error, match="data_batch_2"):
        load_cifar10(tiny_cifar10_dir)
    assert not marker.exists()
