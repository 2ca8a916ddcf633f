"""Sample submissions of the PyTorch edition, built the way students make them.

A submission is release/linear_torch/linear_classifier.ipynb (as nbgrader generated it)
with its solution cells filled in by grade_id, plus svm_best_model.pt and
softmax_best_model.pt. The models come from really training with the SOURCE notebook's
own functions (`load_definitions`), on the real CIFAR-10 as tensors, and are saved with
`save_best_model` as the notebook's search cell saves them.

Corpus entries live in tests/corpus_torch/<kind>/<name>/ with an expected.toml of the
NumPy corpus's format (autograder/assignments/samples.py); its [build] also takes
`models = false` (no .pt files) and `model_files = {name = "cells.py block"}`, a .pt file
written by that block of its cells.py (a hostile file). This is the assignment's
`AssignmentSamples`.
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch

from autograder.assignment import load as load_assignment
from autograder.assignments import samples
from autograder.release import ROOT
from cs231n_data.notebook import load_definitions, save_best_model

SPEC = load_assignment("linear_torch")
NOTEBOOK = "linear_classifier.ipynb"
SOURCE = ROOT / "source" / SPEC.source
RELEASE = ROOT / "release" / SPEC.source
CORPUS = ROOT / "tests" / "corpus_torch"
MODEL_OF = {"LinearSVM": "svm_best_model.pt", "Softmax": "softmax_best_model.pt"}
# What the demo grades: the reference, bugs the checks and the rules name, attacks.
DEMO = (
    "correct",
    "buggy/svm_vectorized_is_the_loop",
    "buggy/svm_naive_dW_shares_W",
    "buggy/svm_vectorized_autograd",
    "broken/syntax_error",
    "hostile/top_level_monkeypatch",
    "hostile/pickle_model",
)


@dataclass(frozen=True)
class Hyperparameters:
    """What the search settles on, and save_best_model saves beside W."""

    learning_rate: float
    reg: float
    num_iters: int
    batch_size: int = 200


# What the source notebook's search settles on (its saved models say so).
REFERENCE = {"LinearSVM": Hyperparameters(5e-3, 5e-2, 2000),
             "Softmax": Hyperparameters(5e-2, 5e-3, 1500)}


def reference_cells() -> dict[str, str]:
    """The definition cells of a correct submission: the source notebook's solutions."""
    found = samples.notebook_cells(SOURCE / NOTEBOOK, SPEC.definitions)
    missing = [g for g in SPEC.definitions if g not in found]
    if missing:
        raise LookupError(f"{SOURCE / NOTEBOOK} has no cell {', '.join(missing)}")
    return found


def entry_spec(entry: str) -> dict[str, Any]:
    """The parsed expected.toml of the corpus entry `tests/corpus_torch/<entry>/`."""
    return samples.entry_spec(entry, CORPUS)


def write_submission(folder: Path, cells: Mapping[str, str],
                     models: Mapping[str, Path] | None = None) -> Path:
    """The release notebook with `cells` put in by grade_id, and `models` copied beside."""
    folder.mkdir(parents=True, exist_ok=True)
    samples.fill_notebook(RELEASE / NOTEBOOK, cells, folder / NOTEBOOK)
    for name, path in (models or {}).items():
        shutil.copyfile(path, folder / name)
    return folder


def source_namespace() -> dict:
    """The source notebook's functions and classes, run as the notebook runs them."""
    ids = [*SPEC.definitions, "linear_classifiers"]
    return load_definitions(SOURCE / NOTEBOOK, ids, {"torch": torch})


class ModelStore:
    """Trained .pt files by (classifier, hyperparameters), each trained once per session."""

    def __init__(self, data: Mapping[str, torch.Tensor], folder: Path) -> None:
        self.data = data
        self.folder = folder
        self.namespace = source_namespace()

    def get(self, cls: str, hyper: Hyperparameters | None = None) -> Path:
        hyper = hyper or REFERENCE[cls]
        path = self.folder / (f"{cls}-lr{hyper.learning_rate:g}-reg{hyper.reg:g}-"
                              f"it{hyper.num_iters}-bs{hyper.batch_size}.pt")
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            torch.manual_seed(0)
            model = self.namespace[cls]()
            model.train(self.data["X_train"], self.data["y_train"], hyper.learning_rate,
                        hyper.reg, hyper.num_iters, hyper.batch_size)
            val = (model.predict(self.data["X_val"]) == self.data["y_val"]).double().mean()
            save_best_model(path, model, learning_rate=hyper.learning_rate, reg=hyper.reg,
                            num_iters=hyper.num_iters, batch_size=hyper.batch_size,
                            val_accuracy=float(val))
        return path

    def reference(self) -> dict[str, Path]:
        """svm_best_model.pt and softmax_best_model.pt of the reference solution."""
        return {MODEL_OF[cls]: self.get(cls) for cls in MODEL_OF}


def model_store(cifar: Path, folder: Path) -> ModelStore:
    """A `ModelStore` training on the real CIFAR-10 in `cifar` as tensors (EECS 498's
    split and preprocessing), keeping its files in `folder`."""
    from cs231n_data.cifar10 import get_cifar10_tensors

    return ModelStore(get_cifar10_tensors(cifar, num_dev=0), folder)


def build_entry(entry: str, target: Path, models: ModelStore) -> Path:
    """Build tests/corpus_torch/<entry>/ as a submission folder under `target`.

    Its [build] table: cells, edit and hyperparameters as the NumPy corpus's
    (autograder/assignments/linear/samples.py), `models = false` for no .pt files, and
    `model_files = {name = "cells.py block"}` for a file written by that block of its
    cells.py, run with `path` set (a file the student's own code wrote).
    """
    build = entry_spec(entry).get("build", {})
    files: dict[str, Path] = {}
    if build.get("models", True):
        changes = build.get("hyperparameters", {})
        files = {MODEL_OF[cls]: models.get(cls, replace(REFERENCE[cls], **changes))
                 for cls in MODEL_OF}
    folder = write_submission(target / Path(entry).name,
                              samples.entry_cells(entry, CORPUS, reference_cells), files)
    blocks = samples.read_cells(CORPUS / entry / "cells.py") if build.get("model_files") \
        else {}
    for name, block in build.get("model_files", {}).items():
        # The corpus's own code (a hostile model file's maker), run here on the trusted side
        # only to write that file; the grader then reads the file as it reads any upload.
        exec(compile(blocks[block], f"<{entry} {block}>", "exec"),
             {"path": str(folder / name), "torch": torch})
    return folder
