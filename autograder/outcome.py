"""The seam between "what is correct" (checks) and "where code runs" (sandbox, in-kernel).

The checks talk to student code only through `Session.call(op, **kwargs) -> Outcome`.
The sandbox implements it in a child process; `autograder.inkernel` implements it
in-process for nbgrader's same-kernel mode (operations: an assignment's [operations]).
`Outcome` is the reply type of the sandbox's wire format (`autograder.sandbox.wire`),
named here for the checks.
"""

from __future__ import annotations

from typing import Protocol

from autograder.sandbox.wire import Outcome

__all__ = ["Outcome", "Session"]


class Session(Protocol):
    """One per submission: runs trusted harness operations against the student's names."""

    def call(self, op: str, *, timeout_s: float | None = None,
             **arrays_and_numbers: object) -> Outcome: ...
