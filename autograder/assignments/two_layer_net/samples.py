"""Sample submissions of the two-layer network edition, built the way students make them.

Two layouts, both graded as they are:

- the notebook: the RELEASE notebook (release/two_layer_net/two_layer_net.ipynb, as nbgrader
  generated it) with its solution cells filled in by grade_id, plus the two files its search
  cell saves, `cs231n/saved/best_two_layer_net.npy` (np.save of the dict of parameters, what
  CS231n's TwoLayerNet.save writes) and `cs231n/saved/best_two_layer_net.json` (the
  hyperparameters behind it);
- CS231n's starter files: `cs231n/layers.py`, `cs231n/layer_utils.py` and
  `cs231n/classifiers/fc_net.py` made of the starter's imports and the same cells, the
  course's solver.py and optim.py, and the same saved files.

The cells come from the SOURCE notebook's solutions (the one source of truth for what a
correct student writes), changed by a corpus entry where it states a bug. The saved model is
really trained, with the source notebook's TwoLayerNet and the course's Solver, on a small
subset of CIFAR-10: the grader scores accuracy only on its own training with the saved
hyperparameters, so the sample's weights need only be a real model of the right shapes.

A corpus entry is a folder with an expected.toml whose [build] table says how to build it
(`build_entry`); this module reads that data and imports nothing from the kit's tests.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import shutil
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograder.assignment import load as load_assignment
from autograder.assignments import samples as shared

SPEC = load_assignment("two_layer_net")
ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "source" / SPEC.source
RELEASE = ROOT / "release" / SPEC.source
NOTEBOOK = "two_layer_net.ipynb"
# The edition's corpus (autograder/assignments/samples.py describes what it gives the demo
# and tests/test_corpus.py).
CORPUS = ROOT / "tests" / "corpus_two_layer"
# What the demo grades: the reference, bugs of each layer and of the net, both layouts,
# broken submissions and attacks on the model file.
DEMO = (
    "correct",
    "buggy/relu_mask_from_dout",
    "buggy/affine_backward_dx_not_reshaped",
    "buggy/reg_without_half",
    "buggy/softmax_no_max_subtraction",
    "buggy/undertrained_settings",
    "broken/syntax_error",
    "broken/missing_model",
    "hostile/pickle_payload",
    "hostile/fitted_weights",
    "honest/starter_layout",
)
MODEL_FILE = "cs231n/saved/best_two_layer_net.npy"
SETTINGS_FILE = "cs231n/saved/best_two_layer_net.json"
# The course's own files of the starter layout (given, not graded), shipped in the release.
COURSE_FILES = ("cs231n/__init__.py", "cs231n/solver.py", "cs231n/optim.py")
# CS231n's starter files: their imports as the starter has them, then the definitions.
STARTER_HEADERS = {
    "cs231n/layers.py": "from builtins import range\nimport numpy as np\n\n\n",
    "cs231n/layer_utils.py": "from .layers import *\n\n\n",
    "cs231n/classifiers/fc_net.py": ("from builtins import range\nfrom builtins import object\n"
                                     "import os\nimport numpy as np\n\nfrom ..layers import *\n"
                                     "from ..layer_utils import *\n\n\n"),
}


@dataclass(frozen=True)
class Settings:
    """What the search cell settles on and writes to best_two_layer_net.json."""

    hidden_size: int = 100
    learning_rate: float = 1e-3
    lr_decay: float = 0.95
    reg: float = 0.25
    num_epochs: int = 10
    batch_size: int = 200


# The source notebook's search: its best setting on the real CIFAR-10.
REFERENCE = Settings()


def _as_student_wrote(source: str) -> str:
    """A source cell without nbgrader's solution markers, as a student's cell reads."""
    return "".join(line for line in source.splitlines(keepends=True)
                   if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def reference_cells() -> dict[str, str]:
    """The definition cells of a correct submission: the source notebook's solutions."""
    found = shared.notebook_cells(SOURCE / NOTEBOOK)
    missing = [g for g in SPEC.definitions if g not in found]
    if missing:
        raise LookupError(f"{SOURCE / NOTEBOOK} has no cell {', '.join(missing)}")
    return {g: _as_student_wrote(found[g]) for g in SPEC.definitions}


def solved_cells() -> dict[str, str]:
    """Every solution cell of the source notebook (definitions, training, search, answers),
    as a student who did the whole assignment has them."""
    return {g: _as_student_wrote(source) for g, source
            in shared.solution_cells(SOURCE / NOTEBOOK).items()}


def write_model(folder: Path, params: Mapping[str, np.ndarray],
                settings: Mapping[str, float]) -> Path:
    """Write folder/cs231n/saved/best_two_layer_net.npy (np.save of the dict `params`, as
    TwoLayerNet.save does) and best_two_layer_net.json (`settings`); returns `folder`."""
    (folder / MODEL_FILE).parent.mkdir(parents=True, exist_ok=True)
    np.save(folder / MODEL_FILE, dict(params), allow_pickle=True)
    (folder / SETTINGS_FILE).write_text(json.dumps(dict(settings), indent=1), encoding="utf-8")
    return folder


def write_notebook_submission(folder: Path, cells: Mapping[str, str],
                              model: Path | None = None) -> Path:
    """The release notebook with `cells` put in by grade_id (a solution cell not in it keeps
    the release's stub), and the two saved files copied from the folder `model` (None:
    none, as a student who never ran the search)."""
    folder.mkdir(parents=True, exist_ok=True)
    shared.fill_notebook(RELEASE / NOTEBOOK, cells, folder / NOTEBOOK)
    _copy_model(model, folder)
    return folder


def write_starter_submission(folder: Path, cells: Mapping[str, str],
                             model: Path | None = None) -> Path:
    """An assignment folder in CS231n's starter layout: cs231n/layers.py, layer_utils.py and
    classifiers/fc_net.py made of the starter's imports and `cells` (by grade_id), the
    course's solver.py and optim.py, a notebook that imports them as the starter's does,
    and the saved files of `model`."""
    (folder / "cs231n" / "classifiers").mkdir(parents=True, exist_ok=True)
    for relative in COURSE_FILES:
        shutil.copyfile(RELEASE / relative, folder / relative)
    (folder / "cs231n" / "classifiers" / "__init__.py").write_text("")
    for relative, grade_ids in SPEC.starter_modules.items():
        body = "\n\n".join(cells[g] for g in grade_ids if g in cells)
        (folder / relative).write_text(STARTER_HEADERS[relative] + body, encoding="utf-8")
    nb = {"cells": [{"cell_type": "code", "execution_count": None, "metadata": {},
                     "outputs": [], "source": [
                         "from cs231n.classifiers.fc_net import *\n",
                         "from cs231n.solver import Solver\n"]}],
          "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (folder / NOTEBOOK).write_text(json.dumps(nb, indent=1), encoding="utf-8")
    _copy_model(model, folder)
    return folder


def _copy_model(model: Path | None, folder: Path) -> None:
    for relative in (MODEL_FILE, SETTINGS_FILE):
        if model is not None and (model / relative).is_file():
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(model / relative, folder / relative)


@contextlib.contextmanager
def _course_package() -> Iterator[Any]:
    """The course's cs231n package of the source folder (solver.py, optim.py), importable
    as `cs231n` for the duration."""
    saved = {k: v for k, v in sys.modules.items() if k == "cs231n" or k.startswith("cs231n.")}
    for name in saved:
        del sys.modules[name]
    sys.path.insert(0, str(SOURCE))
    try:
        from cs231n.solver import Solver

        yield Solver
    finally:
        sys.path.remove(str(SOURCE))
        for name in [k for k in sys.modules if k == "cs231n" or k.startswith("cs231n.")]:
            del sys.modules[name]
        sys.modules.update(saved)


def train_model(settings: Settings, data: Mapping[str, np.ndarray], seed: int = 0,
                num_training: int = 2000) -> dict[str, np.ndarray]:
    """Train the source notebook's TwoLayerNet with `settings` through the course's Solver
    on the first `num_training` images of data["X_train"] (N, 3, 32, 32), validated on
    data["X_val"]; returns its parameters (W1 (3072, H), b1 (H,), W2 (H, 10), b2 (10,))."""
    namespace: dict[str, Any] = {"np": np, "os": __import__("os")}
    for source in reference_cells().values():
        exec(compile(source, f"{NOTEBOOK}[reference]", "exec"), namespace)  # noqa: S102
    np.random.seed(seed)
    model = namespace["TwoLayerNet"](hidden_dim=settings.hidden_size, reg=settings.reg)
    subset = {"X_train": data["X_train"][:num_training], "y_train": data["y_train"][:num_training],
              "X_val": data["X_val"], "y_val": data["y_val"]}
    with _course_package() as Solver:
        Solver(model, subset, optim_config={"learning_rate": settings.learning_rate},
               lr_decay=settings.lr_decay, num_epochs=settings.num_epochs,
               batch_size=settings.batch_size, verbose=False).train()
    return model.params


class ModelStore:
    """Trained parameters by settings (`train_model`, each trained once), and folders under
    `folder` holding them as cs231n/saved/best_two_layer_net.{npy,json}."""

    def __init__(self, data: Mapping[str, np.ndarray], folder: Path) -> None:
        self.data = data
        self.folder = folder
        self._params: dict[Settings, dict[str, np.ndarray]] = {}

    def params(self, settings: Settings = REFERENCE) -> dict[str, np.ndarray]:
        if settings not in self._params:
            self._params[settings] = train_model(settings, self.data)
        return self._params[settings]

    def get(self, settings: Settings = REFERENCE) -> Path:
        name = "-".join(f"{k}{v:g}" for k, v in dataclasses.asdict(settings).items())
        target = self.folder / name
        if not (target / SETTINGS_FILE).is_file():
            write_model(target, self.params(settings), dataclasses.asdict(settings))
        return target


def model_store(cifar: Path, folder: Path) -> ModelStore:
    """A `ModelStore` training on the first 2,000 images of the real CIFAR-10 in `cifar`
    (as the notebook loads them), keeping its files in `folder`."""
    from cs231n_data import get_cifar10_images

    return ModelStore(get_cifar10_images(cifar, num_training=2000), folder)


class _Payload:
    """An object whose unpickling calls `open(path, "w")`: it leaves the file `path` behind
    if a loader ever unpickles it with a general unpickler."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple:
        return (open, (self.path, "w"))


def write_payload_model(path: Path, mark: str) -> Path:
    """A best_two_layer_net.npy whose pickled dict holds, beside real-looking arrays, an
    object that creates the file `mark` when unpickled (a .npy of dtype object is a pickle:
    np.load(allow_pickle=True) would run it)."""
    params = {"W1": np.zeros((3072, 4)), "b1": np.zeros(4), "W2": np.zeros((4, 10)),
              "b2": _Payload(mark)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        np.lib.format.write_array(f, np.array(params, dtype=object), allow_pickle=True)
    return path


def fitted_model(data: Mapping[str, np.ndarray], folder: Path, settings: Mapping[str, float],
                 seed: int = 0) -> Path:
    """Saved files whose weights were fitted offline on the evaluation images (validation
    and test), with `settings` that never trained them: what an attacker hands back."""
    np.random.seed(seed)
    fitted = {"X_train": np.concatenate([data["X_val"], data["X_test"]]),
              "y_train": np.concatenate([data["y_val"], data["y_test"]]),
              "X_val": data["X_val"], "y_val": data["y_val"]}
    params = train_model(Settings(hidden_size=int(settings["hidden_size"]), num_epochs=20,
                                  batch_size=100, reg=0.0), fitted, num_training=2000)
    return write_model(folder, params, settings)


def _entry_model(build: Mapping[str, Any], name: str, target: Path, models: ModelStore
                 ) -> Path | None:
    """The folder of saved files the entry's [build] asks for (None: no model)."""
    if not build.get("model", True):
        return None
    trained = Settings(**{**dataclasses.asdict(REFERENCE), **build.get("settings", {})})
    settings = {**dataclasses.asdict(trained), **build.get("saved", {})}
    if build.get("fitted", False):
        return fitted_model(models.data, target / f"model-{name}", settings)
    if "saved" in build:
        return write_model(target / f"model-{name}", models.params(trained), settings)
    return models.get(trained)


def build_entry(entry: str, target: Path, models: ModelStore, corpus: Path = CORPUS) -> Path:
    """Build the corpus entry `<corpus>/<entry>/` (e.g. "buggy/relu_mask_from_dout") as a
    submission folder under `target`, named after the entry's last part.

    Its expected.toml's [build] table says how (all optional):
    - layout = "notebook" (default) or "starter": the release notebook, or CS231n's files;
    - cells = "reference" (default) or "release": what the cells not in its cells.py hold
      (the definitions of the solution, or the release's stubs);
    - edit = [[grade_id, old, new], ...]: the bug, as text replaced in those cells;
    - model = true (default) or false: the saved files, trained (`train_model`) with the
      reference settings updated by [build.settings];
    - [build.saved]: settings written to the .json without training with them;
    - fitted = true: weights fitted on the evaluation images instead (`fitted_model`);
    - payload = true: a .npy whose unpickling would create `<target>/<name>.pwned`;
    - corrupt = [[how, grade_id?], ...]: `samples.corrupt_notebook` steps on the notebook;
    - files = { path = text }: files added or replaced; remove = [path, ...]: deleted;
    - zip = true: return a .zip of the folder instead.
    """
    build = shared.entry_spec(entry, corpus).get("build", {})
    name = Path(entry).name
    model = _entry_model(build, name, target, models)
    write = write_starter_submission if build.get("layout") == "starter" \
        else write_notebook_submission
    folder = write(target / name, shared.entry_cells(entry, corpus, reference_cells), model)
    if build.get("payload", False):
        write_payload_model(folder / MODEL_FILE, str(target / f"{name}.pwned"))
    for step in build.get("corrupt", []):
        shared.corrupt_notebook(folder / NOTEBOOK, *step)
    for relative, text in build.get("files", {}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text, encoding="utf-8")
    for relative in build.get("remove", []):
        (folder / relative).unlink()
    if build.get("zip", False):
        return shared.zip_submission(folder, target / f"{name}.zip")
    return folder
