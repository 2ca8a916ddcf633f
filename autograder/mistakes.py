"""What went wrong across the class: the class report's two tables of common mistakes.

- `common_mistakes`: for each function (check target), each bug the checks named (a
  failing check's `diagnosis`, which holds none of a student's numbers), with the
  students who made it, most frequent first;
- `wrong_behaviours`: the wrong answers no diagnosis names, grouped by behaviour:
  students whose `fingerprint` of a function agree answered the class-common probe
  inputs alike (autograder/probes.py), largest group first.

Read from the stored results; a result stored before these fields existed has neither and
appears in neither table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from autograder.store import Record


@dataclass(frozen=True)
class Mistake:
    """One named bug of one function, and the students whose checks named it."""

    target: str
    diagnosis: str
    students: tuple[str, ...]


@dataclass(frozen=True)
class Behaviour:
    """Students whose wrong answers of one function agree on every probe input."""

    target: str
    fingerprint: str
    students: tuple[str, ...]

    @property
    def member(self) -> str:
        """The student the table shows for the group (the first by id)."""
        return self.students[0]


def _collect(records: Sequence[Record], key: str) -> dict[tuple[str, str], list[str]]:
    """(target, the tests' `key`) -> the graded submissions with a failing check holding it."""
    found: dict[tuple[str, str], list[str]] = {}
    for record in records:
        if not record.graded:
            continue
        for test in record.result.tests:
            value = test.get(key)
            if not isinstance(value, str) or not value:
                continue
            target = str(test.get("target") or test["name"].split(":")[0])
            students = found.setdefault((target, value), [])
            if record.submission not in students:
                students.append(record.submission)
    return found


def _by_size(found: dict[tuple[str, str], list[str]]) -> list[tuple[str, str, tuple[str, ...]]]:
    return sorted(((target, value, tuple(sorted(students)))
                   for (target, value), students in found.items()),
                  key=lambda row: (-len(row[2]), row[0], row[1]))


def common_mistakes(records: Sequence[Record]) -> list[Mistake]:
    """Each (function, diagnosis) with the students it was found in, most students first."""
    return [Mistake(*row) for row in _by_size(_collect(records, "diagnosis"))]


def wrong_behaviours(records: Sequence[Record]) -> list[Behaviour]:
    """Each (function, fingerprint) with the students who share it, largest group first."""
    return [Behaviour(*row) for row in _by_size(_collect(records, "fingerprint"))]
