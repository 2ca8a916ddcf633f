"""THE one door: the only module that runs anything from a submission.

A `SandboxSession` grades one submission. It starts one child process
(`autograder/sandbox_child.py`, trusted harness code) that confines itself before any
student code runs, executes the submission's definition cells, and then serves the
assignment's operations ([operations] in its assignment.toml, run by its child.py; for the
NumPy assignment `loss`, `train`, `predict`, `saved_weights`). The parent sends
inputs (arrays the checks make up, never CIFAR-10: the grader trains on it itself) and
reads plain data back; every comparison and every score is computed in the parent, by
the checks, on that data.

What confines the child (as root, which is how the grader and CI run):

- its own uid/gid per session (no supplementary groups, no_new_privs): it cannot signal or
  ptrace the grader or other sessions;
- its own network namespace with no interface up (nothing is reachable, not even
  127.0.0.1), IPC namespace (no SysV shared memory of anyone else, none left behind) and
  PID namespace, whose init runs the student code: it sees no other process, and when
  it dies (killed by the grader, or its trusted keeper outside the namespace when the
  grader goes) the kernel kills everything it started;
- an allow-list file system: a new root (pivot_root) holding the system libraries, the
  interpreter with its standard library and, in emptied install folders, only the
  distributions student code needs (`sandbox_root`: numpy, the assignment's
  `child_distributions` and their dependencies, never the kit's packages, in any install
  mode), five devices (no /proc), and under /sandbox its
  working folder (a fresh tmpfs of `Limits.scratch_bytes`) and the submission's .npz files
  (read-only). The kit, other submissions, the grade store and CIFAR-10 (no split of it,
  prepared or raw) are not hidden: they are not there;
- resource limits: CPU seconds, address space, file size, open files, no core dumps, and
  RLIMIT_NPROC=1, so it can start neither processes nor threads (nothing can hide work or
  outlive a call);
- a seccomp filter: EPERM for system calls a loss function never needs (ptrace, mount,
  unshare, setns, bpf, perf_event_open, io_uring, keyrings, userfaultfd, modules, ...)
  and for prctl(PR_SET_PDEATHSIG), so it cannot detach from the grader's life;
- a wall-clock timeout per call, after which the whole namespace is killed and the next
  call starts a fresh child (definitions re-sent), so a hang costs one check.

Where a namespace cannot be created (root in a container without CAP_SYS_ADMIN, a kernel
that forbids them) the child goes on without it and says so in `SandboxSession.isolation`
(`notes`), and `SandboxSession.confinement` words what did not hold for the results
(`confinement_note`). Without root, the child tries the same inside an unprivileged user namespace
(then drops every capability); it keeps the grader's uid. Run the grader as root (a
container is enough) for the full boundary. Audit hooks are not used: student code shares
the child's interpreter and could remove them. `reap_orphans` kills, once per grader
process, sandbox processes whose grader is gone.

Secrets the parent keeps (grade store, test labels, anything not for students) must not be
world-readable: create them with `private_dir` / `write_private` (0700 / 0600).

Wire protocol: see `sandbox_child` (length-prefixed JSON + raw arrays, no pickle). The
parent validates every reply (sizes, dtypes, schema per operation); anything malformed is
an error Outcome and a fresh child.

CPU time (`Outcome.cpu_seconds`): read by the parent from the kernel's CPU clock of the
process that runs student code (`clock_gettime` on its CPUCLOCK_SCHED clock: nanoseconds;
the 10 ms ticks of /proc/<pid>/stat only as a fallback) just before the request is sent and
after the whole reply arrived, for every call. The inputs of every `loss` call are written
into shared memory after the first reading, and compared there after the reply: what the
child says about its inputs is never asked.
"""

from __future__ import annotations

import contextlib
import fcntl
import itertools
import json
import math
import mmap
import os
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from autograder import sandbox_child as wire
from autograder.assignment import Assignment
from autograder.assignment import load as load_assignment
from autograder.outcome import Outcome
from autograder.sandbox_root import child_python

if TYPE_CHECKING:
    from autograder.intake import Submission

CHILD_SCRIPT = Path(wire.__file__).resolve()
UID_BASE = 1_000_000_000
UID_SPAN = 2**22 * 256
MAX_HEADER_BYTES = 1 << 20
MAX_ERROR_CHARS = 4000
F_SETPIPE_SZ = 1031

_ids = itertools.count()
_ids_lock = threading.Lock()


@dataclass(frozen=True)
class Limits:
    """Resource limits of one session's child (bytes and seconds)."""

    call_timeout_s: float = 60.0        # wall clock per call, unless op_timeouts says more
    op_timeouts: Mapping[str, float] = field(
        default_factory=lambda: {"train": 300.0})
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
    loss_input_bytes: int = 64 * 2**20  # W + X + y of one loss call (shared memory)
    output_bytes: int = 64 * 2**10      # tail of the child's stdout+stderr kept for logs

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


def confinement_note(isolation: Isolation | None) -> str:
    """A sentence for the results saying what did not hold in the child and what to do
    about it; empty when it was fully confined (or never started)."""
    gaps = isolation.gaps() if isolation is not None else []
    if not gaps:
        return ""
    return ("Sandbox only partly in effect on this grading machine: " + "; ".join(gaps)
            + ". Run the grader as root (a container is enough) on a kernel that allows "
              "namespaces for the full sandbox (SECURITY.md).")


class _ChildFailure(Exception):
    """The child died, hung or sent garbage: it is killed and replaced before the next call."""


# --------------------------------------------------------------------------- helpers


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create (or tighten) a folder only its owner can enter (0700): for grader secrets."""
    folder = Path(path)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    return folder


def write_private(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write a file only its owner can read (0600), whatever the umask; no symlink follow."""
    target = Path(path)
    # Encoded before the file is opened (a failure cannot leave it empty); text from a
    # submission that is not valid UTF-8 is replaced, never a crash.
    raw = data.encode("utf-8", "replace") if isinstance(data, str) else data
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb", closefd=False) as f:
            f.write(raw)
    finally:
        os.close(fd)
    return target


def _reachable_by_others(folder: str | os.PathLike[str]) -> bool:
    """Whether a user with no special rights can enter `folder` (x for others all the way)."""
    path = Path(folder).resolve()
    return all(os.stat(p).st_mode & 0o001 for p in (path, *path.parents))


def _cpu_seconds(pid: int) -> float | None:
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


def _kill_uid(uid: int) -> None:
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


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _to_wire(value: object, name: str) -> object:
    """Arguments from the checks as wire values (arrays converted to a wire dtype)."""
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
        if value.dtype.str in wire.WIRE_DTYPES:
            return value
        if kind == "f":
            return value.astype(np.float64)
        if kind in "iu":
            return value.astype(np.int64)
        raise TypeError(f"argument {name} has dtype {value.dtype}, which cannot be sent")
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"argument {name} is a {type(value).__name__}, which cannot be sent")


# Numbers from the child beyond these are refused, not converted (no OverflowError here).
MAX_REPLY_INT = 2**53


def _check_value(op: str, value: object, schema: Mapping[str, str]) -> dict:
    """The reply value if it matches the operation's schema (reply field -> "array" |
    "float" | "int", from the assignment's [operations]); _ChildFailure otherwise."""
    if not isinstance(value, dict) or set(value) != set(schema):
        raise _ChildFailure(f"a reply to {op} with the wrong fields")
    out: dict = {}
    for key, kind in schema.items():
        item = value[key]
        small = type(item) is int and abs(item) <= MAX_REPLY_INT
        if kind == "array" and isinstance(item, np.ndarray):
            out[key] = item
        elif kind == "float" and (type(item) is float or small):
            out[key] = float(item)
        elif kind == "int" and small:
            out[key] = item
        else:
            raise _ChildFailure(f"a reply to {op} whose {key} is not a {kind}")
    return out


def clean_text(text: object, limit: int = MAX_ERROR_CHARS) -> str:
    """Text that came from a submission, safe to store, print and put in a page: at most
    `limit` characters, no lone surrogates or control characters but newline and tab."""
    if not isinstance(text, str):
        text = str(text)
    text = text[:limit]
    # Lone surrogates are not printable: they become U+FFFD like other control characters.
    return "".join(c if c in "\n\t" or c.isprintable() else "\ufffd" for c in text)


# --------------------------------------------------------------------------- the session


class SandboxSession:
    """One submission's sandboxed child process; implements `autograder.outcome.Session`.

    Use as a context manager::

        with SandboxSession(submission.cells, npz_files=submission.npz) as session:
            out = session.call("loss", fn="svm_loss_naive", W=W, X=X, y=y, reg=0.1)

    `cells` maps definition-cell grade_ids to their Python source (`Submission.cells`).
    `modules` maps the module files of CS231n's starter layout (relative paths) to their
    source, and `origins` each grade_id they provide to its file: the child imports
    those as modules instead of running cells.
    """

    _reaped = False

    def __init__(self, cells: Mapping[str, str], *,
                 npz_files: Mapping[str, str | os.PathLike[str]] | None = None,
                 limits: Limits | None = None,
                 modules: Mapping[str, str] | None = None,
                 origins: Mapping[str, str] | None = None,
                 spec: Assignment | None = None) -> None:
        self.spec = spec or load_assignment()
        unknown = set(cells) - set(self.spec.definitions)
        if unknown:
            raise ValueError(f"not definition cells: {', '.join(sorted(unknown))}")
        self.cells = dict(cells)
        self.modules = dict(modules or {})
        self.origins = {k: v for k, v in (origins or {}).items() if v in self.modules}
        self.limits = limits or Limits()
        self._npz_sources = {k: Path(v) for k, v in (npz_files or {}).items()}
        self.root = os.geteuid() == 0
        with _ids_lock:
            serial = next(_ids)
        # Unique among live graders: pids are unique, and one grader runs < 256 at once.
        self.uid = self.gid = UID_BASE + (os.getpid() % 2**22) * 256 + serial % 256
        self.isolation: Isolation | None = None
        # What did not hold in a child ("" = everything did): for the results.
        self.confinement = ""
        self.cell_errors: dict[str, str] = {}   # grade_id -> why it is unusable
        self.restarts = 0
        self._fatal: dict[str, str] = {}        # cells that killed the child when run
        self._cpu_used = 0.0
        self._last_cpu = 0.0
        self._proc: subprocess.Popen | None = None
        self._init_pid: int | None = None       # the child's init: where student code runs
        self._init_fd: int | None = None        # its pidfd (signals reach it, and only it)
        self._scratch: Path | None = None
        self._output = bytearray()
        self._output_lock = threading.Lock()
        self._drain: threading.Thread | None = None
        self._req = self._rep = -1
        self._next_id = 1
        self._closed = False
        self._broken: str | None = None
        self._limit_s = 0.0

    @classmethod
    def from_submission(cls, submission: Submission, **options: object) -> SandboxSession:
        """A session for an `intake.Submission` (its parsed cells and located .npz files)."""
        return cls(submission.cells, npz_files=submission.npz,  # type: ignore[arg-type]
                   modules=submission.modules, origins=submission.origins, **options)

    # ---- context manager
    def __enter__(self) -> SandboxSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def output_tail(self) -> str:
        """The last `Limits.output_bytes` the child printed (stdout and stderr), for logs."""
        with self._output_lock:
            return self._output.decode("utf-8", "replace")

    @property
    def pid(self) -> int | None:
        """The host pid of the process that runs student code (None between children)."""
        return self._init_pid if self._proc else None

    # ---- public API
    def start(self) -> None:
        """Start the child and run the definition cells (done by the first call otherwise).

        Raises RuntimeError only when the child cannot start at all, before any student
        code ran (a broken installation). A cell that kills the child is remembered and
        left out of the next child; its targets then fail with that message.
        """
        if self._closed:
            raise RuntimeError("this SandboxSession is closed")
        if self.root and not SandboxSession._reaped:
            SandboxSession._reaped = True
            reap_orphans()
        if self._scratch is None:
            self._make_scratch()
            self._make_shared()
        while self._proc is None and self._broken is None:
            try:
                self._spawn()
            except _ChildFailure as failure:
                self._stop()
                raise RuntimeError(f"the sandbox child failed to start: {failure}; its "
                                   f"output: {self.output_tail[-2000:]}") from None
            step = None
            try:
                for step in self.spec.definitions:
                    if step in self.cells and step not in self._fatal:
                        self._roundtrip("define", {"cell": step, "source": self.cells[step]},
                                        self.limits.start_timeout_s, label=f"the cell `{step}`")
                step = "seal"
                reply = self._roundtrip("seal", {}, self.limits.start_timeout_s,
                                        label="the classes the notebooks give ("
                                        + ", ".join(self.spec.trusted) + ")")
                self.cell_errors = {**self._cell_errors(reply), **self._fatal}
            except _ChildFailure as failure:
                self._stop()
                # Subclassing a student's class runs its class machinery (metaclass, ...):
                # that class's cell is to blame, when it is the only one.
                subclassed = {t["cell"] for t in self.spec.trusted.values()
                              if t["base"] and t["base"] not in self.spec.trusted}
                if step == "seal" and len(subclassed) == 1:
                    (cell,) = subclassed
                    if cell in self.cells and cell not in self._fatal:
                        step = cell
                if step in self.spec.definitions:
                    where = self.origins.get(step) \
                        or f"the cell `{step}` of {self.spec.notebook_of[step]}"
                    self._fatal[step] = f"{where} could not be run ({failure})"
                else:
                    self._broken = f"the submission's code stops the grader's process ({failure})"

    def call(self, op: str, *, timeout_s: float | None = None, **kwargs: object) -> Outcome:
        """Run one operation (INTERFACES.md) in the child and return what came back.

        Never raises for anything student code does: a crash, hang, memory blow-up or
        malformed reply is an Outcome with ok=False and an error naming what happened.
        A wrong `op` or missing argument is the caller's bug and raises TypeError.
        """
        args = self._arguments(op, kwargs)
        target = args.get("fn", args.get("cls"))
        for cell in self.spec.cells_needed(target):
            if cell in self._fatal:
                return Outcome(ok=False, error=f"{target} cannot be run: {self._fatal[cell]}")
        if self._cpu_used >= self.limits.session_cpu_s:
            return Outcome(ok=False, error=f"this submission used up its CPU time "
                                           f"({self.limits.session_cpu_s:g} s)")
        if self._proc is not None and self._pending():
            # Died or wrote something between calls: start afresh before this call.
            self._stop()
        self.start()
        if self._broken is not None:
            return Outcome(ok=False, error=self._broken)
        timeout = timeout_s if timeout_s is not None else self.limits.timeout_for(op)
        label = str(target or args.get("name") or op)
        pid = self._init_pid
        before = _cpu_seconds(pid)
        shared = self.spec.operations[op]["shared"]
        sent = None
        if shared:
            args, sent = self._shared_inputs(args, shared)
        try:
            reply = self._roundtrip(op, args, timeout, label=label)
        except _ChildFailure as failure:
            self._stop()
            return Outcome(ok=False, error=str(failure))
        after = _cpu_seconds(pid)
        cpu = None if before is None or after is None else max(0.0, after - before)
        if not reply["ok"]:
            return Outcome(ok=False, error=reply["error"] or f"{label} failed",
                           cpu_seconds=cpu)
        try:
            value = _check_value(op, reply["value"], self.spec.operations[op]["reply"])
        except _ChildFailure as failure:
            self._stop()
            return Outcome(ok=False, error=self._garbage(str(failure)), cpu_seconds=cpu)
        if sent is not None:
            value["mutated"] = self._mutated(sent)
        return Outcome(ok=True, value=value, cpu_seconds=cpu)

    def close(self) -> None:
        """Stop the child, kill anything left under its uid, delete the scratch folder."""
        if self._closed:
            return
        self._closed = True
        self._stop(graceful=True)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._shared.close()
            os.close(self._shared_fd)

    # ---- internals
    def _arguments(self, op: str, kwargs: dict) -> dict:
        """The request's arguments, checked against the assignment's [operations] (a
        mistake here is the grader's bug, not the student's)."""
        operations = self.spec.operations
        if op not in operations:
            raise TypeError(f"unknown operation {op!r}; expected one of {', '.join(operations)}")
        needed, optional = operations[op]["args"], operations[op]["optional"]
        missing = [k for k in needed if k not in kwargs]
        extra = set(kwargs) - set(needed) - set(optional)
        if missing or extra:
            raise TypeError(f"{op} needs {', '.join(needed)}; missing {missing}, "
                            f"unexpected {sorted(extra)}")
        args = {**dict.fromkeys(optional), **kwargs}
        return {k: _to_wire(v, k) for k, v in args.items()}

    def _cell_errors(self, reply: dict) -> dict[str, str]:
        value = reply.get("value")
        errors = value.get("cell_errors") if isinstance(value, dict) else None
        if not isinstance(errors, dict):
            raise _ChildFailure("a malformed reply to seal")
        return {k: clean_text(v) for k, v in errors.items()
                if k in self.spec.definitions and isinstance(v, str)}

    def _make_shared(self) -> None:
        """The memory the inputs of every `loss` call go through (see `_shared_inputs`).

        Sealed against shrinking: student code holds the descriptor too, and a truncated
        file would make the parent's next write into the mapping a fatal SIGBUS.
        """
        size = self.limits.loss_input_bytes
        fd = os.memfd_create("autograder-loss-inputs", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        os.ftruncate(fd, size)
        fcntl.fcntl(fd, fcntl.F_ADD_SEALS,
                    fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL)
        self._shared_fd = fd
        self._shared = mmap.mmap(fd, size)

    def _shared_inputs(self, args: dict, keys: list[str]) -> tuple[
            dict, dict[str, tuple[np.ndarray, np.ndarray]]]:
        """Copy the arrays `keys` (a loss call's W, X, y) into shared memory; the request
        then carries only where they are.

        Every loss call goes this way, whether the checks use it for a value or a timing:
        one code path, nothing for student code to tell apart. It runs after the parent
        read the child's CPU clock: the inputs did not exist in the child before, so
        nothing can be precomputed outside the timed window, and the copy is the
        parent's CPU, not the child's. Returns the request's arguments and, per input,
        (what was sent, the shared memory it lies in) for `_mutated`.
        """
        inputs, sent, offset = {}, {}, 0
        for key in keys:
            arr = np.ascontiguousarray(args.pop(key))
            offset += -offset % wire.ALIGN
            if offset + arr.nbytes > len(self._shared):
                raise TypeError(f"loss inputs exceed Limits.loss_input_bytes "
                                f"({len(self._shared)} bytes)")
            view = np.frombuffer(self._shared, dtype=arr.dtype, count=arr.size,
                                 offset=offset).reshape(arr.shape)
            view[...] = arr
            inputs[key] = [arr.dtype.str, list(arr.shape), offset]
            sent[key] = (arr, view)
            offset += arr.nbytes
        return {**args, "inputs": inputs}, sent

    @staticmethod
    def _mutated(sent: dict[str, tuple[np.ndarray, np.ndarray]]) -> list[str]:
        """The inputs whose bytes in the shared memory differ from what the parent wrote:
        read on the parent's side, whatever the child says."""
        return [key for key, (arr, view) in sent.items()
                if not np.array_equal(view.reshape(-1).view(np.uint8),
                                      arr.reshape(-1).view(np.uint8))]

    def _make_scratch(self) -> None:
        scratch = Path(tempfile.mkdtemp(prefix="autograder-sandbox-", dir=self._scratch_base()))
        (scratch / "work").mkdir()
        (scratch / "stage").mkdir(mode=0o700)
        submission = scratch / "submission"
        submission.mkdir()
        for name, source in self._npz_sources.items():
            if name not in self.spec.model_files:
                raise ValueError(f"not a weights file of the assignment: {name}")
            fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
            with os.fdopen(fd, "rb") as src, open(submission / name, "wb") as dst:
                shutil.copyfileobj(src, dst)
        # The harness and the assignment's operations run from the scratch folder, not
        # from the kit's checkout.
        shutil.copyfile(CHILD_SCRIPT, scratch / "harness.py")
        shutil.copyfile(self.spec.child_operations, scratch / "ops.py")
        # What the child's root shows in place of a file of the kit (sandbox_child._hide).
        (scratch / "empty").touch()
        for name in ("harness.py", "ops.py", "empty"):
            os.chmod(scratch / name, 0o644)
        if self.root:
            # Only this session's gid may enter: other sessions' children cannot read it.
            for path in (scratch, submission, *submission.iterdir()):
                os.chown(path, 0, self.gid)
                os.chmod(path, 0o750 if path.is_dir() else 0o640)
            os.chown(scratch / "work", self.uid, self.gid)
            os.chmod(scratch / "work", 0o700)
        self._scratch = scratch

    def _scratch_base(self) -> str:
        """A temp folder the child's uid can reach: $TMPDIR, else /tmp.

        As root the child runs as its own uid, which must be able to enter every folder on
        the way to its scratch folder; a $TMPDIR inside a private folder (mode 0700, e.g.
        pytest's tmp_path or a home folder) would stop every child at start.
        """
        base = tempfile.gettempdir()
        if not self.root or _reachable_by_others(base):
            return base
        if _reachable_by_others("/tmp"):
            return "/tmp"
        raise RuntimeError(f"the sandbox needs a temp folder other users can enter: {base} "
                           "($TMPDIR) and /tmp are closed to them; set TMPDIR to one")

    def _config(self, pid_fd: int) -> dict:
        lim = self.limits
        scratch = self._scratch
        return {
            "uid": self.uid, "gid": self.gid, "parent": os.getpid(), "pid_fd": pid_fd,
            "scratch": str(scratch), "work": str(scratch / "work"),
            "stage": str(scratch / "stage"), "work_bytes": lim.scratch_bytes,
            "submission": str(scratch / "submission"),
            "npz_names": sorted(self._npz_sources),
            "modules": self.modules, "origins": self.origins, "spec": self._child_spec(),
            "python": child_python(self.spec.child_distributions).to_wire(),
            "empty": str(scratch / "empty"),
            "shared_fd": self._shared_fd, "shared_bytes": lim.loss_input_bytes,
            "limits": {"cpu_s": int(lim.cpu_s), "address_space": int(lim.address_space),
                       "file_size": int(lim.file_size), "open_files": int(lim.open_files),
                       "processes": int(lim.processes)},
        }

    def _child_spec(self) -> dict:
        """What the harness needs of the assignment (it cannot read the assignment's
        folder): its notebooks, where each definition runs, what it must define, and the
        trusted classes."""
        spec = self.spec
        return {"notebooks": list(spec.notebooks), "notebook_of": spec.notebook_of,
                "namespaces_of": {g: list(spec.namespaces_of(g)) for g in spec.definitions},
                "definitions": {g: list(n) for g, n in spec.definitions.items()},
                "trusted": {k: dict(v) for k, v in spec.trusted.items()}}

    def _spawn(self) -> None:
        if self.root:
            _kill_uid(self.uid)
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        pid_r, pid_w = os.pipe()
        for fd in (req_w, rep_w):
            try:
                # 1 MiB pipes (the default maximum) move arrays in fewer system calls.
                fcntl.fcntl(fd, F_SETPIPE_SZ, 1 << 20)
            except OSError:
                pass
        env = {"PATH": "/usr/bin:/bin", "HOME": "/sandbox/work", "TMPDIR": "/sandbox/work",
               "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
               "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-B", str(self._scratch / "harness.py"), str(req_r),
                 str(rep_w)],
                stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w,
                pass_fds=(req_r, rep_w, pid_w, self._shared_fd),
                cwd=self._scratch, env=env, start_new_session=True)
        finally:
            for fd in (req_r, rep_w, out_w, pid_w):
                os.close(fd)
        self._req, self._rep = req_w, rep_r
        for fd in (req_w, rep_r):
            os.set_blocking(fd, False)
        with self._output_lock:
            self._output.clear()
        self._drain = threading.Thread(target=self._drain_output, args=(out_r,), daemon=True)
        self._drain.start()
        self._limit_s = self.limits.start_timeout_s
        deadline = time.monotonic() + self.limits.start_timeout_s
        try:
            self._send(self._config(pid_w), deadline, "start-up")
            self._init_pid = self._read_pid(pid_r, deadline)
        finally:
            os.close(pid_r)
        self._init_fd = self._open_init(self._init_pid, self._proc.pid)
        hello = self._receive(deadline, "start-up")
        report = hello.get("value") if hello.get("id") == 0 else None
        if not isinstance(report, dict):
            raise _ChildFailure("no valid hello from the child")
        self.isolation = Isolation(
            uid=int(report["uid"]), dedicated_uid=self.root and report["uid"] == self.uid,
            netns=bool(report["netns"]), mountns=bool(report["mountns"]),
            pidns=bool(report["pidns"]), ipcns=bool(report["ipcns"]),
            seccomp=bool(report["seccomp"]), root=tuple(report["root"]),
            notes=tuple(report["notes"]), hidden=tuple(report["hidden"]))
        # The weakest confinement any of this session's children had.
        self.confinement = self.confinement or confinement_note(self.isolation)

    @staticmethod
    def _open_init(pid: int, keeper: int) -> int | None:
        """A pidfd of the child's init, once it is known to be the keeper's child."""
        try:
            fd = os.pidfd_open(pid)
        except OSError:
            return None
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            parent = int(re.search(r"^PPid:\s+(\d+)", status, re.MULTILINE).group(1))
        except (OSError, AttributeError, ValueError):
            parent = None
        if parent != keeper:
            os.close(fd)
            return None
        return fd

    def _read_pid(self, fd: int, deadline: float) -> int:
        """The host pid of the child's init, written by its trusted keeper (before any
        student code exists, so it is the grader's own word)."""
        raw = b""
        while len(raw) < 8:
            self._wait(fd, False, deadline, "start-up")
            chunk = os.read(fd, 8 - len(raw))
            if not chunk:
                raise _ChildFailure(self._exit_description("start-up"))
            raw += chunk
        (pid,) = struct.unpack("<q", raw)
        return pid

    def _drain_output(self, fd: int) -> None:
        """Keep only the tail of what the child prints, however much it prints."""
        cap = self.limits.output_bytes
        try:
            while chunk := os.read(fd, 1 << 16):
                with self._output_lock:
                    self._output += chunk
                    if len(self._output) > cap:
                        del self._output[:-cap]
        finally:
            os.close(fd)

    def _stop(self, graceful: bool = False) -> None:
        """End the current child (if any); the next call starts a fresh one."""
        proc = self._proc
        if proc is None:
            return
        self._proc = None
        os.close(self._req)
        if not (graceful and self._wait_exit(proc, 1.0) is not None):
            # Kill the init (through its pidfd: never another process that got its pid):
            # its namespace, and everything in it, goes with it, and the keeper reaps it
            # and exits. Killing the keeper first would orphan the init as a zombie.
            if self._init_fd is not None:
                with contextlib.suppress(ProcessLookupError, OSError):
                    signal.pidfd_send_signal(self._init_fd, signal.SIGKILL)
            if self._wait_exit(proc, 5.0) is None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                self._wait_exit(proc, 5.0)
        if self._init_fd is not None:
            os.close(self._init_fd)
            self._init_fd = None
        if self.root:
            _kill_uid(self.uid)
        os.close(self._rep)
        self._req = self._rep = -1
        if self._drain is not None:
            self._drain.join(timeout=5.0)
        self.restarts += not graceful

    def _wait_exit(self, proc: subprocess.Popen, timeout: float) -> int | None:
        """The child's exit code once it has exited (its CPU time is then added to the
        session's account), or None if it is still running after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while proc.returncode is None:
            try:
                pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            except ChildProcessError:
                return None
            if pid:
                proc.returncode = os.waitstatus_to_exitcode(status)
                self._last_cpu = usage.ru_utime + usage.ru_stime
                self._cpu_used += self._last_cpu
            elif time.monotonic() >= deadline:
                return None
            else:
                time.sleep(0.005)
        return proc.returncode

    def _exit_description(self, label: str) -> str:
        """Why the child is gone (it closed its pipe), for the student."""
        code = self._wait_exit(self._proc, 2.0) if self._proc is not None else None
        if code is None:
            return f"the grader's process closed its pipe during {label}"
        if code >= 0:
            return (f"the grader's process exited (status {code}) during {label}: the code "
                    "called os._exit() or closed the grader's pipe")
        sig = -code
        if sig in (signal.SIGXCPU, signal.SIGKILL) and self._last_cpu >= self.limits.cpu_s:
            sig = signal.SIGXCPU  # killed at the hard limit after ignoring SIGXCPU
        reason = {
            signal.SIGKILL: "was killed (SIGKILL), most likely for using too much memory",
            signal.SIGXCPU: f"used up its CPU time limit ({self.limits.cpu_s} s)",
            signal.SIGXFSZ: f"wrote a file larger than {self.limits.file_size // 2**20} MiB",
            signal.SIGSEGV: "crashed (SIGSEGV, segmentation fault)",
        }.get(sig, f"crashed ({_signal_name(sig)})")
        return f"the grader's process {reason} during {label}"

    def _garbage(self, what: str) -> str:
        return (f"the grader's process sent back {what}; student code must not write to the "
                "grader's pipes")

    def _roundtrip(self, op: str, args: dict, timeout: float, label: str) -> dict:
        self._limit_s = timeout
        request_id = self._next_id
        self._next_id += 1
        deadline = time.monotonic() + timeout
        self._send({"id": request_id, "op": op, "args": args}, deadline, label)
        reply = self._receive(deadline, label)
        if (not isinstance(reply, dict) or reply.get("id") != request_id
                or type(reply.get("ok")) is not bool
                or not isinstance(reply.get("error"), (str, type(None)))):
            raise _ChildFailure(self._garbage("a reply that does not answer the request"))
        if reply["error"] is not None:
            reply["error"] = clean_text(reply["error"])
        return reply

    def _pending(self) -> bool:
        return bool(select.select([self._rep], [], [], 0)[0])

    def _wait(self, fd: int, writable: bool, deadline: float, label: str) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _ChildFailure(self._timeout_text(deadline, label))
        ready = select.select([], [fd], [], remaining) if writable else \
            select.select([fd], [], [], remaining)
        if not (ready[1] if writable else ready[0]):
            raise _ChildFailure(self._timeout_text(deadline, label))

    def _timeout_text(self, deadline: float, label: str) -> str:
        return (f"timeout after {self._limit_s:g} s: {label} did not finish in time and was "
                "stopped (an endless loop, or far too slow)")

    def _send(self, value: object, deadline: float, label: str) -> None:
        for part in wire.encode(value):
            view = memoryview(part).cast("B")
            while len(view):
                self._wait(self._req, True, deadline, label)
                try:
                    view = view[os.write(self._req, view):]
                except BlockingIOError:
                    continue
                except BrokenPipeError:
                    raise _ChildFailure(self._exit_description(label)) from None

    def _read_into(self, view: memoryview, deadline: float, label: str) -> None:
        got = 0
        while got < len(view):
            self._wait(self._rep, False, deadline, label)
            try:
                n = os.readv(self._rep, [view[got:]])
            except BlockingIOError:
                continue
            if n == 0:
                raise _ChildFailure(self._exit_description(label))
            got += n

    def _receive(self, deadline: float, label: str) -> dict:
        """Read and validate one frame from the child (untrusted)."""
        prefix = bytearray(wire.HEADER.size)
        self._read_into(memoryview(prefix), deadline, label)
        (length,) = wire.HEADER.unpack(prefix)
        if length > MAX_HEADER_BYTES:
            raise _ChildFailure(self._garbage(f"a header of {length} bytes (limit "
                                              f"{MAX_HEADER_BYTES})"))
        raw = bytearray(length)
        self._read_into(memoryview(raw), deadline, label)
        try:
            header = json.loads(raw)
            layout, total = wire.array_layout(header["a"], self.limits.reply_bytes)
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            raise _ChildFailure(self._garbage(f"a malformed header ({str(exc)[:100]})")) from None
        payload = np.empty(total, dtype=np.uint8)
        self._read_into(memoryview(payload), deadline, label)
        arrays = [payload[off:off + math.prod(shape) * dt.itemsize].view(dt).reshape(shape)
                  for dt, shape, off in layout]
        try:
            value = wire.resolve(header.get("v") if isinstance(header, dict) else None, arrays)
        except (ValueError, RecursionError) as exc:
            raise _ChildFailure(self._garbage(f"a malformed value ({exc})")) from None
        if not isinstance(value, dict):
            raise _ChildFailure(self._garbage("a reply that is not a message"))
        return value
