"""What of an assignment reaches the student's machine for the check before submitting.

The student bundle (`autograder.release`) carries, beside the release notebooks and
cs231n_data, a folder `cs231n_data/_check/` holding:

- `check.json`, the `Kit`: intake's description of the assignment (its assignment.toml
  as `autograder.assignment.dumps` writes it), the plan of each release notebook's visible
  tests (the setup cells before its first graded cell, the course's locked cells, the
  student's definition cells and the visible test cells, in the notebook's order) and the
  functions of each definition cell that the release leaves as stubs, and the release's
  text of each written answer (to tell the student which are still unanswered);
- the engine files the check runs (`ENGINE_FILES`): intake, its rules, this module and
  the check itself, so that the student's check validates with the grader's own code.

Nothing of an assignment's folder (its checks, oracle, hidden inputs, reference, rubric),
no hidden test cell (nbgrader's release has stripped them) and nothing of the grader's
secret is among them: only what the release already shows, and the engine's parser.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from autograder.assignment import Assignment, dumps, loads

ENGINE = Path(__file__).resolve().parent
# The engine's files the student's check needs (relative to autograder/): intake and its
# rules, and the check. None of them holds anything of an assignment.
ENGINE_FILES = ("__init__.py", "assignment.py", "ids.py", "self_check.py", "student_kit.py",
                "visible_tests.py", "intake/*.py", "rules/*.py")
KIT_FOLDER = "cs231n_data/_check"      # in the student's assignment folder
KIT_FILE = "check.json"

# What a cell of a notebook's plan is: run before everything (imports, data), the course's
# own code, the student's definition, or a visible test whose result is reported.
SETUP, GIVEN, DEFINITION, TEST = "setup", "given", "definition", "test"


@dataclass(frozen=True)
class PlanCell:
    """One cell of a visible-test run: its kind, nbgrader grade_id and source (the
    student's own for a DEFINITION, which the run takes from the submission). `needs`:
    the names it reads that only cells the run leaves out define (the student's
    experiments and searches), so it is not run (the course's cell that saves what a
    search found would fail, or write the file without it)."""

    kind: str
    grade_id: str | None
    source: str
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kit:
    """What the student's check knows of the assignment."""

    spec: Assignment
    plans: Mapping[str, tuple[PlanCell, ...]]         # notebook -> its visible-test run
    stubs: Mapping[str, tuple[str, ...]]              # grade_id -> functions left as stubs
    # notebook -> grade_id -> the release's text of each written answer (graded by hand)
    answers: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)


def build(spec: Assignment, course: Path) -> Kit:
    """The kit of `spec` from the course at `course`: its release (release/<source>/) and,
    to tell the stubs from what the release means to raise NotImplementedError (an
    abstract method), its source (source/<source>/)."""
    plans: dict[str, tuple[PlanCell, ...]] = {}
    stubs: dict[str, tuple[str, ...]] = {}
    answers: dict[str, dict[str, str]] = {}
    for notebook, definitions in spec.notebooks.items():
        plan: list[PlanCell] = []
        texts: list[str] = []       # the release's source of each cell of the plan
        left_out: list[str] = []    # the release's code cells the plan leaves out
        solved = _definition_cells(course / "source" / spec.source / notebook, definitions)
        for cell in _cells(course / "release" / spec.source / notebook):
            source = _text(cell.get("source", ""))
            nbgrader = cell.get("metadata", {}).get("nbgrader")
            if cell.get("cell_type") != "code":
                if nbgrader and nbgrader.get("grade") and nbgrader.get("solution"):
                    answers.setdefault(notebook, {})[nbgrader.get("grade_id")] = source
                continue
            planned = len(plan)
            grade_id = nbgrader.get("grade_id") if nbgrader else None
            if not nbgrader:
                # Before the first graded cell: the imports and the data; after it, the
                # student's experiments (training, plots), which the tests do not need.
                if not any(c.kind != SETUP for c in plan):
                    plan.append(PlanCell(SETUP, None, source))
            elif grade_id in definitions:
                plan.append(PlanCell(DEFINITION, grade_id, ""))
                meant = stub_functions(solved.get(grade_id, ""))
                stubs[grade_id] = tuple(n for n in stub_functions(source) if n not in meant)
            elif nbgrader.get("grade"):
                plan.append(PlanCell(TEST, grade_id, source))
            elif nbgrader.get("locked") and not nbgrader.get("solution"):
                plan.append(PlanCell(GIVEN, grade_id, source))
            (texts if len(plan) > planned else left_out).append(source)
        plans[notebook] = _with_needs(plan, texts, left_out)
    return Kit(spec=spec, plans=plans, stubs={g: s for g, s in stubs.items() if s},
               answers=answers)


def _with_needs(plan: list[PlanCell], texts: list[str], left_out: list[str]
                ) -> tuple[PlanCell, ...]:
    """`plan` (the release's source of each cell in `texts`) with each course cell's
    `needs`: the names it reads that no earlier cell of the run binds but a cell left out
    of the run binds (one of `left_out`, or a course cell left out for its own needs)."""
    unbound = set().union(*(_bound(source) for source in left_out))
    bound: set[str] = set()
    out = []
    for cell, text in zip(plan, texts, strict=True):
        needs: tuple[str, ...] = ()
        if cell.kind in (GIVEN, TEST):
            needs = tuple(sorted((_read(text) & unbound) - bound))
        if needs:
            unbound |= _bound(text)
        else:
            bound |= _bound(text)
        out.append(dataclasses.replace(cell, needs=needs))
    return tuple(out)


def _tree(source: str) -> ast.Module | None:
    """A cell's code parsed, its IPython magics and shell lines left out (None: it does
    not parse)."""
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(("%", "!"))]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _bound(source: str) -> set[str]:
    """The names a cell binds anywhere in it (assigned, imported, defined, arguments)."""
    tree = _tree(source)
    names: set[str] = set()
    for node in ast.walk(tree) if tree else ():
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
    return names


def _read(source: str) -> set[str]:
    """The names a cell reads that it does not bind itself."""
    tree = _tree(source)
    loaded = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
              and isinstance(n.ctx, ast.Load)} if tree else set()
    return loaded - _bound(source)


def to_json(kit: Kit) -> str:
    """`kit` as the bundle's check.json (the assignment's folder is not the student's
    business: it is written as ".")."""
    spec = dataclasses.replace(kit.spec, folder=Path("."))
    return json.dumps({"assignment": json.loads(dumps(spec)),
                       "plans": {nb: [dataclasses.asdict(c) for c in plan]
                                 for nb, plan in kit.plans.items()},
                       "stubs": {g: list(names) for g, names in kit.stubs.items()},
                       "answers": kit.answers},
                      indent=1)


def from_json(text: str) -> Kit:
    raw = json.loads(text)
    return Kit(spec=loads(json.dumps(raw["assignment"])),
               plans={nb: tuple(PlanCell(**c) for c in plan)
                      for nb, plan in raw["plans"].items()},
               stubs={g: tuple(names) for g, names in raw["stubs"].items()},
               answers=raw["answers"])


def bundle_files(spec: Assignment, course: Path) -> dict[str, bytes | Path]:
    """Name in the student's assignment folder -> content (bytes) or file: the kit."""
    files: dict[str, bytes | Path] = {
        f"{KIT_FOLDER}/{KIT_FILE}": to_json(build(spec, course)).encode()}
    for pattern in ENGINE_FILES:
        for path in sorted(ENGINE.glob(pattern)):
            files[f"{KIT_FOLDER}/autograder/{path.relative_to(ENGINE).as_posix()}"] = path
    return files


def stub_functions(source: str) -> tuple[str, ...]:
    """The functions and methods (`Class.method`) of a release cell that raise
    NotImplementedError: nbgrader's stub of the code the student writes."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return ()
    return tuple(name for name, node in _functions(tree.body) if _raises_not_implemented(node))


def still_stubs(source: str, names: tuple[str, ...]) -> list[str]:
    """Those of `names` that the student's `source` still leaves raising
    NotImplementedError."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    found = dict(_functions(tree.body))
    return [name for name in names if name in found and _raises_not_implemented(found[name])]


def _functions(body: list[ast.stmt], prefix: str = "") -> list[tuple[str, ast.AST]]:
    """(qualified name, node) of the module's functions and its classes' methods."""
    out: list[tuple[str, ast.AST]] = []
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out.append((prefix + node.name, node))
        elif isinstance(node, ast.ClassDef):
            out += _functions(node.body, f"{prefix}{node.name}.")
    return out


def _raises_not_implemented(node: ast.AST) -> bool:
    for sub in ast.walk(node):
        if isinstance(sub, ast.Raise) and sub.exc is not None:
            exc = sub.exc.func if isinstance(sub.exc, ast.Call) else sub.exc
            if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                return True
    return False


def _cells(notebook: Path) -> list[dict]:
    """The cells of a course notebook (release/ or source/)."""
    if not notebook.is_file():
        raise FileNotFoundError(f"{notebook} does not exist: run `python -m autograder "
                                "release` first")
    return json.loads(notebook.read_text(encoding="utf-8"))["cells"]


def _definition_cells(notebook: Path, grade_ids: Mapping[str, object]) -> dict[str, str]:
    """grade_id -> source of the notebook's definition cells."""
    return {g: s for g, s in graded_cells(_cells(notebook)).items() if g in grade_ids}


def graded_cells(cells: list) -> dict[str, str]:
    """grade_id -> source of a notebook's cells that have one (its nbgrader cells)."""
    found = {}
    for cell in cells:
        meta = cell.get("metadata") if isinstance(cell, dict) else None
        nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
        if isinstance(nbgrader, dict) and isinstance(nbgrader.get("grade_id"), str):
            found[nbgrader["grade_id"]] = _text(cell.get("source", ""))
    return found


def _text(source: object) -> str:
    return "".join(source) if isinstance(source, list) else str(source)
