"""The release notebooks' visible test cells, run against the student's definitions.

For each notebook a fresh Jupyter kernel (nbclient) runs the notebook's plan
(`student_kit.PlanCell`): the release's setup cells (imports, CIFAR-10), the course's
locked cells, the student's definition cells as the grader reads them (intake's text) and
the release's visible test cells, in the notebook's order. The student's experiments and
searches are not run, nor the course's cells and tests that need what they define (a test
of those is reported as not run), and every cell is time-limited.

The check never changes the student's files: the kernel works in a scratch folder holding
copies of the files the grader reads (the notebooks, the saved models), and imports the
folder's own modules (cs231n_data and the data set it holds) from where they are, writing
no bytecode beside them. This runs on the student's own machine, for the student: it is no
trust boundary and scores nothing; the hidden checks are the grader's.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.student_kit import DEFINITION, SETUP, TEST, PlanCell

MAX_OUTPUT_CHARS = 2000


@dataclass(frozen=True)
class CellResult:
    """What one cell of the run did: `passed` is False when it raised or timed out, or
    when it was not run (`ran` False: it needs what the student's experiments define)."""

    notebook: str
    kind: str
    grade_id: str | None
    passed: bool
    output: str
    ran: bool = True


def run_notebook(folder: Path, notebook: str, plan: tuple[PlanCell, ...],
                 definitions: Mapping[str, str], cell_timeout: float,
                 files: Sequence[str]) -> list[CellResult]:
    """Run `plan` in a fresh kernel working in a scratch copy of `files` (names in
    `folder`), with `folder` on its import path; a definition cell the submission lacks
    (intake said why) and a course cell that needs the student's experiments are left out.
    Returns every test cell's result and those of the setup and definition cells that
    failed."""
    kept = [c for c in plan if not c.needs and (c.kind != DEFINITION
                                                 or c.grade_id in definitions)]
    with tempfile.TemporaryDirectory(prefix="check-") as scratch:
        for name in files:
            (Path(scratch) / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / name, Path(scratch) / name)
        ran = _execute(kept, definitions, cell_timeout, Path(scratch), folder.resolve())
    if isinstance(ran, str):
        return [CellResult(notebook, c.kind, c.grade_id, False, ran)
                for c in kept if c.kind == TEST]
    executed = {id(cell): done for cell, done in zip(kept, ran, strict=True)}
    results = []
    for cell in plan:
        if cell.needs and cell.kind == TEST:
            results.append(CellResult(notebook, TEST, cell.grade_id, False,
                                      _not_run(cell.needs), ran=False))
        if id(cell) not in executed:
            continue
        done = executed[id(cell)]
        failed = _error(done.get("outputs", []))
        # A course cell that fails (a plot of a model the check does not train) is no
        # result; a test that needed it fails on its own.
        if cell.kind == TEST or (failed and cell.kind in (SETUP, DEFINITION)):
            text = _output_text(done.get("outputs", []), cell_timeout)
            if cell.kind == SETUP:
                text = f"{cell.source.strip().splitlines()[0][:70]}\n{text}"
            results.append(CellResult(notebook, cell.kind, cell.grade_id, not failed, text))
    return results


def _execute(cells: list[PlanCell], definitions: Mapping[str, str], cell_timeout: float,
             scratch: Path, folder: Path) -> list | str:
    """The executed cells (nbformat's, with their outputs), or why the kernel stopped."""
    import nbformat
    from nbclient import NotebookClient

    sources = [definitions[c.grade_id] if c.kind == DEFINITION else c.source for c in cells]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    client = NotebookClient(nb, timeout=cell_timeout, kernel_name="python3",
                            allow_errors=True, interrupt_on_timeout=True,
                            resources={"metadata": {"path": str(scratch)}})
    path = os.pathsep.join(p for p in (str(folder), os.environ.get("PYTHONPATH")) if p)
    try:
        # The kernel's own log (its transport warning) is not the student's business.
        client.execute(stderr=subprocess.DEVNULL,
                       env={**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"})
    except Exception as exc:  # noqa: BLE001 - a kernel that dies is the run's result
        return f"the kernel stopped: {type(exc).__name__}: {str(exc)[:300]}"
    return nb.cells


def _not_run(needs: tuple[str, ...]) -> str:
    return (f"not run here: it needs {', '.join(f'`{n}`' for n in needs)}, which your "
            "experiments and searches define (the check does not run them): run the "
            "notebook top to bottom to see it pass")


def _error(outputs: list) -> bool:
    return any(o.get("output_type") == "error" for o in outputs)


def _output_text(outputs: list, cell_timeout: float) -> str:
    """The cell's printed text and its error (name and message, not the traceback)."""
    parts = []
    for out in outputs:
        kind = out.get("output_type")
        if kind == "stream":
            parts.append(out.get("text", ""))
        elif kind == "error" and out.get("ename") == "KeyboardInterrupt":
            # nbclient interrupts the kernel when a cell runs past its time limit.
            parts.append(f"stopped after {cell_timeout:g} s, the time limit of a cell: "
                         "an endless loop, or far slower than it should be?\n")
        elif kind == "error":
            parts.append(f"{out.get('ename')}: {out.get('evalue')}\n")
        elif kind in ("execute_result", "display_data"):
            parts.append(str(out.get("data", {}).get("text/plain", "")) + "\n")
    text = "".join(parts).strip()
    if len(text) > MAX_OUTPUT_CHARS:
        text = text[:MAX_OUTPUT_CHARS] + " ..."
    return text
