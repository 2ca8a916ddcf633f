"""The written answers as a PDF: the inline questions and a student's answers, nothing else.

    python -m autograder pdf PATH --out answers.pdf [--assignment NAME] [--student ID]

PATH is a submission (folder or .zip, read by intake's own reader: no link followed, sizes
bounded) or one notebook. The answers are the notebooks' manually graded cells (nbgrader
metadata `grade` and `solution` on a markdown cell), taken in the order of the released
notebooks, each after its question (the markdown cell before it in the release; in an
assignment whose answer cell holds its question, that cell alone). Every item is labelled
with the student's id, the notebook and the cell, so that the PDF can be uploaded as a
Gradescope written-answer submission or read by a TA. Code, outputs and every other cell
are left out.

The page is a small Jinja2 template (templates/answers.html); each cell's markdown is
rendered by nbconvert's own renderer and sanitized, within bounds that the PDF and stderr
name where a cell passes them (`printing.quote`: its first 20,000 characters, nested
markup as plain text; at most `MAX_ANSWERS` answers a notebook), and the page
carries a Content-Security-Policy that lets nothing load or run; headless Chromium prints
it (`printing.print_pdf`). A student's script or remote image in an answer is neither run
nor fetched. No LaTeX is involved: math stays as its TeX text (`$\\log(0.1)$`), since
MathJax cannot be loaded offline (the page loads nothing and runs no script).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import jinja2
from markupsafe import Markup

from autograder import assignment as assignments
from autograder.assignment import Assignment
from autograder.ids import terminal
from autograder.intake import limits
from autograder.intake.container import read_container
from autograder.intake.names import lenient, submission_name
from autograder.intake.notebooks import _notebook_cells as notebook_cells
from autograder.intake.submission import Problem
from autograder.printing import PrintError, print_pdf, quote
from autograder.release import ROOT

TEMPLATES = Path(__file__).with_name("templates")
# Answers printed from one notebook (a release asks a few; a notebook read without its
# release may hold any number of answer cells).
MAX_ANSWERS = 100


class AnswersError(Exception):
    """The PDF cannot be made: no answer found, a notebook unreadable, no browser."""


@dataclass(frozen=True)
class Question:
    """One manually graded answer cell of a notebook, with the question it answers."""

    notebook: str
    grade_id: str
    points: float
    question: str                  # markdown; empty where the answer cell holds it
    template: str                  # the answer cell as released ("YOUR ANSWER HERE")


@dataclass(frozen=True)
class Item:
    """A question and a student's answer, as HTML safe to print."""

    grade_id: str
    points: str
    question: Markup
    answer: Markup | None          # None: the cell is missing from the notebook
    note: str = ""                 # what was left out to keep the page bounded


def _source(cell: dict) -> str | None:
    text = cell.get("source")
    if isinstance(text, list) and all(isinstance(s, str) for s in text):
        text = "".join(text)
    return lenient(text[:limits.MAX_CELL_CHARS]) if isinstance(text, str) else None


def _nbgrader(cell: object) -> dict:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbg if isinstance(nbg, dict) else {}


def is_answer(cell: object) -> bool:
    """A manually graded answer: a markdown cell nbgrader grades that the student writes."""
    nbg = _nbgrader(cell)
    return bool(isinstance(cell, dict) and cell.get("cell_type") == "markdown"
                and nbg.get("grade") and nbg.get("solution")
                and isinstance(nbg.get("grade_id"), str))


def questions(notebook: str, cells: list) -> list[Question]:
    """The answer cells of one notebook in order, each with the markdown cell before it
    as its question (none when that cell is code or another graded cell)."""
    found = []
    for index, cell in enumerate(cells):
        if not is_answer(cell):
            continue
        before = cells[index - 1] if index > 0 else None
        asks = isinstance(before, dict) and before.get("cell_type") == "markdown" \
            and not _nbgrader(before).get("grade")
        points = _nbgrader(cell).get("points", 0)
        found.append(Question(notebook, _nbgrader(cell)["grade_id"],
                              points if isinstance(points, int | float) else 0,
                              (_source(before) or "") if asks else "", _source(cell) or ""))
    return found


def _attachments(cell: dict) -> dict[str, dict[str, str]]:
    """The images attached to a cell, as nbconvert's renderer takes them (malformed
    entries dropped)."""
    raw = cell.get("attachments")
    if not isinstance(raw, dict):
        return {}
    return {name: {mime: data for mime, data in item.items()
                   if isinstance(mime, str) and mime.startswith("image/")
                   and isinstance(data, str)}
            for name, item in raw.items() if isinstance(name, str) and isinstance(item, dict)}


def release_cells(spec: Assignment, notebook: str) -> list | None:
    """The released notebook's cells (the questions as the course asked them), or None
    where the release is not beside the kit."""
    path = ROOT / "release" / spec.source / notebook
    if not path.is_file():
        return None
    cells = notebook_cells(path.read_bytes())
    return cells if isinstance(cells, list) else None


def collect(spec: Assignment, files: dict[str, bytes], problems: list[str]
            ) -> list[tuple[str, list[Item]]]:
    """(notebook, its items) for each of the assignment's notebooks in `files`, in question
    order. What the student should know (a notebook unreadable, a cell missing or not
    answered) is appended to `problems`."""
    out = []
    for notebook in spec.notebooks:
        if notebook not in files:
            problems.append(f"{notebook} is not in the submission: its answers are not printed")
            continue
        cells = notebook_cells(files[notebook])
        if isinstance(cells, str):
            problems.append(f"{notebook} {cells}")
            continue
        released = release_cells(spec, notebook)
        asked = questions(notebook, released if released is not None else cells)
        if len(asked) > MAX_ANSWERS:
            problems.append(f"{notebook}: {len(asked)} answer cells, only the first "
                            f"{MAX_ANSWERS} are printed")
            asked = asked[:MAX_ANSWERS]
        wanted = {q.grade_id for q in asked}
        answers: dict[str, dict] = {}
        for cell in cells:
            grade_id = _nbgrader(cell).get("grade_id")
            if isinstance(grade_id, str) and grade_id in wanted:
                answers.setdefault(grade_id, cell)
        items = []
        for q in asked:
            cell = answers.get(q.grade_id)
            text = _source(cell) if cell is not None else None
            if text is None:
                problems.append(f"{notebook}, cell `{q.grade_id}`: missing (the cell was "
                                "deleted or its metadata lost): the PDF says so")
            elif released is not None and text.strip() == q.template.strip():
                problems.append(f"{notebook}, cell `{q.grade_id}`: not answered yet")
            question, asked_note = quote(q.question)
            answer, note = (None, "") if text is None else quote(text, _attachments(cell))
            notes = "; ".join(n for n in (asked_note and f"question {asked_note}", note) if n)
            if notes:
                problems.append(f"{notebook}, cell `{q.grade_id}`: {notes}")
            items.append(Item(q.grade_id, f"{q.points:g}", question, answer, notes))
        if answers:
            out.append((notebook, items))
    return out


def page(student: str, spec: Assignment, notebooks: list[tuple[str, list[Item]]]) -> str:
    """The HTML page that is printed."""
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined)
    return env.get_template("answers.html").render(student=student, title=spec.title,
                                                   notebooks=notebooks)


def read_notebook(path: Path, spec: Assignment) -> dict[str, bytes]:
    """One notebook file, named as the assignment's notebook whose answer cells it holds
    (its own name, else the one sharing its answers' grade ids). No link is followed."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise AnswersError(f"{path} cannot be opened ({exc.strerror})") from None
    with os.fdopen(fd, "rb") as fh:
        data = fh.read(limits.MAX_NOTEBOOK_BYTES + 1)
    if len(data) > limits.MAX_NOTEBOOK_BYTES:
        raise AnswersError(f"{path} is larger than {limits.MAX_NOTEBOOK_BYTES} bytes: clear "
                           "the outputs (Cell > All Output > Clear) and save it again")
    if path.name in spec.notebooks:
        return {path.name: data}
    cells = notebook_cells(data)
    ids = {_nbgrader(c)["grade_id"] for c in cells if is_answer(c)} \
        if isinstance(cells, list) else set()
    for notebook in spec.notebooks:
        asked = questions(notebook, release_cells(spec, notebook) or [])
        if ids & {q.grade_id for q in asked}:
            return {notebook: data}
    raise AnswersError(f"{path} is none of the notebooks of {spec.name} "
                       f"({', '.join(spec.notebooks)}) and holds none of their answer cells")


def read_submission(path: Path, spec: Assignment) -> tuple[dict[str, bytes], list[str]]:
    """The assignment's notebooks in a folder or .zip (intake's reader), and what made the
    submission unreadable."""
    problems: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="autograder-answers-") as extract_to:
        files, _ = read_container(path, Path(extract_to), problems, spec)
    return {n: d for n, d in files.items() if n in spec.notebooks}, [str(p) for p in problems]


def detect(path: Path) -> list[str]:
    """The assignments a submission or a notebook belongs to, by its file names."""
    if path.suffix.lower() == ".ipynb":
        return [name for name in assignments.names()
                if path.name in assignments.load(name).notebooks]
    return assignments.detect(path)


def make_pdf(path: Path, out: Path, spec: Assignment, student: str | None = None
             ) -> tuple[int, list[str]]:
    """Write the answers of the submission or notebook `path` to the PDF `out`; returns
    the number of answers printed and what the student should know. Raises AnswersError
    when there is nothing to print."""
    notebook = path.suffix.lower() == ".ipynb"
    files, problems = (read_notebook(path, spec), []) if notebook \
        else read_submission(path, spec)
    found = collect(spec, files, problems)
    if not found:
        why = "; ".join(problems) or (f"none of {', '.join(spec.notebooks)} is there"
                                      if not files else "no answer cell is there")
        raise AnswersError(f"{path} holds no written answers of {spec.name} ({why}): the "
                           "answers are the markdown cells below each inline question")
    student = student or submission_name(path.parent if notebook else path)
    print_pdf(page(student, spec, found), out)
    return sum(len(items) for _, items in found), problems


def main(args: argparse.Namespace) -> int:
    """The `pdf` subcommand: 0 written, 1 nothing to print or no browser, 2 bad usage."""
    path: Path = args.path
    if not os.path.lexists(path):
        print(f"error: {path} does not exist: give a submission folder, .zip or notebook",
              file=sys.stderr)
        return 2
    name = args.assignment
    if name is None:
        found = detect(path)
        if len(found) != 1:
            print(f"error: {terminal(str(path))} holds files of "
                  f"{' and '.join(found) or 'no assignment'}: say which with --assignment "
                  f"(one of {', '.join(assignments.names())})", file=sys.stderr)
            return 2
        name = found[0]
    try:
        spec = assignments.load(name)
        count, notes = make_pdf(path, args.out, spec, args.student)
    except (AnswersError, PrintError, assignments.AssignmentError) as exc:
        print(f"error: {terminal(str(exc))}", file=sys.stderr)
        return 1
    for note in notes:
        print(f"note: {terminal(note)}", file=sys.stderr)
    print(f"wrote {args.out}: {count} written answers of {spec.name}")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add `pdf` to the command line."""
    p = subparsers.add_parser("pdf", help="the inline questions and a student's answers as "
                              "one PDF (headless Chromium, no LaTeX)")
    p.add_argument("path", type=Path, help="a submission (folder or .zip) or one notebook")
    p.add_argument("--out", type=Path, default=Path("answers.pdf"), help="the PDF to write")
    p.add_argument("--assignment", default=None,
                   help=f"the assignment (one of: {', '.join(assignments.names())}; default: "
                   "the one whose files PATH holds)")
    p.add_argument("--student", default=None, help="the id printed on every answer "
                   "(default: the submission's name; for a notebook, its folder's)")
    p.set_defaults(func=main)
