"""Sample submissions of the SOI1010 edition, built the way students make them: the RELEASE
notebook (release/soi1010/svm_softmax.ipynb, as nbgrader generated it) with its solution
cells filled in by grade_id, plus the soi1010_settings.json its search cells write.

The cells come from the SOURCE notebook's solutions (the one source of truth for what a
correct student writes), changed by a corpus entry where it states a bug. The settings file
holds only numbers: the grader trains with them itself, so nothing is trained here.

A corpus entry is a folder with an expected.toml whose [build] table says how to build it
(`build_entry`); this module reads that data and imports nothing from the kit's tests.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from autograder.assignment import load as load_assignment
from autograder.assignments import samples as shared

SPEC = load_assignment("soi1010")
ROOT = Path(__file__).resolve().parents[3]
SOURCE = ROOT / "source" / SPEC.source
RELEASE = ROOT / "release" / SPEC.source
NOTEBOOK = "svm_softmax.ipynb"
CORPUS = ROOT / "tests" / "corpus_soi1010"
(SETTINGS_FILE,) = SPEC.model_files
DEMO = (
    "correct",
    "buggy/subset_labels_01",
    "buggy/hinge_norm_not_squared",
    "buggy/normalize_each_split",
    "buggy/cross_entropy_no_max",
    "buggy/one_vs_all_rescaled_argmax",
    "broken/syntax_error",
    "broken/missing_settings",
    "hostile/library_loss_by_getattr",
)
# What the source notebook's searches save (bench/bench_soi1010.py measured each: binary
# test 0.721 on airplane/ship, one-vs-all 0.333, softmax 0.385, medians of 3 seeds).
SETTINGS: dict[str, Any] = {
    "binary": {"positive": 0, "negative": 8, "lam": 1e-2, "lr": 1e-3, "batch_size": 64,
               "epochs": 10},
    "one_vs_all": {"lam": [1e-2] * 10, "lr": [1e-3] * 10, "batch_size": 64, "epochs": 2},
    "softmax": {"lr": 1e-3, "batch_size": 64, "epochs": 3, "weight_decay": 1e-3},
}


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


def write_settings(folder: Path, settings: Mapping[str, Any] | str) -> Path:
    """folder/soi1010_settings.json holding `settings` (a str: written as it is)."""
    text = settings if isinstance(settings, str) else json.dumps(settings, indent=1)
    (folder / SETTINGS_FILE).write_text(text, encoding="utf-8")
    return folder


class SettingsStore:
    """Nothing to train: the settings file is numbers the grader trains with itself."""

    def __init__(self, cifar: Path, folder: Path) -> None:
        self.cifar, self.folder = cifar, folder


def model_store(cifar: Path, folder: Path) -> SettingsStore:
    return SettingsStore(cifar, folder)


def _merged(base: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: {**v, **changes.get(k, {})} if isinstance(v, Mapping) else v
            for k, v in base.items()}


def build_entry(entry: str, target: Path, models: Any, corpus: Path = CORPUS) -> Path:
    """Build the corpus entry `<corpus>/<entry>/` as a submission folder under `target`,
    named after the entry's last part.

    Its expected.toml's [build] table says how (all optional):
    - cells = "reference" (default) or "release": what the cells not in its cells.py hold;
    - edit = [[grade_id, old, new], ...]: the bug, as text replaced in those cells;
    - settings = false: no settings file; [build.saved]: sections' values replacing the
      tuned settings (e.g. saved.softmax = { epochs = 1000 }); raw = "text": the file's text;
    - corrupt = [[how, grade_id?], ...]: `samples.corrupt_notebook` steps on the notebook;
    - zip = true: return a .zip of the folder instead.
    """
    build = shared.entry_spec(entry, corpus).get("build", {})
    name = Path(entry).name
    folder = target / name
    folder.mkdir(parents=True, exist_ok=True)
    shared.fill_notebook(RELEASE / NOTEBOOK, shared.entry_cells(entry, corpus,
                                                                reference_cells),
                         folder / NOTEBOOK)
    if build.get("settings", True):
        write_settings(folder, build.get("raw") or _merged(SETTINGS, build.get("saved", {})))
    for step in build.get("corrupt", []):
        shared.corrupt_notebook(folder / NOTEBOOK, *step)
    if build.get("zip", False):
        return shared.zip_submission(folder, target / f"{name}.zip")
    return folder
