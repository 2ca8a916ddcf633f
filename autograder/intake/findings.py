"""The assignment's [rules] on the definitions' source (`autograder.rules`), and what a
blocking rule's finding costs: that definition and every target that runs it."""

from __future__ import annotations

from autograder import rules
from autograder.assignment import Assignment
from autograder.intake.submission import Problem


def apply_rules(cells: dict[str, str], problems: list[Problem], spec: Assignment,
                origins: dict[str, str] | None = None) -> dict[str, dict[str, list[str]]]:
    """The assignment's [rules] on the definitions' source; a blocking rule's finding is a
    problem of that definition and of every target that runs it (its `needs`): their
    checks score 0, saying why. A blocked cell of a notebook is not sent to the child at
    all; the parent's blocking holds even where other code puts the function back."""
    findings = rules.scan(cells, spec.rules, origins)
    for name, found in findings.items():
        rule = spec.rules[name]
        if not rule.get("block"):
            continue
        for grade_id, where in found.items():
            shown = ", ".join(where[:3]) + (f" and {len(where) - 3} more" if len(where) > 3
                                            else "")
            origin = (origins or {}).get(grade_id)
            users = tuple(t for t, needed in spec.needs.items() if grade_id in needed)
            problems.append(Problem(origin or spec.notebook_of[grade_id],
                                    None if origin else grade_id,
                                    f"{grade_id} {rule.get('what', 'breaks ' + name)}: "
                                    f"{shown}; {rule.get('fix', '')}".rstrip("; "),
                                    (grade_id, *users)))
            if origin is None:
                cells.pop(grade_id, None)
    return findings
