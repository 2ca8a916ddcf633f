"""The student's check before submitting: `python -m autograder check PATH`, and
`from cs231n_data.submit import check; check()` from a notebook cell of the student bundle.

Like otter's `check`/`export` and CS231n's `collectSubmission`, in three steps:

1. the zip to hand in: only the files the grader reads (the assignment's notebooks, model
   files and starter modules that are present), at its top level, as `grade` and `batch`
   accept it;
2. that zip read by the grader's own intake (files present, graded cells present and
   intact, Python that parses, the assignment's rules), then what intake leaves to the
   checks but a student can be told now: functions still the release's stub, and model
   files that cannot be read as data;
3. the release notebooks' visible test cells run against the student's definitions in a
   fresh kernel, in a scratch copy of the zip's files (`visible_tests`), pass or fail per
   cell with its output; a test that needs the student's experiments is a note.

The check changes none of the student's files; it writes only the zip.

The exit status is 0 only when nothing is missing or failing. On the student's machine the
check runs from the bundle's `cs231n_data/_check/` (`student_kit`), without the grader:
nothing hidden (hidden inputs and tests, the oracle, the reference, the rubric, the
grader's secret) is needed or shipped. In the kit it builds the same `Kit` from release/.
"""

from __future__ import annotations

import argparse
import json
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

from autograder.assignment import Assignment
from autograder.intake import STARTER, Problem, load_submission
from autograder.intake.submission import wanted
from autograder.student_kit import KIT_FILE, Kit, build, from_json, graded_cells, still_stubs
from autograder.visible_tests import CellResult, run_notebook

CELL_TIMEOUT_S = 300.0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """The `check` subcommand."""
    p = subparsers.add_parser("check", help="the student's check before submitting: the "
                              "grader's intake, the visible tests, and the zip to hand in "
                              "(runs the folder's code outside the sandbox: for your own "
                              "code only; grade others' with `grade`)")
    p.add_argument("path", type=Path, help="the student's assignment folder")
    p.add_argument("--assignment", default=None, help="the assignment (default: the one "
                   "whose files the folder holds)")
    p.add_argument("--zip", type=Path, default=None, dest="zip_path", metavar="OUT.zip",
                   help="where to write the zip to hand in (default: "
                   "PATH/<assignment>_submission.zip)")
    p.add_argument("--cell-timeout", type=float, default=CELL_TIMEOUT_S,
                   help="seconds each notebook cell may run")
    p.set_defaults(func=_command)


def _command(args: argparse.Namespace) -> int:
    try:
        kit = load_kit(args.path, args.assignment)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return check(args.path, kit, zip_path=args.zip_path, cell_timeout=args.cell_timeout)


def load_kit(folder: Path, assignment: str | None = None) -> Kit:
    """The bundle's kit (check.json beside this engine, on the student's machine), else
    the kit of the course this engine belongs to, for `assignment` or the one whose files
    `folder` holds. Raises ValueError (or FileNotFoundError) saying what to do."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: give the assignment's folder")
    bundled = Path(__file__).resolve().parents[1] / KIT_FILE
    if bundled.is_file():
        return from_json(bundled.read_text(encoding="utf-8"))
    from autograder import assignment as assignments
    from autograder.release import ROOT

    found = [assignment] if assignment else assignments.detect(folder)
    if len(found) != 1:
        raise ValueError(f"{folder} holds the files of {' and '.join(found) or 'no assignment'}"
                         f": say which with --assignment ({', '.join(assignments.names())})")
    return build(assignments.load(found[0]), ROOT)


def check(folder: Path, kit: Kit, zip_path: Path | None = None,
          cell_timeout: float = CELL_TIMEOUT_S, show: Callable[[str], None] = print) -> int:
    """Check the submission in `folder`, write its zip, say what is wrong; 0 when ready."""
    spec = kit.spec
    zip_path = (zip_path or folder / f"{spec.source}_submission.zip").resolve()
    names = write_zip(folder, kit, zip_path)
    show(f"Checking {folder.resolve()} ({spec.title}); the notebooks are read as saved "
         "on disk: save them first.")
    submission = load_submission(zip_path, spec)
    problems = [p for p in submission.problems if p.targets]
    problems += stub_problems(submission.cells, submission.origins, kit)
    problems += unreadable_models(submission.model_files, spec)
    notes = [p for p in submission.problems if not p.targets] + unanswered(folder, kit)
    show(_section("Submission (the grader's own intake)", problems, notes))
    results: list[CellResult] = []
    if submission.layout == STARTER:
        show("Visible tests: not run here, since your definitions are in CS231n's starter "
             "modules: run the notebooks themselves.")
    else:
        for notebook, plan in kit.plans.items():
            if (folder / notebook).is_file():
                show(f"Running the visible tests of {notebook} in a fresh kernel ...")
                results += run_notebook(folder, notebook, plan, submission.cells,
                                        cell_timeout, names)
        show(_results(results))
    failed = [r for r in results if r.ran and not r.passed]
    ready = not problems and not failed and (any(r.ran for r in results)
                                             or submission.layout == STARTER)
    show(f"Wrote {zip_path} ({', '.join(names) or 'no files'}).")
    show("Ready to submit: hand in that zip." if ready else
         f"Not ready: {len(problems)} problem(s) and {len(failed)} failing cell(s) above; "
         "the zip holds your work as it is now.")
    return 0 if ready else 1


def write_zip(folder: Path, kit: Kit, zip_path: Path) -> list[str]:
    """Zip the files of `folder` the grader reads (under their own names, at the top);
    returns their names."""
    names = [n for n in wanted(kit.spec) if (folder / n).is_file()]
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in names:
            zf.write(folder / name, name)
    return names


def stub_problems(cells: dict[str, str], origins: dict[str, str], kit: Kit) -> list[Problem]:
    """A problem for each function the student's definitions still leave as the
    release's stub."""
    problems = []
    for grade_id, source in cells.items():
        for name in still_stubs(source, kit.stubs.get(grade_id, ())):
            where = origins.get(grade_id)
            problems.append(Problem(
                where or kit.spec.notebook_of[grade_id], None if where else grade_id,
                f"`{name}` is still the release's stub (it raises NotImplementedError): "
                "write it where it says YOUR CODE HERE and delete the raise", (grade_id,)))
    return problems


def unreadable_models(model_files: dict[str, Path], spec: Assignment) -> list[Problem]:
    """A problem for each model file that cannot be read as data, naming the cell that
    writes it. (A missing one is intake's to name.)"""
    problems = []
    for name, path in model_files.items():
        try:
            _read_as_data(path)
        except Exception as exc:  # noqa: BLE001 - whatever the file holds, say so
            writer = spec.saved_by.get(name, "the notebook")
            problems.append(Problem(name, None, f"cannot be read as data ({type(exc).__name__}"
                                    f": {str(exc)[:200]}); write it again with {writer}",
                                    (name,)))
    return problems


def unanswered(folder: Path, kit: Kit) -> list[Problem]:
    """A note for each written answer the student's notebooks still leave as the release
    has it (graded by hand, so no test tells)."""
    notes = []
    for notebook, answers in kit.answers.items():
        try:
            found = graded_cells(json.loads((folder / notebook).read_text(encoding="utf-8"))
                                 ["cells"])
        except (OSError, ValueError, TypeError, KeyError):
            continue  # intake names a missing or damaged notebook
        notes += [Problem(notebook, grade_id, "is not answered yet (written answers are "
                          "graded by hand)")
                  for grade_id, text in answers.items()
                  if found.get(grade_id, text).strip() == text.strip()]
    return notes


def _read_as_data(path: Path) -> None:
    """Read a model file as the grader does: arrays, tensors and numbers, no code."""
    import numpy as np

    if path.suffix == ".pt":
        import torch

        torch.load(path, map_location="cpu", weights_only=True)
    elif path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as saved:
            for key in saved.files:
                saved[key]
    elif path.suffix == ".json":
        if not isinstance(json.loads(path.read_text(encoding="utf-8")), dict):
            raise ValueError("it holds no JSON object of settings")
    elif path.suffix == ".npy":
        _read_npy(path)


def _read_npy(path: Path) -> None:
    """An array, or (np.save of a dict of arrays, CS231n's model.save) a dict of
    numeric arrays. The file is the student's own, read on the student's machine."""
    import numpy as np

    try:
        np.load(path, allow_pickle=False)
        return
    except ValueError:
        held = np.load(path, allow_pickle=True)
    content = held.item() if held.shape == () else held
    if not isinstance(content, dict) or not all(
            isinstance(k, str) and isinstance(v, np.ndarray) and v.dtype.kind in "fiu"
            for k, v in content.items()):
        raise ValueError("it holds no dict of numeric arrays")


def _section(title: str, problems: list[Problem], notes: list[Problem]) -> str:
    lines = [title + ":"]
    lines += [f"  MISSING/WRONG  {p}" for p in problems] or ["  ok: every file, cell and "
                                                             "definition the grader reads"]
    lines += [f"  note  {p}" for p in notes]
    return "\n".join(lines)


def _results(results: list[CellResult]) -> str:
    lines = ["Visible tests (the release's test cells, run on your definitions):"]
    for r in results:
        what = f"{r.kind} `{r.grade_id}`" if r.grade_id else "setup cell (before the first task)"
        verdict = "PASS" if r.passed else "FAIL" if r.ran else "note"
        lines.append(f"  {verdict}  {r.notebook}, {what}")
        if r.output:
            lines += [f"        {line}" for line in r.output.splitlines()]
    if len(lines) == 1:
        lines.append("  none ran: a notebook is missing (see above)")
    return "\n".join(lines)
