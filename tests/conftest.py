"""Shared fixtures."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest

from cs231n_data.cifar10 import CLASS_NAMES, TEST_BATCH, TRAIN_BATCHES, cifar10_dir


@pytest.fixture(scope="session")
def cifar10_path() -> Path:
    """The real CIFAR-10 folder ($CIFAR10_DIR, else cs231n_data/cifar-10-batches-py).

    Skips the test when it is missing, or fails it when CS231N_REQUIRE_DATA=1 (as in CI).
    """
    folder = cifar10_dir()
    missing = [name for name in (*TRAIN_BATCHES, TEST_BATCH) if not (folder / name).is_file()]
    if missing:
        where = "CIFAR10_DIR" if os.environ.get("CIFAR10_DIR") else "the default location"
        problem = (
            f"CIFAR-10 not found at {folder} ({where}; missing {', '.join(missing)}): "
            "set CIFAR10_DIR or run `python -m cs231n_data.download`"
        )
        if os.environ.get("CS231N_REQUIRE_DATA") == "1":
            pytest.fail(f"CS231N_REQUIRE_DATA=1 but {problem}", pytrace=False)
        pytest.skip(problem)
    return folder


@pytest.fixture(scope="session")
def cifar10_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One loader cache folder shared by the whole session, so CIFAR-10 is unpickled once."""
    return tmp_path_factory.mktemp("cs231n-cache")


@pytest.fixture
def cifar10_env(monkeypatch: pytest.MonkeyPatch, cifar10_path: Path, cifar10_cache: Path) -> Path:
    """Point CIFAR10_DIR at the real data and CS231N_CACHE_DIR at the session cache."""
    monkeypatch.setenv("CIFAR10_DIR", str(cifar10_path))
    monkeypatch.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
    return cifar10_path


@pytest.fixture
def tiny_cifar10_dir(tmp_path: Path) -> Path:
    """A tmp ``cifar-10-batches-py/`` laid out like the real one but with tiny random batches.

    Five training batches of 20 images and a test batch of 10: enough to exercise the
    downloader and the loader's error paths. Never used where a grade depends on it.
    """
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    rng = np.random.default_rng(1234)
    for name, n in [*((b, 20) for b in TRAIN_BATCHES), (TEST_BATCH, 10)]:
        batch = {
            "batch_label": name,
            "labels": [int(c) for c in rng.integers(0, 10, n)],
            "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            "filenames": [f"{name}_{i:05d}.png" for i in range(n)],
        }
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    meta = {
        "label_names": list(CLASS_NAMES),
        "num_cases_per_batch": 20,
        "num_vis": 3072,
    }
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=2))
    return folder


@pytest.fixture(scope="session")
def grading_data_of(cifar10_path: Path, cifar10_cache: Path):
    """Assignment name -> the grader's CIFAR-10 for it (`autograder.grade.GradingData`),
    prepared on first use with the run's reference timing, cleaned up at the end."""
    from autograder.assignment import load as load_assignment
    from autograder.grade import GradingData

    prepared: dict[str, GradingData] = {}

    def of(name: str) -> GradingData:
        if name not in prepared:
            with pytest.MonkeyPatch.context() as env:
                env.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
                prepared[name] = GradingData(cifar10_path, spec=load_assignment(name))
        return prepared[name]

    yield of
    for data in prepared.values():
        data.close()


@pytest.fixture(scope="session")
def sample_models_of(cifar10_path: Path, cifar10_cache: Path,
                     tmp_path_factory: pytest.TempPathFactory):
    """Assignment name -> its samples module's model store (`model_store`): the model files
    its submissions carry, trained on the real CIFAR-10 once per session each."""
    from autograder.assignments import samples

    stores: dict[str, object] = {}

    def of(name: str):
        if name not in stores:
            with pytest.MonkeyPatch.context() as env:
                env.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
                stores[name] = samples.load(name).model_store(
                    cifar10_path, tmp_path_factory.mktemp(f"models-{name}"))
        return stores[name]

    return of


@pytest.fixture(scope="session")
def grading_data(grading_data_of):
    """The grader's CIFAR-10 for the NumPy edition, for the whole session."""
    return grading_data_of("linear")


@pytest.fixture(scope="session")
def trained_models(sample_models_of):
    """svm_best.npz / softmax_best.npz trained once per session by the reference solution
    (the source notebooks' cells, the search cells' hyperparameters) on the real CIFAR-10;
    other hyperparameters on demand (`ModelStore.get` of
    autograder/assignments/linear/samples.py)."""
    store = sample_models_of("linear")
    store.reference()
    return store


@pytest.fixture(scope="session")
def torch_grading_data(grading_data_of):
    """The grader's CIFAR-10 for the PyTorch edition (its pixels in [0, 1])."""
    return grading_data_of("linear_torch")


@pytest.fixture(scope="session")
def torch_models(sample_models_of):
    """svm_best_model.pt / softmax_best_model.pt trained once per session with the source
    notebook's own functions on the real CIFAR-10 (as tensors); others on demand."""
    store = sample_models_of("linear_torch")
    store.reference()
    return store
