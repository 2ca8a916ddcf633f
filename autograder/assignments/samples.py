"""Sample submissions of every assignment: what the demo grades and the corpus test checks.

An assignment's package may hold a `samples.py` (autograder/assignments/<name>/samples.py)
that builds submissions the way its students make them: the release notebooks with cells
filled in, plus model files really trained on CIFAR-10. It gives the demo and the kit's
corpus test what `AssignmentSamples` lists, and nothing else is asked of it:

    samples = load("linear")                   # its samples module, checked
    models = samples.model_store(cifar, tmp)   # trains model files on first use
    folder = samples.build_entry("buggy/svm_naive_no_average", tmp / "built", models)

Its corpus (`CORPUS`, a folder under tests/ of a kit checkout) holds one folder per entry,
`<kind>/<name>/` (or `correct/`), each with an expected.toml: the score and messages the
grader must give it, and a [build] table saying how the module builds it. The corpus is
data, read here and by the module; no python of tests/ is imported.

The corpus format the editions share is here too: `# --- cell: <grade_id>` blocks of an
entry's cells.py (`read_cells`), nbgrader cells of a notebook (`notebook_cells`), an
entry's cells as the reference's with its edits made (`entry_cells`), notebooks damaged at
the JSON level (`corrupt_notebook`), and zipped folders (`zip_submission`).
"""

from __future__ import annotations

import importlib
import json
import re
import shutil
import tomllib
import zipfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

MARKER = re.compile(r"^# --- cell: (\w+).*$", re.MULTILINE)


@runtime_checkable
class AssignmentSamples(Protocol):
    """What an assignment's samples module provides (module-level names)."""

    # Its corpus folder (tests/<folder>/ of the kit checkout).
    CORPUS: Path
    # The corpus entries the demo grades: a cross-section of every kind of outcome.
    DEMO: tuple[str, ...]

    def model_store(self, cifar: Path, folder: Path) -> Any:
        """The model files its entries carry, trained on the real CIFAR-10 in the folder
        `cifar` on first use (each setting once) and kept under `folder`."""

    def build_entry(self, entry: str, target: Path, models: Any) -> Path:
        """The corpus entry `CORPUS/<entry>/` built as a submission under `target` (named
        after the entry's last part, a folder or a .zip), with files of `models`."""


MEMBERS = ("CORPUS", "DEMO", "model_store", "build_entry")


class SamplesUnavailable(LookupError):
    """An assignment without samples: no samples.py, one that lacks part of
    `AssignmentSamples`, or no corpus (an installed kit, not a checkout)."""


def module_name(assignment: str) -> str:
    return f"autograder.assignments.{assignment}.samples"


def load(assignment: str) -> AssignmentSamples:
    """The samples module of `assignment`; raises SamplesUnavailable saying why not."""
    name = module_name(assignment)
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name != name:
            raise
        raise SamplesUnavailable(f"{assignment} has no samples module ({name}): add "
                                 "samples.py to its package, see autograder/assignments/"
                                 "samples.py") from None
    missing = [m for m in MEMBERS if not hasattr(module, m)]
    if missing:
        raise SamplesUnavailable(f"{name} lacks {', '.join(missing)} (see AssignmentSamples "
                                 "in autograder/assignments/samples.py)")
    if not Path(module.CORPUS).is_dir():
        raise SamplesUnavailable(f"{assignment}'s corpus {module.CORPUS} is missing: the "
                                 "samples are the test corpus of a kit checkout")
    return module


def corpus_entries(corpus: Path) -> list[str]:
    """Every entry of `corpus`: "correct" first, then each `<kind>/<name>` holding an
    expected.toml, sorted."""
    found = sorted(f"{path.parent.parent.name}/{path.parent.name}"
                   for path in corpus.glob("*/*/expected.toml"))
    return (["correct"] if (corpus / "correct" / "expected.toml").is_file() else []) + found


def entry_spec(entry: str, corpus: Path) -> dict[str, Any]:
    """The parsed expected.toml of the corpus entry `<corpus>/<entry>/`."""
    with (corpus / entry / "expected.toml").open("rb") as f:
        return tomllib.load(f)


def notebook_cells(path: Path, grade_ids: Iterable[str] | None = None) -> dict[str, str]:
    """grade_id -> source of the nbgrader cells of one notebook (all of them, or those named)."""
    wanted = None if grade_ids is None else set(grade_ids)
    found = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id and (wanted is None or grade_id in wanted):
            source = cell["source"]
            found[grade_id] = "".join(source) if isinstance(source, list) else source
    return found


def solution_cells(path: Path) -> dict[str, str]:
    """grade_id -> source of the nbgrader solution cells of one notebook (what a student
    writes: definitions, searches, answers)."""
    found = {}
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if nbgrader.get("solution"):
            source = cell["source"]
            found[nbgrader["grade_id"]] = "".join(source) if isinstance(source, list) \
                else source
    return found


def read_cells(path: Path) -> dict[str, str]:
    """grade_id -> cell source, from one `cells.py` of `# --- cell: <grade_id>` blocks
    (text before the first marker belongs to no cell)."""
    text = path.read_text(encoding="utf-8")
    marks = list(MARKER.finditer(text))
    cells = {}
    for mark, following in zip(marks, [*marks[1:], None], strict=True):
        end = following.start() if following else len(text)
        cells[mark.group(1)] = text[mark.end():end].strip("\n") + "\n"
    return cells


def entry_cells(entry: str, corpus: Path,
                reference: Callable[[], dict[str, str]]) -> dict[str, str]:
    """The cells the student of `<corpus>/<entry>/` wrote, by grade_id.

    The `reference()` cells (or none, where its [build] says cells = "release": the other
    cells keep the release's stubs), with those of its cells.py (if any) swapped in, then
    its [build] edits made: each [grade_id, old, new] replaces the one `old` in that cell.
    """
    build = entry_spec(entry, corpus).get("build", {})
    cells_py = corpus / entry / "cells.py"
    base = reference() if build.get("cells", "reference") == "reference" else {}
    cells = {**base, **(read_cells(cells_py) if cells_py.is_file() else {})}
    for grade_id, old, new in build.get("edit", []):
        found = cells.get(grade_id, "").count(old)
        if found != 1:
            raise ValueError(f"{corpus / entry / 'expected.toml'}: the edit of cell {grade_id} "
                             f"needs exactly one {old!r} there, found {found}")
        cells[grade_id] = cells[grade_id].replace(old, new)
    return cells


def fill_notebook(release: Path, cells: Mapping[str, str], target: Path) -> Path:
    """Write the release notebook `release` to `target` with `cells` put in by grade_id
    (its solution cells only: a solution cell not in `cells` keeps the release's stub)."""
    nb = json.loads(release.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if nbgrader.get("solution") and nbgrader.get("grade_id") in cells:
            cell["source"] = cells[nbgrader["grade_id"]].splitlines(keepends=True)
    target.write_text(json.dumps(nb, indent=1), encoding="utf-8")
    return target


def corrupt_notebook(path: Path, how: str, grade_id: str | None = None) -> None:
    """Damage one notebook file at the JSON level (what a broken download or a hand edit
    does): "truncate" (cut in the middle, not JSON any more), "delete_cell" (remove the
    cell with nbgrader id `grade_id`) or "old_format" (claim nbformat 3)."""
    text = path.read_text(encoding="utf-8")
    if how == "truncate":
        path.write_text(text[: len(text) // 2], encoding="utf-8")
        return
    nb = json.loads(text)
    if how == "delete_cell":
        before = len(nb["cells"])
        nb["cells"] = [c for c in nb["cells"]
                       if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") != grade_id]
        if len(nb["cells"]) == before:
            raise ValueError(f"corrupt_notebook: {path.name} has no cell {grade_id!r} to delete")
    elif how == "old_format":
        nb["nbformat"] = 3
    else:
        raise ValueError(f"corrupt_notebook: unknown corruption {how!r} (truncate, "
                         "delete_cell or old_format)")
    path.write_text(json.dumps(nb, indent=1), encoding="utf-8")


def zip_submission(folder: Path, target: Path) -> Path:
    """Zip a submission folder as students do (the files inside one top folder)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            archive.write(path, f"{folder.name}/{path.relative_to(folder).as_posix()}")
    return target


def build_samples(samples: AssignmentSamples, assignment: str, submitted: Path,
                  entries: Iterable[str], models: Any, scratch: Path) -> list[Path]:
    """Build each corpus entry (built under `scratch`) into nbgrader's layout,
    submitted/<student>/<assignment>/ with the student named after the entry
    ("buggy/predict_returns_scores" -> buggy-predict_returns_scores); returns the folders."""
    folders = []
    for entry in entries:
        built = samples.build_entry(entry, scratch / "built", models)
        if not built.is_dir():
            raise ValueError(f"build_samples: {assignment}'s entry {entry} builds {built.name}, "
                             "not a folder: submitted/<student>/<assignment>/ needs a folder; "
                             "leave it out of DEMO")
        target = submitted / entry.replace("/", "-") / assignment
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(built, target)
        folders.append(target)
    return folders
