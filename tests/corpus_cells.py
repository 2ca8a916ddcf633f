"""The NumPy corpus's cells, for the tests: re-exported from the assignment's samples module
(autograder/assignments/linear/samples.py), where the demo finds them too.

The corpus format (an entry's expected.toml [build] edits, its cells.py blocks) is
described in autograder/assignments/samples.py.
"""

from autograder.assignments.linear.samples import (
    CORPUS,
    DEFINITION_CELLS,
    SOURCE,
    attack_cells,
    entry_cells,
    entry_spec,
    reference_cells,
    solved_cells,
)
from autograder.assignments.samples import notebook_cells, read_cells
from autograder.release import ROOT

__all__ = ["CORPUS", "DEFINITION_CELLS", "ROOT", "SOURCE", "attack_cells", "entry_cells",
           "entry_spec", "notebook_cells", "read_cells", "reference_cells", "solved_cells"]
