"""Sample submissions of the NumPy linear classifiers, built the way students make them.

A submission is the two RELEASE notebooks (release/linear/*.ipynb, as nbgrader generated
them) with the definition cells filled in (by grade_id), plus svm_best.npz and
softmax_best.npz. The weights come from really training the reference solution (the
SOURCE notebooks' cells, run with `cs231n_data.notebook.load_definitions`, saved with
`save_best_model`) on the real CIFAR-10, exactly as the search cells of the notebooks do.
`write_starter_submission` writes CS231n's own starter layout instead.

The reference cells are read from the instructor notebooks (source/linear/*.ipynb), the
one source of truth for what a correct student writes. A corpus entry of tests/corpus/
changes some of them (see `build_entry` and autograder/assignments/samples.py); this is
the `AssignmentSamples` of the assignment.
"""

from __future__ import annotations

import dataclasses
import shutil
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import numpy as np

from autograder.assignment import load as load_assignment
from autograder.assignments import samples
from autograder.assignments.samples import corrupt_notebook, read_cells, zip_submission
from autograder.release import ROOT
from autograder.threads import one_blas_thread
from cs231n_data.notebook import load_definitions, save_best_model

SPEC = load_assignment("linear")
SOURCE = ROOT / "source" / SPEC.source
RELEASE = ROOT / "release" / SPEC.source
CORPUS = ROOT / "tests" / "corpus"
# The definition cells a student writes, by notebook.
DEFINITION_CELLS = {notebook: tuple(cells) for notebook, cells in SPEC.notebooks.items()}
NOTEBOOKS = tuple(DEFINITION_CELLS)
NPZ_OF = {"LinearSVM": "svm_best.npz", "Softmax": "softmax_best.npz"}
# A cross-section of the corpus: every kind of outcome, about two minutes on 2 cores.
DEMO = (
    "correct",
    "buggy/svm_naive_no_average",
    "buggy/svm_vectorized_reg_grad_no_factor_2",
    "buggy/softmax_naive_unstable",
    "buggy/softmax_vectorized_missing_minus_one",
    "buggy/softmax_vectorized_mutates_X",
    "buggy/train_never_samples",
    "buggy/predict_returns_scores",
    "buggy/undertrained_hyperparameters",
    "broken/invalid_json",
    "broken/deleted_cell",
    "broken/syntax_error",
    "broken/missing_npz",
    "hostile/read_secrets",
    "hostile/fork_bomb",
    "hostile/monkeypatch_numpy",
    # The reference solution in CS231n's own starter layout (cs231n/classifiers/*.py),
    # graded from its module files, with the models its search saved beside them.
    "starter/correct",
)


@dataclass(frozen=True)
class Hyperparameters:
    """What the notebooks' search cells settle on, and save with save_best_model."""

    learning_rate: float
    reg: float
    num_iters: int
    batch_size: int = 200


# The reference solution's choices (source/linear/*.ipynb, search cells).
REFERENCE = {"LinearSVM": Hyperparameters(1e-7, 5e3, 3000),
             "Softmax": Hyperparameters(1e-6, 1e3, 1500)}


def reference_cells() -> dict[str, str]:
    """The five definition cells of a correct submission: the source notebooks' solutions."""
    cells: dict[str, str] = {}
    for notebook, grade_ids in DEFINITION_CELLS.items():
        found = samples.notebook_cells(SOURCE / notebook, grade_ids)
        missing = [g for g in grade_ids if g not in found]
        if missing:
            raise LookupError(f"{SOURCE / notebook} has no cell {', '.join(missing)}")
        cells.update({g: found[g] for g in grade_ids})
    return cells


def solved_cells() -> dict[str, str]:
    """Every solution cell of the source notebooks: the definitions, the hyperparameter
    searches and the inline answers, as a student who did the whole assignment has them."""
    cells: dict[str, str] = {}
    for notebook in NOTEBOOKS:
        cells.update(samples.solution_cells(SOURCE / notebook))
    return cells


def attack_cells(attack: str) -> dict[str, str]:
    """The reference cells with those of `tests/corpus/hostile/<attack>/cells.py` swapped in."""
    return {**reference_cells(), **read_cells(CORPUS / "hostile" / attack / "cells.py")}


def entry_spec(entry: str) -> dict[str, Any]:
    """The parsed expected.toml of the corpus entry `tests/corpus/<entry>/`."""
    return samples.entry_spec(entry, CORPUS)


def entry_cells(entry: str) -> dict[str, str]:
    """The cells the student of `tests/corpus/<entry>/` wrote (`samples.entry_cells`)."""
    return samples.entry_cells(entry, CORPUS, reference_cells)


def write_submission(folder: Path, cells: Mapping[str, str],
                     npz: Mapping[str, Path] | None = None) -> Path:
    """Write a submission folder: the release notebooks with `cells` put in by grade_id.

    `cells` fills the cells a student writes (the nbgrader solution cells: definitions,
    searches, answers); a solution cell not in it keeps the release's stub. `npz` maps
    "svm_best.npz" / "softmax_best.npz" to files copied in beside them.
    """
    folder.mkdir(parents=True, exist_ok=True)
    for notebook in NOTEBOOKS:
        samples.fill_notebook(RELEASE / notebook, cells, folder / notebook)
    for name, path in (npz or {}).items():
        shutil.copyfile(path, folder / name)
    return folder


# CS231n's starter files: their imports as the starter has them, then the definitions.
_STARTER_IMPORTS = ("from builtins import range\nimport numpy as np\nfrom random import "
                    "shuffle\nfrom past.builtins import xrange\n\n\n")
STARTER_HEADERS = {
    "linear_svm.py": _STARTER_IMPORTS,
    "softmax.py": _STARTER_IMPORTS,
    "linear_classifier.py": ("from __future__ import print_function\n\nfrom builtins import "
                             "range\nfrom builtins import object\nimport numpy as np\n"
                             "from cs231n.classifiers.linear_svm import *\n"
                             "from cs231n.classifiers.softmax import *\n"
                             "from past.builtins import xrange\n\n\n"),
}
# Starter file name -> the definitions it holds, as the assignment describes them.
STARTER_CELLS = {path.rsplit("/", 1)[-1]: grade_ids
                 for path, grade_ids in SPEC.starter_modules.items()}
STARTER_SUBCLASSES = '''

class LinearSVM(LinearClassifier):
    """ A subclass that uses the Multiclass SVM loss function """

    def loss(self, X_batch, y_batch, reg):
        return svm_loss_vectorized(self.W, X_batch, y_batch, reg)


class Softmax(LinearClassifier):
    """ A subclass that uses the Softmax + Cross-entropy loss function """

    def loss(self, X_batch, y_batch, reg):
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)
'''


def write_starter_submission(folder: Path, cells: Mapping[str, str],
                             files: Mapping[str, str] | None = None) -> Path:
    """An assignment folder in CS231n's starter layout: cs231n/classifiers/linear_svm.py,
    softmax.py and linear_classifier.py made of the starter's imports and `cells` (by
    grade_id), its own `classifiers/__init__.py`, and notebooks that import them, as the
    starter's do. `files` adds or replaces files (relative path -> text)."""
    classifiers = folder / "cs231n" / "classifiers"
    classifiers.mkdir(parents=True, exist_ok=True)
    (folder / "cs231n" / "__init__.py").write_text("")
    (classifiers / "__init__.py").write_text(
        "from cs231n.classifiers.k_nearest_neighbor import *\n"
        "from cs231n.classifiers.linear_classifier import *\n")
    for name, grade_ids in STARTER_CELLS.items():
        body = "\n\n".join(cells[g] for g in grade_ids)
        extra = STARTER_SUBCLASSES if name == "linear_classifier.py" else ""
        (classifiers / name).write_text(STARTER_HEADERS[name] + body + extra)
    for notebook, module in (("svm.ipynb", "linear_svm"), ("softmax.ipynb", "softmax")):
        nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
            f"from cs231n.classifiers.{module} import *\n"
            "from cs231n.classifiers import LinearSVM, Softmax")])
        nbformat.write(nb, folder / notebook)
    for relative, text in (files or {}).items():
        (folder / relative).parent.mkdir(parents=True, exist_ok=True)
        (folder / relative).write_text(text)
    return folder


def reference_classifier(cls: str) -> type:
    """`LinearSVM` or `Softmax` built from the SOURCE notebooks' cells, as the notebooks do."""
    svm = load_definitions(SOURCE / "svm.ipynb",
                           ["svm_loss_vectorized", "linear_classifier", "linear_svm"])
    if cls == "LinearSVM":
        return svm["LinearSVM"]
    # softmax.ipynb's read-only cell loads LinearClassifier from "svm.ipynb" beside it.
    namespace: dict[str, Any] = {
        "np": np,
        "load_definitions": lambda path, ids: load_definitions(SOURCE / path, ids),
    }
    load_definitions(SOURCE / "softmax.ipynb", ["softmax_loss_vectorized", "softmax_class"],
                     namespace)
    return namespace["Softmax"]


def train_best_model(cls: str, data: Mapping[str, np.ndarray], hyper: Hyperparameters,
                     target: Path, seed: int = 0) -> float:
    """Train the reference `cls` on data["X_train"] as the search cell does (np.random.seed
    first), save it to `target` with save_best_model; return its validation accuracy."""
    np.random.seed(seed)
    model = reference_classifier(cls)()
    # One BLAS thread: on these small products more threads only wait for each other
    # (measured: ~5 s instead of ~40 s on the 2-core machine).
    with one_blas_thread():
        model.train(data["X_train"], data["y_train"], learning_rate=hyper.learning_rate,
                    reg=hyper.reg, num_iters=hyper.num_iters, batch_size=hyper.batch_size)
    val_accuracy = float(np.mean(model.predict(data["X_val"]) == data["y_val"]))
    save_best_model(target, model, learning_rate=hyper.learning_rate, reg=hyper.reg,
                    num_iters=hyper.num_iters, batch_size=hyper.batch_size,
                    val_accuracy=val_accuracy)
    return val_accuracy


class ModelStore:
    """Trained .npz files by (classifier, hyperparameters), each trained once per session."""

    def __init__(self, data: Mapping[str, np.ndarray], folder: Path) -> None:
        self.data = data
        self.folder = folder
        self.val_accuracy: dict[Path, float] = {}

    def get(self, cls: str, hyper: Hyperparameters | None = None) -> Path:
        hyper = hyper or REFERENCE[cls]
        name = (f"{cls}-lr{hyper.learning_rate:g}-reg{hyper.reg:g}-"
                f"it{hyper.num_iters}-bs{hyper.batch_size}.npz")
        path = self.folder / name
        if not path.exists():
            self.folder.mkdir(parents=True, exist_ok=True)
            self.val_accuracy[path] = train_best_model(cls, self.data, hyper, path)
            _fixed_timestamps(path)
        return path

    def reference(self) -> dict[str, Path]:
        """svm_best.npz and softmax_best.npz of the reference solution."""
        return {NPZ_OF[cls]: self.get(cls) for cls in NPZ_OF}


def model_store(cifar: Path, folder: Path) -> ModelStore:
    """A `ModelStore` training on the real CIFAR-10 in `cifar` (49,000 training images,
    as the notebooks split them), keeping its files in `folder`."""
    from cs231n_data.cifar10 import get_cifar10_data

    return ModelStore(get_cifar10_data(cifar, num_dev=0), folder)


def _fixed_timestamps(npz: Path) -> None:
    """Give the .npz (a zip) fixed member timestamps: the same training then gives the same
    bytes in every test session, hence the same content hash and grader's seed."""
    with zipfile.ZipFile(npz) as archive:
        members = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(npz, "w", zipfile.ZIP_STORED) as archive:
        for info, data in members:
            info.date_time = (1980, 1, 1, 0, 0, 0)
            archive.writestr(info, data)


def resaved(npz: Path, changes: Mapping[str, float], out: Path) -> Path:
    """A copy of model file `npz` at `out` whose hyperparameters say otherwise than the
    training that made its W (`key = value`, or `key_factor = f` to scale the value)."""
    with np.load(npz) as saved:
        fields = {k: saved[k] for k in saved.files}
    for key, value in changes.items():
        if key.endswith("_factor"):
            name = key.removesuffix("_factor")
            fields[name] = np.asarray(float(fields[name]) * value)
        else:
            fields[key] = np.asarray(value)
    np.savez(out, **fields)
    _fixed_timestamps(out)
    return out


def build_entry(entry: str, target: Path, models: ModelStore) -> Path:
    """Build the corpus entry `tests/corpus/<entry>/` (e.g. "buggy/train_never_samples") as
    a submission folder under `target` (named after the entry's last part).

    Its expected.toml's [build] table says how (all optional):
    - layout = "notebook" (default) or "starter": the release notebooks, or CS231n's
      starter files (`write_starter_submission`) with the same cells;
    - cells = "reference" (default) or "release": what the cells not in its cells.py hold
      (the reference solution, or the release's untouched stubs);
    - edit = [[grade_id, old, new], ...]: the bug, as text replaced in the reference cells
      (`samples.entry_cells`);
    - npz = true (default) or false: include svm_best.npz and softmax_best.npz, trained
      with the reference hyperparameters updated by [build.hyperparameters];
    - [build.saved]: hyperparameters written into the saved files without training with
      them (`key = value`, or `key_factor = f` to multiply the trained value);
    - corrupt = [[notebook, how, grade_id?], ...]: `corrupt_notebook` steps;
    - zip = true: return a .zip of the folder instead.
    """
    build = entry_spec(entry).get("build", {})
    name = Path(entry).name
    npz = None
    if build.get("npz", True):
        changes = build.get("hyperparameters", {})
        npz = {NPZ_OF[cls]: models.get(cls, dataclasses.replace(REFERENCE[cls], **changes))
               for cls in NPZ_OF}
        if "saved" in build:
            target.mkdir(parents=True, exist_ok=True)
            npz = {file: resaved(path, build["saved"], target / f"saved-{file}")
                   for file, path in npz.items()}
    if build.get("layout", "notebook") == "starter":
        folder = write_starter_submission(target / name, entry_cells(entry))
        for file, path in (npz or {}).items():
            shutil.copyfile(path, folder / file)
    else:
        folder = write_submission(target / name, entry_cells(entry), npz)
    for step in build.get("corrupt", []):
        corrupt_notebook(folder / step[0], step[1], *step[2:])
    if build.get("zip", False):
        return zip_submission(folder, target / f"{name}.zip")
    return folder
