"""The seam between "what is correct" (checks) and "where code runs" (sandbox, in-kernel).

The checks talk to student code only through `Session.call(op, **kwargs) -> Outcome`.
The sandbox implements it in a child process; `autograder.inkernel` implements it
in-process for nbgrader's same-kernel mode (operations: an assignment's [operations]).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass
class Outcome:
    """Plain data back from one call into student code."""

    ok: bool
    # tuple/list/dict of numpy arrays, floats, ints, str (already size-capped)
    value: object = None
    # "NotImplementedError: ...", "timeout after 20 s", "memory limit",
    # "crashed (signal 9)", "returned a <type>", ...
    error: str | None = None
    # child CPU time for the call, read by the PARENT from the kernel's nanosecond clock
    # (in-kernel: time.thread_time); None when it could not be measured.
    cpu_seconds: float | None = None


class Session(Protocol):
    """One per submission: runs trusted harness operations against the student's names."""

    def call(self, op: str, *, timeout_s: float | None = None,
             **arrays_and_numbers: object) -> Outcome: ...
