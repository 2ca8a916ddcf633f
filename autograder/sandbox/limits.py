"""What the door promises: the child's resource limits, and what confinement took effect.

`Limits` are the grader's settings for one session's child; `Isolation` is what the
child reported before any student code ran, and `Isolation.gaps()` words, for the
results, what did not hold on this machine. With `Limits.require_isolation` a session
whose child is only partly confined stops before the first definition cell is sent
(`IsolationRequired`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    """Resource limits of one session's child (bytes and seconds)."""

    call_timeout_s: float = 60.0        # wall clock per call, unless op_timeouts says more
    # operation -> its wall clock per call (an assignment's rubric states them)
    op_timeouts: Mapping[str, float] = field(default_factory=dict)
    start_timeout_s: float = 30.0       # child start-up, and each definition cell
    cpu_s: int = 1800                   # RLIMIT_CPU of each child
    session_cpu_s: float = 3600.0       # CPU over all children of the session
    # Address space, not memory: numpy and OpenBLAS (or torch) reserve some of it.
    address_space: int = 4 * 2**30
    file_size: int = 16 * 2**20
    scratch_bytes: int = 64 * 2**20     # the working folder (tmpfs) as a whole
    open_files: int = 64
    processes: int = 1                  # RLIMIT_NPROC: no fork, no threads
    reply_bytes: int = 64 * 2**20       # everything the parent reads from one reply
    shared_input_bytes: int = 64 * 2**20  # the shared inputs of one call (shared memory)
    output_bytes: int = 64 * 2**10      # tail of the child's stdout+stderr kept for logs
    # Refuse to run student code unless the child is fully confined (`Isolation.gaps`).
    require_isolation: bool = False

    def timeout_for(self, op: str) -> float:
        return float(self.op_timeouts.get(op, self.call_timeout_s))


@dataclass(frozen=True)
class Isolation:
    """What confinement took effect in the child (reported before any student code ran).

    `root` lists what the child's file system holds (everything else is not there),
    `hidden` what of the kit lay below it and was masked."""

    uid: int
    dedicated_uid: bool
    netns: bool
    mountns: bool
    pidns: bool
    ipcns: bool
    seccomp: bool
    root: tuple[str, ...]
    notes: tuple[str, ...]
    hidden: tuple[str, ...] = ()

    def gaps(self) -> list[str]:
        """What the sandbox could not enforce on this machine, in the feedback's words."""
        missing = [
            (self.dedicated_uid, "student code ran as the grader's own user (the grader "
                                 "does not run as root)"),
            (self.mountns, "no private file system: student code could read every file "
                           "the grader's user can, the kit's hidden checks included"),
            (self.netns, "no network namespace: student code could reach the network"),
            (self.pidns, "no PID namespace: student code could see other processes"),
            (self.ipcns, "no IPC namespace"),
            (self.seccomp, "no seccomp filter"),
        ]
        return [text for held, text in missing if not held]


class IsolationRequired(RuntimeError):
    """`Limits.require_isolation` is set and the child was only partly confined: no
    student code ran."""


FULL_SANDBOX_HINT = ("Run the grader as root (a container is enough) on a kernel that "
                     "allows namespaces for the full sandbox (SECURITY.md).")


def confinement_note(isolation: Isolation | None) -> str:
    """A sentence for the results saying what did not hold in the child and what to do
    about it; empty when it was fully confined (or never started)."""
    gaps = isolation.gaps() if isolation is not None else []
    if not gaps:
        return ""
    return ("Sandbox only partly in effect on this grading machine: " + "; ".join(gaps)
            + ". " + FULL_SANDBOX_HINT)


def refusal(isolation: Isolation) -> str:
    """Why a session with `require_isolation` refuses to grade on this machine."""
    return ("--require-isolation: the sandbox cannot fully confine student code on this "
            "machine, so nothing was graded: " + "; ".join(isolation.gaps()) + ". "
            + FULL_SANDBOX_HINT + " Leave out --require-isolation to grade anyway, with "
            "every result saying what did not hold.")
