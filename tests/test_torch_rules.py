"""The PyTorch edition's rules against its own reference solution."""

from __future__ import annotations

from torch_submissions import SPEC, reference_cells

from autograder import rules


def test_the_reference_solution_breaks_no_rule():
    # A rule that flags the instructor's own solution would cost every honest student.
    assert rules.scan(reference_cells(), SPEC.rules) == {}
