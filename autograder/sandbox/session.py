"""The parent's side of one submission's sandbox: `SandboxSession`.

A session starts one child at a time (`channel`), sends it the submission's definition
cells, and serves the checks' calls: each call's arguments are checked against the
assignment's [operations] (`reply.request_arguments`), its shared inputs written to the
memory the parent compares afterwards (`shared`), its CPU time read from the kernel, and
its reply validated against the operation's schema (`reply.checked_reply`) before it
becomes an `Outcome`. Nothing student code does makes `call` raise.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import shutil
import threading
from collections.abc import Mapping
from pathlib import Path

from autograder.text import clean_text

from .channel import Channel
from .limits import Isolation, IsolationRequired, Limits, confinement_note, refusal
from .processes import UID_BASE, cpu_seconds, reap_orphans
from .reply import ChildFailure, checked_reply, request_arguments
from .root import SYSTEM_PATHS, child_python
from .scratch import make_scratch
from .shared import SharedInputs
from .spec import ChildSpec
from .wire import Outcome

_ids = itertools.count()
_ids_lock = threading.Lock()


class SandboxSession:
    """One submission's sandboxed child process; implements `autograder.outcome.Session`.

    Use as a context manager::

        with SandboxSession(cells, assignment=assignment.dumps(spec),
                            model_files={"svm_best.npz": path}) as session:
            out = session.call("loss", fn="svm_loss_naive", W=W, X=X, y=y, reg=0.1)

    `cells` maps definition-cell grade_ids to their Python source; `assignment` is the
    assignment's JSON description (`spec.ChildSpec` says what of it the door reads);
    `model_files` maps the submission's model file names to their paths on the host.
    `modules` maps the module files of CS231n's starter layout (relative paths) to their
    source, and `origins` each grade_id they provide to its file: the child imports
    those as modules instead of running cells.
    """

    _reaped = False

    def __init__(self, cells: Mapping[str, str], *,
                 assignment: str | Mapping[str, object],
                 model_files: Mapping[str, str | os.PathLike[str]] | None = None,
                 limits: Limits | None = None,
                 modules: Mapping[str, str] | None = None,
                 origins: Mapping[str, str] | None = None) -> None:
        self.spec = ChildSpec.read(assignment)
        unknown = set(cells) - set(self.spec.definitions)
        if unknown:
            raise ValueError(f"not definition cells: {', '.join(sorted(unknown))}")
        self.cells = dict(cells)
        self.modules = dict(modules or {})
        # A definition not sent keeps its file all the same: its messages name that file.
        self.origins = {k: v for k, v in (origins or {}).items()
                        if v in self.modules or k not in self.cells}
        self.limits = limits or Limits()
        self._model_files = {k: Path(v) for k, v in (model_files or {}).items()}
        self.root = os.geteuid() == 0
        with _ids_lock:
            serial = next(_ids)
        # Unique among live graders: pids are unique, and one grader runs < 256 at once.
        self.uid = self.gid = UID_BASE + (os.getpid() % 2**22) * 256 + serial % 256
        self.isolation: Isolation | None = None
        # What did not hold in a child ("" = everything did): for the results.
        self.confinement = ""
        self.cell_errors: dict[str, str] = {}   # grade_id -> why it is unusable
        self._fatal: dict[str, str] = {}        # cells that killed the child when run
        self._child = Channel(self.limits, self.uid if self.root else None)
        self._scratch: Path | None = None
        self._shared: SharedInputs | None = None
        self._closed = False
        self._broken: str | None = None

    # ---- context manager
    def __enter__(self) -> SandboxSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def output_tail(self) -> str:
        """The last `Limits.output_bytes` the child printed (stdout and stderr), for logs."""
        return self._child.output_tail

    @property
    def pid(self) -> int | None:
        """The host pid of the process that runs student code (None between children)."""
        return self._child.init_pid if self._child.running else None

    @property
    def restarts(self) -> int:
        """How many children were killed (a crash, a hang, garbage) and replaced."""
        return self._child.restarts

    # ---- public API
    def start(self) -> None:
        """Start the child and run the definition cells (done by the first call otherwise).

        Raises RuntimeError only when the child cannot start at all, before any student
        code ran (a broken installation), and `IsolationRequired` when
        `Limits.require_isolation` is set and the child is only partly confined (again
        before any student code ran). A cell that kills the child is remembered and left
        out of the next child; its targets then fail with that message.
        """
        if self._closed:
            raise RuntimeError("this SandboxSession is closed")
        if self.root and not SandboxSession._reaped:
            SandboxSession._reaped = True
            reap_orphans()
        if self._scratch is None:
            self._scratch = make_scratch(self._model_files, self.spec.model_files,
                                         self.spec.child_operations,
                                         (self.uid, self.gid) if self.root else None)
            self._shared = SharedInputs(self.limits.shared_input_bytes)
        while not self._child.running and self._broken is None:
            self._spawn()
            self._define()

    def call(self, op: str, *, timeout_s: float | None = None, **kwargs: object) -> Outcome:
        """Run one operation (the assignment's [operations]) in the child and return
        what came back.

        Never raises for anything student code does: a crash, hang, memory blow-up or
        malformed reply is an Outcome with ok=False and an error naming what happened.
        A wrong `op` or missing argument is the caller's bug and raises TypeError.
        """
        args = request_arguments(self.spec.operations, op, kwargs)
        target = args.get("fn", args.get("cls"))
        for cell in self.spec.cells_needed(target):
            if cell in self._fatal:
                return Outcome(ok=False, error=f"{target} cannot be run: {self._fatal[cell]}")
        if self._child.cpu_used >= self.limits.session_cpu_s:
            return Outcome(ok=False, error=f"this submission used up its CPU time "
                                           f"({self.limits.session_cpu_s:g} s)")
        if self._child.running and self._child.pending():
            # Died or wrote something between calls: start afresh before this call.
            self._child.stop()
        self.start()
        if self._broken is not None:
            return Outcome(ok=False, error=self._broken)
        timeout = timeout_s if timeout_s is not None else self.limits.timeout_for(op)
        return self._timed_call(op, args, timeout, str(target or args.get("name") or op))

    def close(self) -> None:
        """Stop the child, kill anything left under its uid, delete the scratch folder."""
        if self._closed:
            return
        self._closed = True
        self._child.stop(graceful=True)
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
        if self._shared is not None:
            self._shared.close()

    # ---- internals
    def _timed_call(self, op: str, args: dict, timeout: float, label: str) -> Outcome:
        """One request, timed by the kernel's clock of the child's init around it."""
        pid = self._child.init_pid
        before = cpu_seconds(pid)
        keys = self.spec.operations[op]["shared"]
        sent = None
        if keys:
            args, sent = self._shared.write(args, keys)
        try:
            reply = self._child.roundtrip(op, args, timeout, label=label)
        except ChildFailure as failure:
            self._child.stop()
            return Outcome(ok=False, error=str(failure))
        after = cpu_seconds(pid)
        cpu = None if before is None or after is None else max(0.0, after - before)
        if not reply["ok"]:
            return Outcome(ok=False, error=reply["error"] or f"{label} failed",
                           cpu_seconds=cpu)
        try:
            value = checked_reply(op, reply["value"], self.spec.operations[op]["reply"])
        except ChildFailure as failure:
            self._child.stop()
            return Outcome(ok=False, error=self._child.garbage(str(failure)), cpu_seconds=cpu)
        if sent is not None:
            value["mutated"] = SharedInputs.mutated(sent)
        return Outcome(ok=True, value=value, cpu_seconds=cpu)

    def _spawn(self) -> None:
        """A fresh child, confined; its isolation is known before any student code runs."""
        try:
            report = self._child.start(self._scratch, self._shared.fd, self._config)
        except ChildFailure as failure:
            self._child.stop()
            raise RuntimeError(f"the sandbox child failed to start: {failure}; its "
                               f"output: {self.output_tail[-2000:]}") from None
        self.isolation = Isolation(
            uid=int(report["uid"]), dedicated_uid=self.root and report["uid"] == self.uid,
            netns=bool(report["netns"]), mountns=bool(report["mountns"]),
            pidns=bool(report["pidns"]), ipcns=bool(report["ipcns"]),
            seccomp=bool(report["seccomp"]), root=tuple(report["root"]),
            notes=tuple(report["notes"]), hidden=tuple(report["hidden"]))
        if self.limits.require_isolation and self.isolation.gaps():
            self.close()
            raise IsolationRequired(refusal(self.isolation))
        # The weakest confinement any of this session's children had.
        self.confinement = self.confinement or confinement_note(self.isolation)

    def _define(self) -> None:
        """Send the definition cells, then seal; a cell that stops the child is fatal to
        its targets only (the next child runs without it)."""
        step = None
        try:
            for step in self.spec.definitions:
                if step in self.cells and step not in self._fatal:
                    self._child.roundtrip("define", {"cell": step, "source": self.cells[step]},
                                          self.limits.start_timeout_s,
                                          label=f"the cell `{step}`")
            step = "seal"
            reply = self._child.roundtrip("seal", {}, self.limits.start_timeout_s,
                                          label="the classes the notebooks give ("
                                          + ", ".join(self.spec.trusted) + ")")
            self.cell_errors = {**self._cell_errors(reply), **self._fatal}
        except ChildFailure as failure:
            self._child.stop()
            self._blame(self._culprit(step), failure)

    def _culprit(self, step: str | None) -> str | None:
        """Subclassing a student's class runs its class machinery (metaclass, ...): that
        class's cell is to blame for a failed seal, when it is the only one."""
        subclassed = {t["cell"] for t in self.spec.trusted.values()
                      if t["base"] and t["base"] not in self.spec.trusted}
        if step == "seal" and len(subclassed) == 1:
            (cell,) = subclassed
            if cell in self.cells and cell not in self._fatal:
                return cell
        return step

    def _blame(self, step: str | None, failure: ChildFailure) -> None:
        if step in self.spec.definitions:
            where = self.origins.get(step) \
                or f"the cell `{step}` of {self.spec.notebook_of[step]}"
            self._fatal[step] = f"{where} could not be run ({failure})"
        else:
            self._broken = f"the submission's code stops the grader's process ({failure})"

    def _cell_errors(self, reply: dict) -> dict[str, str]:
        value = reply.get("value")
        errors = value.get("cell_errors") if isinstance(value, dict) else None
        if not isinstance(errors, dict):
            raise ChildFailure("a malformed reply to seal")
        return {k: clean_text(v) for k, v in errors.items()
                if k in self.spec.definitions and isinstance(v, str)}

    def _config(self, pid_fd: int) -> dict:
        """The child's configuration frame (its first request)."""
        lim = self.limits
        scratch = self._scratch
        return {
            "uid": self.uid, "gid": self.gid, "parent": os.getpid(), "pid_fd": pid_fd,
            "scratch": str(scratch), "work": str(scratch / "work"),
            "stage": str(scratch / "stage"), "work_bytes": lim.scratch_bytes,
            "submission": str(scratch / "submission"),
            "model_file_names": sorted(self._model_files),
            "modules": self.modules, "origins": self.origins, "spec": self.spec.to_child(),
            "python": child_python(self.spec.child_distributions).to_wire(),
            "system": list(SYSTEM_PATHS),
            "empty": str(scratch / "empty"),
            "shared_fd": self._shared.fd, "shared_bytes": lim.shared_input_bytes,
            "limits": {"cpu_s": int(lim.cpu_s), "address_space": int(lim.address_space),
                       "file_size": int(lim.file_size), "open_files": int(lim.open_files),
                       "processes": int(lim.processes)},
        }


def probe_isolation(assignment: str | Mapping[str, object],
                    limits: Limits | None = None) -> Isolation:
    """What confinement a child gets on this machine, from a session with no student
    code in it (for refusing a whole batch up front, `--require-isolation`)."""
    probe = SandboxSession({}, assignment=assignment,
                           limits=dataclasses.replace(limits or Limits(),
                                                      require_isolation=False))
    try:
        probe.start()
        return probe.isolation
    finally:
        probe.close()
