"""The sandbox's processes on the host: their CPU clocks, their uids, and orphans to reap.

Every session's child runs as its own uid (as root): UID_BASE + (grader pid mod 2**22)
* 256 + a serial, so the grader can find, and kill, everything a session left behind,
and a later grader can tell whose children lost their grader (`reap_orphans`).
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import time
from pathlib import Path

UID_BASE = 1_000_000_000
UID_SPAN = 2**22 * 256


def cpu_seconds(pid: int) -> float | None:
    """CPU time (all threads) of process `pid`, from the kernel; None if it is gone."""
    try:
        # CPUCLOCK_SCHED process clock of another process: ((~pid) << 3) | 2, in ns.
        return time.clock_gettime_ns(((~pid) << 3) | 2) / 1e9
    except OSError:
        pass
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _process_uids() -> dict[int, int]:
    """pid -> real uid of every process on the machine."""
    uids = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^Uid:\s+(\d+)", status, re.MULTILINE)
        if match:
            uids[int(entry)] = int(match.group(1))
    return uids


def _processes_of(uid: int) -> list[int]:
    """Every process running as `uid`."""
    return [pid for pid, owner in _process_uids().items() if owner == uid]


def _grader_of(uid: int) -> int:
    """The pid (mod 2**22) of the grader process whose sessions run as `uid`."""
    return (uid - UID_BASE) // 256


def reap_orphans() -> list[int]:
    """Kill sandbox processes whose grader is gone (a grader killed with SIGKILL before
    its children could follow); returns their pids. Run once per grader process."""
    killed = []
    for pid, uid in _process_uids().items():
        if not UID_BASE <= uid < UID_BASE + UID_SPAN:
            continue
        grader = _grader_of(uid)
        alive = grader == os.getpid() % 2**22
        if not alive:
            try:
                os.kill(grader, 0)
                alive = Path(f"/proc/{grader}").stat().st_uid == 0
            except OSError:
                alive = False
        if not alive:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
    return killed


def kill_uid(uid: int) -> None:
    """SIGKILL every process running as `uid` (a dedicated sandbox uid), until none is left."""
    for _ in range(50):
        pids = _processes_of(uid)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)


def signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"
