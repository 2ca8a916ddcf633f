"""What intake hands on: a `Submission` and its `Problem`s, the content hash that tells
two submissions apart, and the JSON form in which the bounded parser returns them."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from autograder.assignment import Assignment

# The layout of a CS231n starter submission: definitions from its module files
# (`Assignment.starter_modules`); its notebooks carry only the searches and answers.
STARTER = "cs231n_starter"
NOTEBOOK_LAYOUT = "notebooks"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submission, worded for the student.

    `targets` are the grade_ids (or .npz names) that cannot be graded because of it;
    empty for a note that changes nothing (e.g. an IPython magic that was removed).
    """

    notebook: str
    cell: str | None
    message: str
    targets: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.notebook}, cell `{self.cell}`" if self.cell else self.notebook
        return f"{where}: {self.message}"


@dataclass
class Submission:
    """A parsed submission: what the sandbox runs and what the report says about it."""

    source: Path                       # the folder or .zip given
    name: str                          # student (nbgrader layout) or folder/zip stem
    cells: dict[str, str]              # grade_id -> Python source (magics removed)
    problems: list[Problem]
    content_hash: str                  # sha256 of the definition cells and the .npz bytes
    # present, size-checked model files (name -> where intake put them)
    model_files: dict[str, Path] = field(default_factory=dict)
    layout: str = NOTEBOOK_LAYOUT      # or STARTER: definitions from CS231n's module files
    modules: dict[str, str] = field(default_factory=dict)   # module file -> its source
    origins: dict[str, str] = field(default_factory=dict)   # grade_id -> its module file
    # rule -> grade_id -> what the assignment's [rules] found in its source (rules.py)
    findings: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    # grade_id (starter layout: module file) -> its text as handed in, whether or not it
    # parses or passes the rules: what `similarity` compares
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def ungradable(self) -> set[str]:
        """Targets (grade_ids, .npz names) that a problem keeps from being graded."""
        return {t for p in self.problems for t in p.targets}


def all_targets(spec: Assignment) -> tuple[str, ...]:
    """Every target of `spec`: what a problem with the whole submission makes ungradable."""
    return (*spec.definitions, *spec.model_files)


def content_hash(cells: dict[str, str], model_files: dict[str, Path]) -> str:
    """sha256 of the definitions' text and the model files' bytes, each under its name."""
    digest = hashlib.sha256()
    for grade_id in sorted(cells):
        digest.update(f"cell {grade_id}\0{cells[grade_id]}\0".encode())
    for name in sorted(model_files):
        digest.update(f"file {name}\0".encode())
        digest.update(model_files[name].read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def to_json(submission: Submission) -> str:
    """`submission` as the parser's child writes it (its source and name stay with the
    parent, which knows them)."""
    return json.dumps({
        "cells": submission.cells,
        "problems": [[p.notebook, p.cell, p.message, list(p.targets)]
                     for p in submission.problems],
        "content_hash": submission.content_hash,
        "model_files": {k: str(v) for k, v in submission.model_files.items()},
        "layout": submission.layout, "modules": submission.modules,
        "origins": submission.origins, "findings": submission.findings,
        "sources": submission.sources,
    })


def from_json(source: Path, name: str, data: dict) -> Submission:
    """The `Submission` of `source` from what `to_json` wrote, parsed as `data`."""
    problems = [Problem(p[0], p[1], p[2], tuple(p[3])) for p in data["problems"]]
    return Submission(source=source, name=name, cells=dict(data["cells"]), problems=problems,
                      content_hash=str(data["content_hash"]),
                      model_files={k: Path(v) for k, v in data["model_files"].items()},
                      layout=str(data["layout"]), modules=dict(data["modules"]),
                      origins=dict(data["origins"]), findings=dict(data["findings"]),
                      sources=dict(data["sources"]))


def wanted(spec: Assignment) -> tuple[str, ...]:
    """Every file of a submission that intake reads or locates."""
    return (*spec.notebooks, *spec.model_files, *spec.starter_modules)


def targets_of(name: str, spec: Assignment) -> tuple[str, ...]:
    """What a problem with the submission's file `name` makes ungradable."""
    return tuple(spec.notebooks.get(name, {})) or spec.starter_modules.get(name) or (name,)


def keep_model_file(extract_to: Path, name: str, data: bytes) -> Path:
    """`data` written as the model file `name` below the private folder `extract_to`."""
    target = extract_to / name
    # A model file may sit in a folder (cs231n/saved/...).
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target
