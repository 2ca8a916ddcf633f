"""What the engine knows of an assignment, read from the assignment's own folder.

An assignment is a folder `autograder/assignments/<name>/` holding `assignment.toml`
(which notebooks and files a submission holds, the definition cells each notebook
provides and the names they must keep, the module files of CS231n's starter layout) and
`rubric.toml` (points, tolerances, bands, thresholds, timeouts, budget). Its instructor
notebooks are `source/<source>/`, its release `release/<source>/`.

    spec = assignment.load("linear")
    spec.definitions["svm_loss_naive"]   # ('svm_loss_naive',): what the cell must define
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "assignments"
DEFAULT = "linear"


class AssignmentError(ValueError):
    """An assignment that does not exist, or whose assignment.toml is malformed."""


@dataclass(frozen=True)
class Assignment:
    """One assignment's description (its assignment.toml), validated."""

    name: str
    title: str
    folder: Path
    source: str                                         # source/<source>, release/<source>
    notebooks: Mapping[str, Mapping[str, tuple[str, ...]]]   # notebook -> grade_id -> names
    methods: Mapping[str, tuple[str, ...]]              # class -> methods it must keep
    model_files: tuple[str, ...]
    starter_modules: Mapping[str, tuple[str, ...]]      # module file -> grade_ids

    @property
    def definitions(self) -> dict[str, tuple[str, ...]]:
        """grade_id -> the top-level names its cell must still define."""
        return {g: names for cells in self.notebooks.values() for g, names in cells.items()}

    @property
    def notebook_of(self) -> dict[str, str]:
        """grade_id -> the notebook that holds it."""
        return {g: nb for nb, cells in self.notebooks.items() for g in cells}

    @property
    def rubric_path(self) -> Path:
        return self.folder / "rubric.toml"


def dumps(spec: Assignment) -> str:
    """`spec` as JSON (for the bounded parser process, which gets it whole)."""
    return json.dumps({**{k: getattr(spec, k) for k in (
        "name", "title", "source", "notebooks", "methods", "model_files", "starter_modules")},
        "folder": str(spec.folder)})


def loads(text: str) -> Assignment:
    raw = json.loads(text)
    return Assignment(
        name=raw["name"], title=raw["title"], folder=Path(raw["folder"]), source=raw["source"],
        notebooks={nb: {g: tuple(v) for g, v in cells.items()}
                   for nb, cells in raw["notebooks"].items()},
        methods={c: tuple(v) for c, v in raw["methods"].items()},
        model_files=tuple(raw["model_files"]),
        starter_modules={m: tuple(v) for m, v in raw["starter_modules"].items()})


def names() -> list[str]:
    """Every assignment the engine can grade (a folder with an assignment.toml)."""
    return sorted(p.parent.name for p in FOLDER.glob("*/assignment.toml"))


def load(name: str = DEFAULT) -> Assignment:
    """The assignment `name`, from autograder/assignments/<name>/assignment.toml."""
    path = FOLDER / name / "assignment.toml"
    if "/" in name or not path.is_file():
        raise AssignmentError(f"unknown assignment {name!r}; known: {', '.join(names())}")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        notebooks = {nb: {g: _names(v, f"notebooks.{nb}.{g}") for g, v in cells.items()}
                     for nb, cells in raw["notebooks"].items()}
        spec = Assignment(
            name=name, title=str(raw["title"]), folder=path.parent, source=str(raw["source"]),
            notebooks=notebooks,
            methods={c: _names(v, f"methods.{c}") for c, v in raw.get("methods", {}).items()},
            model_files=_names(raw["files"]["models"], "files.models"),
            starter_modules={m: _names(v, f"starter_modules.{m}")
                             for m, v in raw.get("starter_modules", {}).items()})
    except (tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise AssignmentError(f"{path}: {type(exc).__name__}: {exc}") from None
    unknown = {g for ids in spec.starter_modules.values() for g in ids} - set(spec.definitions)
    if unknown:
        raise AssignmentError(f"{path}: [starter_modules] names definitions that no notebook "
                              f"provides: {', '.join(sorted(unknown))}")
    return spec


def _names(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise TypeError(f"[{where}] must be a non-empty list of names, got {value!r}")
    return tuple(value)
