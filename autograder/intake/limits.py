"""How much of a submission intake reads, and for how long. Past a limit the submission
gets a message naming it; the grader keeps its memory and the batch its time.

The readers look these up as `limits.NAME` when they run, never copy them at import, so
that a test may lower one for the parser it runs in its own process."""

from __future__ import annotations

from autograder.assignment import Assignment

MAX_NOTEBOOK_BYTES = 32 * 2**20
MAX_NPZ_BYTES = 16 * 2**20
MAX_ZIP_BYTES = 256 * 2**20            # the .zip file itself
MAX_ZIP_UNCOMPRESSED = 512 * 2**20     # all members together, as declared
MAX_ZIP_MEMBERS = 2000
MAX_SEARCH_DEPTH = 2                   # folders below PATH searched for the notebooks
MAX_CELL_CHARS = 2**20                 # one definition cell (a solution is a few KB)
PARSE_MEMORY_BYTES = 2 * 2**30         # address space of the process that parses
PARSE_SECONDS = 60                     # its CPU time and (x2) wall-clock time


def size_limit(name: str, spec: Assignment) -> int:
    """The most bytes read of the submission's file `name` (a notebook, a model file or
    one of the starter's modules)."""
    if name in spec.notebooks:
        return MAX_NOTEBOOK_BYTES
    return MAX_NPZ_BYTES if name in spec.model_files else MAX_CELL_CHARS
