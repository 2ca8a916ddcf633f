"""The notebook layout: each notebook the assignment names, parsed as JSON; its
definition cells found by nbgrader grade_id; each cell's source taken as Python that
parses (IPython magics removed) and still defines what the checks call."""

from __future__ import annotations

import json
import re
from pathlib import Path

from autograder.assignment import Assignment
from autograder.intake import limits
from autograder.intake.container import container_failed
from autograder.intake.definitions import missing_definitions
from autograder.intake.names import lenient
from autograder.intake.parsing import parse_python
from autograder.intake.submission import Problem

MAGIC_LINE = re.compile(r"^(\s*)([%!].*)$")


def read_notebooks(source: Path, files: dict[str, bytes], problems: list[Problem],
                   spec: Assignment) -> tuple[dict[str, str], dict[str, str]]:
    """The usable definitions (grade_id -> Python for the sandbox) and every definition
    cell's text as submitted (grade_id -> source, for the content hash)."""
    cells: dict[str, str] = {}
    raw_cells: dict[str, str] = {}
    for notebook in spec.notebooks:
        if notebook in files:
            found = definition_cells(notebook, files[notebook], problems, spec)
            raw_cells.update(found)
            for grade_id, text in found.items():
                python = python_source(notebook, grade_id, text, problems, spec)
                if python is not None:
                    cells[grade_id] = python
        elif not container_failed(source, problems):
            problems.append(Problem(notebook, None, f"{notebook} is missing from the "
                                    "submission: submit it next to the other notebook",
                                    tuple(spec.notebooks[notebook])))
    return cells, raw_cells


def definition_cells(notebook: str, data: bytes, problems: list[Problem],
                     spec: Assignment) -> dict[str, str]:
    """grade_id -> source of the definition cells found in one notebook file."""
    wanted = spec.notebooks[notebook]
    nb_cells = _notebook_cells(data)
    if isinstance(nb_cells, str):
        problems.append(Problem(notebook, None, nb_cells, tuple(wanted)))
        return {}
    # A cell found but unusable maps to None: named once, never as missing too.
    found: dict[str, str | None] = {}
    for cell in nb_cells:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = nbg.get("grade_id") if isinstance(nbg, dict) else None
        if grade_id not in wanted:
            continue
        if grade_id in found:
            problems.append(Problem(notebook, grade_id, "appears twice (a copied cell keeps "
                                    "its grade_id): delete the copy and keep your code in "
                                    "the original cell", (grade_id,)))
            found[grade_id] = None
            continue
        found[grade_id] = _cell_source(notebook, grade_id, cell, problems)
    for grade_id in wanted:
        if grade_id not in found:
            problems.append(Problem(notebook, grade_id, "is missing (the cell was deleted or "
                                    "its metadata lost): copy the cell from the released "
                                    "notebook and put your code back into it", (grade_id,)))
    return {g: s for g, s in found.items() if s is not None}


def _notebook_cells(data: bytes) -> list | str:
    """The notebook's list of cells, or what is wrong with the file, worded for the
    student."""
    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return (f"is not a valid notebook (not JSON: {str(exc)[:120]}); it may have been "
                "damaged while saving: download it again from Jupyter (File > Download)")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return ("is not a Jupyter notebook (no list of cells): submit the .ipynb file "
                "saved by Jupyter")
    if nb.get("nbformat") != 4:
        return (f"uses notebook format {nb.get('nbformat')!r}, but version 4 is needed: "
                "open it in a current Jupyter and save it again")
    return nb["cells"]


def _cell_source(notebook: str, grade_id: str, cell: dict,
                 problems: list[Problem]) -> str | None:
    """The text of the definition cell `grade_id`, or None (with a Problem) when it is no
    longer a code cell, its source is damaged or it is past its size limit."""
    source = cell.get("source")
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        source = "".join(source)
    if cell.get("cell_type") != "code":
        why = "is no longer a code cell: change it back to Code (Esc, then Y) and keep " \
              "your code in it"
    elif not isinstance(source, str):
        why = (f"has a damaged source (not text, but {type(source).__name__}): the notebook "
               "was not saved by Jupyter; copy your code into the cell of the released "
               "notebook")
    elif len(source) > limits.MAX_CELL_CHARS:
        why = (f"holds {len(source)} characters, more than the {limits.MAX_CELL_CHARS} a "
               "definition cell may hold: keep only your functions in it")
    else:
        return lenient(source)
    problems.append(Problem(notebook, grade_id, why, (grade_id,)))
    return None


def python_source(notebook: str, grade_id: str, text: str, problems: list[Problem],
                  spec: Assignment) -> str | None:
    """The cell as Python for the sandbox, or None (with a Problem) if it is not usable."""
    tree, error = parse_python(text)
    if tree is None:
        stripped, removed = strip_magics(text)
        if removed:
            tree, _ = parse_python(stripped)
            if tree is not None:
                lines = ", ".join(f"{n} (`{line.strip()[:40]}`)" for n, line in removed)
                problems.append(Problem(notebook, grade_id, f"IPython magic or shell lines "
                                        f"removed before grading, line {lines}: they are not "
                                        "Python"))
                text = stripped
    if tree is None:
        problems.append(Problem(notebook, grade_id, f"{error}; fix it "
                                "so that the cell runs", (grade_id,)))
        return None
    missing = missing_definitions(tree, spec.definitions[grade_id], spec)
    if missing:
        problems.append(Problem(notebook, grade_id, f"{missing}; keep the names and "
                                "signatures of the release notebook", (grade_id,)))
        return None
    return text


def strip_magics(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Replace `%magic` / `!shell` lines by `pass` (same indentation, same line numbers)."""
    out, removed = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        match = MAGIC_LINE.match(line)
        if match:
            removed.append((number, match.group(2)))
            out.append(f"{match.group(1)}pass")
        else:
            out.append(line)
    return "\n".join(out), removed
