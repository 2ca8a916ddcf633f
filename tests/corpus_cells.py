"""The definition cells the corpus is built from, by nbgrader grade_id.

The reference cells are read from the instructor notebooks (source/linear/*.ipynb), the one
source of truth for what a correct student writes (`tests/corpus/correct/` holds no copy).
A corpus entry (`tests/corpus/buggy/<bug>/`, `tests/corpus/broken/<case>/`,
`tests/corpus/hostile/<attack>/`) overrides some of them with a `cells.py` made of blocks
that each start with a line `# --- cell: <grade_id>`. Text before the first marker belongs to
no cell.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

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


def entry_cells(entry: str) -> dict[str, str]:
    """The reference cells with those of `tests/corpus/<entry>/cells.py` (if any) swapped in."""
    cells_py = CORPUS / entry / "cells.py"
    return {**reference_cells(), **(read_cells(cells_py) if cells_py.is_file() else {})}
