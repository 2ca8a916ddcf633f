"""What the engine knows of an assignment, read from the assignment's own folder.

An assignment is a folder `autograder/assignments/<name>/` holding `assignment.toml`
(which notebooks and files a submission holds, the definition cells each notebook
provides and the names they must keep, the module files of CS231n's starter layout) and
`rubric.toml` (points, tolerances, bands, thresholds, timeouts, budget). Its instructor
notebooks are `source/<source>/`, its release `release/<source>/`.

    spec = assignment.load("linear")
    spec.definitions["svm_loss_naive"]   # ('svm_loss_naive',): what the cell must define
    spec.check_module.build_checks(seed, rubric)   # its hidden checks (`AssignmentChecks`)

The engine (everything in autograder/ outside assignments/) knows an assignment only
through these two: the `Assignment` (its assignment.toml) and its check module, which
`AssignmentChecks` types. Adding an assignment is adding a folder.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import numpy as np

    from autograder.checks import Check, CheckResult
    from autograder.outcome import Session
    from autograder.rubric import Rubric, Table

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
    checks: str                                         # the module of its hidden checks
    notebooks: Mapping[str, Mapping[str, tuple[str, ...]]]   # notebook -> grade_id -> names
    methods: Mapping[str, tuple[str, ...]]              # class -> methods it must keep
    model_files: tuple[str, ...]
    model_targets: Mapping[str, str]                   # model file -> its check target
    saved_by: Mapping[str, str]                         # model file -> the cell that writes it
    data_targets: tuple[str, ...]                       # check targets that need CIFAR-10
    starter_modules: Mapping[str, tuple[str, ...]]      # module file -> grade_ids
    also_in: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # grade_id -> notebooks
    needs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)    # target -> grade_ids
    # check target -> (notebook without .ipynb, grade cell) in nbgrader's gradebook
    grade_cells: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # class name -> {notebook, base, cell, source}: added by the grader, never the student's
    trusted: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    # operation -> {args, optional, shared, reply}
    operations: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    # CIFAR-10 as the notebooks preprocess it: pixels times this before the mean image is
    # subtracted (1.0: CS231n's 0-255 pixels; 1/255: EECS 498's [0, 1] pixels).
    pixel_scale: float = 1.0
    # rule -> {functions, attributes, modules, calls, factories, dynamic, block, what, fix}:
    # constructs the functions must not use, found in their source by intake (rules.py).
    rules: Mapping[str, Mapping[str, object]] = field(default_factory=dict)
    # the distributions (with their dependencies) the sandbox's child shows student code
    child_distributions: tuple[str, ...] = ("numpy",)

    @property
    def definitions(self) -> dict[str, tuple[str, ...]]:
        """grade_id -> the top-level names its cell must still define."""
        return {g: names for cells in self.notebooks.values() for g, names in cells.items()}

    @property
    def notebook_of(self) -> dict[str, str]:
        """grade_id -> the notebook that holds it."""
        return {g: nb for nb, cells in self.notebooks.items() for g in cells}

    @property
    def check_module(self) -> AssignmentChecks:
        """The module of the hidden checks, imported on first use."""
        module = importlib.import_module(self.checks)
        if not isinstance(module, AssignmentChecks):
            missing = [name for name in _PROTOCOL_MEMBERS if not hasattr(module, name)]
            raise AssignmentError(f"{self.checks} (checks of {self.name}) lacks "
                                  f"{', '.join(missing)}: see AssignmentChecks")
        return module

    @property
    def rubric_path(self) -> Path:
        return self.folder / "rubric.toml"

    @property
    def child_operations(self) -> Path:
        """The module the sandbox's child runs the operations with (copied beside its
        harness; trusted code that shares the child's process with student code)."""
        return self.folder / "child.py"

    def namespaces_of(self, grade_id: str) -> tuple[str, ...]:
        """The notebooks whose namespaces a definition cell runs in."""
        return (self.notebook_of[grade_id], *self.also_in.get(grade_id, ()))

    def blocks(self, part: str) -> tuple[str, ...]:
        """The check targets an intake problem with `part` (a definition, a file, a
        target that runs definitions) keeps from being graded: a definition's own checks,
        a model file's classifier, that target's."""
        if part in self.model_targets:
            return (self.model_targets[part],)
        return (part,) if part in self.notebook_of or part in self.needs else ()

    def cells_needed(self, target: object) -> tuple[str, ...]:
        """The definition cells an operation on `target` (a function or class) needs."""
        if target in self.needs:
            return self.needs[target]
        return (target,) if target in self.notebook_of else ()


@runtime_checkable
class AssignmentChecks(Protocol):
    """What an assignment's check module (`checks` in its assignment.toml) gives the engine.

    The engine calls nothing else of an assignment: it prepares the data, trains the
    reference and runs the checks only through these, and knows none of the assignment's
    functions, operations, hyperparameters or data layout.

    Optional: `probes(seed) -> {target: [autograder.probes.Probe, ...]}`, the calls on
    class-common inputs that fingerprint the wrong answers no diagnosis names, which
    `run_checks` hands to `autograder.checks.run` (`probes=`); without them the class
    report groups only the named bugs.
    """

    # The check targets (definitions, classes), in the rubric's order.
    TARGETS: tuple[str, ...]

    def parse_rubric(self, top: Table, spec: Assignment) -> Any:
        """The assignment's own rubric tables, validated (everything but the engine's
        [points], [timeouts] and [budget]); what it returns is `Rubric.own`."""

    def build_checks(self, seed: int, rubric: Rubric) -> list[Check]:
        """Every hidden check, in the order they run; the same list for every submission.
        Each names its rubric points key; the engine looks the points up."""

    def run_checks(self, session: Session, seed: int, rubric: Rubric,
                   targets: Any = None, *, data: Mapping[str, np.ndarray] | None = None,
                   reference_session: Session | None = None, budget_s: float | None = None,
                   reference_train: Any = None, submission: Any = None
                   ) -> list[CheckResult]:
        """Run the checks of `targets` (default: all) against one submission's session."""

    def reference_cells(self) -> dict[str, str]:
        """The trusted reference definitions for the timing session (may be empty)."""

    def prepare_data(self, path: Any, spec: Assignment
                     ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """From the CIFAR-10 folder `path`: (what the parent keeps to score the
        reference's accuracy, the training arrays the reference trains on). Raises
        cs231n_data's CIFAR10Error when the data set is missing."""

    def reference_train(self, target: str, settings: Mapping[str, float],
                        training: Mapping[str, np.ndarray], seed: int) -> Any:
        """The trusted reference of `target` trained with canonical `settings` on
        `training` (arrays, memory-mapped): plain arrays the accuracy checks score."""

    def limits_note(self, rubric: Rubric) -> str:
        """The time limits the student's code ran under, in the feedback's words."""


_PROTOCOL_MEMBERS = ("TARGETS", "parse_rubric", "build_checks", "run_checks",
                     "reference_cells", "prepare_data", "reference_train", "limits_note")


def dumps(spec: Assignment) -> str:
    """`spec` as JSON (for the processes that get it whole: intake's parser, the child)."""
    return json.dumps({**{f.name: getattr(spec, f.name) for f in fields(spec)},
                       "folder": str(spec.folder)})


def loads(text: str) -> Assignment:
    raw = json.loads(text)
    return _build(raw["name"], Path(raw["folder"]), raw)


def _build(name: str, folder: Path, raw: Mapping) -> Assignment:
    """An Assignment from its parsed description (assignment.toml, or `dumps`'s JSON)."""
    def lists(table: Mapping, where: str) -> dict[str, tuple[str, ...]]:
        return {k: _names(v, f"{where}.{k}") for k, v in table.items()}

    files = raw.get("files") or {"models": raw["model_files"],
                                 "model_targets": raw["model_targets"],
                                 "data_targets": raw["data_targets"],
                                 "saved_by": raw["saved_by"]}
    return Assignment(
        name=name, title=str(raw["title"]), folder=folder, source=str(raw["source"]),
        checks=str(raw["checks"]), pixel_scale=float(raw.get("pixel_scale", 1.0)),
        notebooks={nb: lists(cells, f"notebooks.{nb}") for nb, cells in raw["notebooks"].items()},
        methods=lists(raw.get("methods", {}), "methods"),
        model_files=_names(files["models"], "files.models"),
        model_targets={str(k): str(v) for k, v in files.get("model_targets", {}).items()},
        saved_by={str(k): str(v) for k, v in files.get("saved_by", {}).items()},
        data_targets=tuple(files.get("data_targets", ())),
        starter_modules=lists(raw.get("starter_modules", {}), "starter_modules"),
        also_in=lists(raw.get("also_in", {}), "also_in"),
        needs=lists(raw.get("needs", {}), "needs"),
        grade_cells=lists(raw.get("grade_cells", {}), "grade_cells"),
        trusted={c: {k: str(t.get(k, "") if k == "base" else t[k])
                     for k in ("notebook", "base", "cell", "source")}
                 for c, t in raw.get("trusted", {}).items()},
        operations={op: {"args": list(o["args"]), "optional": list(o.get("optional", [])),
                         "shared": list(o.get("shared", [])), "reply": dict(o["reply"])}
                    for op, o in raw.get("operations", {}).items()},
        rules={name: dict(rule) for name, rule in raw.get("rules", {}).items()},
        child_distributions=_names(raw.get("child_distributions", ["numpy"]),
                                   "child_distributions"))


def names() -> list[str]:
    """Every assignment the engine can grade (a folder with an assignment.toml)."""
    return sorted(p.parent.name for p in FOLDER.glob("*/assignment.toml"))


@functools.cache
def load(name: str = DEFAULT) -> Assignment:
    """The assignment `name`, from autograder/assignments/<name>/assignment.toml (read
    once per process: every submission and session asks for it)."""
    path = FOLDER / name / "assignment.toml"
    if "/" in name or not path.is_file():
        raise AssignmentError(f"unknown assignment {name!r}; known: {', '.join(names())}")
    from autograder import rules

    try:
        spec = _build(name, path.parent, tomllib.loads(path.read_text(encoding="utf-8")))
        for rule_name, rule in spec.rules.items():
            for key in ("imports", "factories_from"):
                if key in rule:
                    _names(rule[key], f"rules.{rule_name}.{key}")
            rules.check(rule, f"rules.{rule_name}")
    except (tomllib.TOMLDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise AssignmentError(f"{path}: {type(exc).__name__}: {exc}") from None
    if any(key in rule for key in ("imports", "factories_from", "library")
           for rule in spec.rules.values()):
        # What the allowed modules' attributes are, which of their functions make tensors
        # on a device, and the tensor library's dtypes, read here where they can be
        # imported (intake's parser, which reads the rules, imports none of them).
        spec = dataclasses.replace(spec, rules={
            name: rules.with_modules_read(rule) for name, rule in spec.rules.items()})
    unknown = {g for ids in spec.starter_modules.values() for g in ids} - set(spec.definitions)
    if unknown:
        raise AssignmentError(f"{path}: [starter_modules] names definitions that no notebook "
                              f"provides: {', '.join(sorted(unknown))}")
    return spec


def detect_class(folder: Path, limit: int = 10_000) -> list[str]:
    """The assignments whose files the submissions in the class folder `folder` hold: the
    union of `detect` over its entries (folders and .zip files; links and hidden entries
    are skipped, never followed). An entry holding none adds nothing (intake names its
    problem); several or none: the caller must be told which."""
    import stat

    found: set[str] = set()
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return []
    for entry in entries:
        try:
            mode = entry.lstat().st_mode
        except OSError:
            continue
        if entry.name.startswith(".") or not (
                stat.S_ISDIR(mode) or (stat.S_ISREG(mode) and entry.suffix.lower() == ".zip")):
            continue
        found.update(detect(entry, limit))
    return sorted(found)


def detect(path: Path, limit: int = 10_000) -> list[str]:
    """The assignments whose notebooks or starter files the submission at `path` (a folder
    or a .zip) holds, by file names only (the first `limit` of them; a zip's directory is
    read, nothing is extracted). Several or none: the caller must be told which."""
    try:
        if path.is_dir():
            found = [str(p.relative_to(path)) for _, p in zip(range(limit), path.rglob("*"),
                                                                strict=False)]
        else:
            import zipfile

            with zipfile.ZipFile(path) as zf:
                found = [info.filename for info in zf.infolist()[:limit]]
    except Exception:  # noqa: BLE001 - a damaged upload is intake's to report
        return []
    tails = {name.replace("\\", "/") for name in found}
    matches = []
    for name in names():
        spec = load(name)
        wanted = [*spec.notebooks, *spec.starter_modules]
        # At the top, or in one folder (a zip of the submission's folder).
        if any(t == w or (t.endswith("/" + w) and "/" not in t[:-len(w) - 1])
               for t in tails for w in wanted):
            matches.append(name)
    return matches


def _names(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise TypeError(f"[{where}] must be a non-empty list of names, got {value!r}")
    return tuple(value)
