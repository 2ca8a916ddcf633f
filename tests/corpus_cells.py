"""The definition cells the corpus is built from, by nbgrader grade_id.

The reference cells are read from the instructor notebooks (source/linear/*.ipynb), the one
source of truth for what a correct student writes (`tests/corpus/correct/` holds no copy).
A corpus entry (`tests/corpus/buggy/<bug>/`, `tests/corpus/broken/<case>/`,
`tests/corpus/hostile/<attack>/`) changes some of them. Its expected.toml's [build] `edit`
list states a bug as text replaced in the reference cells, so the entry reads as a diff
against the instructor's solution and follows it when it changes. Code that is not a small
change of a reference cell lives in a `cells.py` made of blocks that each start with a line
`# --- cell: <grade_id>`. Text before the first marker belongs to no cell.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "source" / "linear"
CORPUS = Path(__file__).parent / "corpus"
MARKER = re.compile(r"^# --- cell: (\w+).*$", re.MULTILINE)
# The definition cells a student writes, by notebook (INTERFACES.md).
DEFINITION_CELLS = {
    "svm.ipynb": ("svm_loss_naive", "svm_loss_vectorized", "linear_classifier"),
    "softmax.ipynb": ("softmax_loss_naive", "softmax_loss_vectorized"),
}


def notebook_cells(path: Path, grade_ids: tuple[str, ...] | None = None) -> dict[str, str]:
    """grade_id -> source of the nbgrader cells of one notebook (all of them, or those named)."""
    found = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id and (grade_ids is None or grade_id in grade_ids):
            source = cell["source"]
            found[grade_id] = "".join(source) if isinstance(source, list) else source
    return found


def read_cells(path: Path) -> dict[str, str]:
    """grade_id -> cell source, from one `cells.py`."""
    text = path.read_text()
    marks = list(MARKER.finditer(text))
    cells = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(text)
        cells[mark.group(1)] = text[mark.end():end].strip("\n") + "\n"
    return cells


def reference_cells() -> dict[str, str]:
    """The five definition cells of a correct submission: the source notebooks' solutions."""
    cells: dict[str, str] = {}
    for notebook, grade_ids in DEFINITION_CELLS.items():
        found = notebook_cells(SOURCE / notebook, grade_ids)
        missing = [g for g in grade_ids if g not in found]
        if missing:
            raise LookupError(f"{SOURCE / notebook} has no cell {', '.join(missing)}")
        cells.update({g: found[g] for g in grade_ids})
    return cells


def solved_cells() -> dict[str, str]:
    """Every solution cell of the source notebooks: the definitions, the hyperparameter
    searches and the inline answers, as a student who did the whole assignment has them."""
    cells: dict[str, str] = {}
    for notebook in DEFINITION_CELLS:
        for cell in json.loads((SOURCE / notebook).read_text(encoding="utf-8"))["cells"]:
            nbgrader = cell.get("metadata", {}).get("nbgrader", {})
            if nbgrader.get("solution"):
                source = cell["source"]
                cells[nbgrader["grade_id"]] = "".join(source) if isinstance(source, list) \
                    else source
    return cells


def attack_cells(attack: str) -> dict[str, str]:
    """The reference cells with those of `tests/corpus/hostile/<attack>/cells.py` swapped in."""
    return {**reference_cells(), **read_cells(CORPUS / "hostile" / attack / "cells.py")}


def entry_spec(entry: str, corpus: Path = CORPUS) -> dict[str, Any]:
    """The parsed expected.toml of the corpus entry `<corpus>/<entry>/`."""
    with (corpus / entry / "expected.toml").open("rb") as f:
        return tomllib.load(f)


def entry_cells(entry: str, corpus: Path = CORPUS,
                reference: Callable[[], dict[str, str]] | None = None) -> dict[str, str]:
    """The cells the student of `tests/corpus/<entry>/` wrote, by grade_id.

    (`corpus`: the corpus folder of another assignment, `reference`: its reference cells.)
    The reference cells (or none, where its [build] says cells = "release": the other
    cells keep the release's stubs), with those of its cells.py (if any) swapped in, then
    its [build] edits made: each [grade_id, old, new] replaces the one `old` in that cell.
    """
    build = entry_spec(entry, corpus).get("build", {})
    cells_py = corpus / entry / "cells.py"
    base = (reference or reference_cells)() if build.get("cells", "reference") == "reference" \
        else {}
    cells = {**base, **(read_cells(cells_py) if cells_py.is_file() else {})}
    for grade_id, old, new in build.get("edit", []):
        found = cells.get(grade_id, "").count(old)
        if found != 1:
            raise ValueError(f"{corpus / entry / 'expected.toml'}: the edit of cell {grade_id} "
                             f"needs exactly one {old!r} there, found {found}")
        cells[grade_id] = cells[grade_id].replace(old, new)
    return cells
