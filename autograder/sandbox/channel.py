"""The channel to one child process: start it, talk to it, time it out, end it.

The child is started from the session's scratch folder (`scratch.LAUNCHER`), gets its
configuration as the first frame, and answers with what confinement took effect. Every
read is bounded in size and time; whatever the child does (dies, hangs, writes garbage,
closes a pipe) becomes a `ChildFailure` with a sentence for the student, and the
session starts a fresh child for the next call.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import math
import os
import re
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from autograder.text import clean_text

from . import wire
from .limits import Limits
from .processes import kill_uid, signal_name
from .reply import ChildFailure

MAX_HEADER_BYTES = 1 << 20
F_SETPIPE_SZ = 1031
# What the child's environment holds: nothing of the grader's.
CHILD_ENV = {"PATH": "/usr/bin:/bin", "HOME": "/sandbox/work", "TMPDIR": "/sandbox/work",
             "LANG": "C.UTF-8", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
             "MKL_NUM_THREADS": "1", "MPLBACKEND": "Agg"}


class Channel:
    """One child process at a time, with its pipes; `restarts` counts the children that
    had to be killed."""

    def __init__(self, limits: Limits, uid: int | None) -> None:
        self.limits = limits
        self.uid = uid                          # the dedicated uid (as root), else None
        self.restarts = 0
        self.cpu_used = 0.0                     # CPU of every child that has exited
        self._last_cpu = 0.0
        self._proc: subprocess.Popen | None = None
        self.init_pid: int | None = None        # the child's init: where student code runs
        self._init_fd: int | None = None        # its pidfd (signals reach it, and only it)
        self._output = bytearray()
        self._output_lock = threading.Lock()
        self._drain: threading.Thread | None = None
        self._req = self._rep = -1
        self._next_id = 1
        self._limit_s = 0.0

    @property
    def running(self) -> bool:
        return self._proc is not None

    @property
    def output_tail(self) -> str:
        """The last `Limits.output_bytes` the child printed (stdout and stderr), for logs."""
        with self._output_lock:
            return self._output.decode("utf-8", "replace")

    def start(self, scratch: Path, shared_fd: int, config: Callable[[int], dict]) -> dict:
        """Start a child from `scratch`, send it `config(pid_fd)`, and return its hello
        report (what confinement took effect); ChildFailure if it does not come."""
        if self.uid is not None:
            kill_uid(self.uid)
        req_r, req_w = os.pipe()
        rep_r, rep_w = os.pipe()
        out_r, out_w = os.pipe()
        pid_r, pid_w = os.pipe()
        for fd in (req_w, rep_w):
            with contextlib.suppress(OSError):
                # 1 MiB pipes (the default maximum) move arrays in fewer system calls.
                fcntl.fcntl(fd, F_SETPIPE_SZ, 1 << 20)
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-I", "-B", str(scratch / "main.py"), str(req_r), str(rep_w)],
                stdin=subprocess.DEVNULL, stdout=out_w, stderr=out_w,
                pass_fds=(req_r, rep_w, pid_w, shared_fd),
                cwd=scratch, env=CHILD_ENV, start_new_session=True)
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
            self._send(config(pid_w), deadline, "start-up")
            self.init_pid = self._read_pid(pid_r, deadline)
        finally:
            os.close(pid_r)
        self._init_fd = self._open_init(self.init_pid, self._proc.pid)
        hello = self._receive(deadline, "start-up")
        report = hello.get("value") if hello.get("id") == 0 else None
        if not isinstance(report, dict):
            raise ChildFailure("no valid hello from the child")
        return report

    def roundtrip(self, op: str, args: dict, timeout: float, label: str) -> dict:
        """Send one request and return the child's reply, its error text cleaned."""
        self._limit_s = timeout
        request_id = self._next_id
        self._next_id += 1
        deadline = time.monotonic() + timeout
        self._send({"id": request_id, "op": op, "args": args}, deadline, label)
        reply = self._receive(deadline, label)
        if (not isinstance(reply, dict) or reply.get("id") != request_id
                or type(reply.get("ok")) is not bool
                or not isinstance(reply.get("error"), (str, type(None)))):
            raise ChildFailure(self.garbage("a reply that does not answer the request"))
        if reply["error"] is not None:
            reply["error"] = clean_text(reply["error"])
        return reply

    def pending(self) -> bool:
        """Whether the child wrote something (or died) while no call was waiting for it."""
        return bool(select.select([self._rep], [], [], 0)[0])

    def garbage(self, what: str) -> str:
        return (f"the grader's process sent back {what}; student code must not write to the "
                "grader's pipes")

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
                raise ChildFailure(self._exit_description("start-up"))
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

    def stop(self, graceful: bool = False) -> None:
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
        if self.uid is not None:
            kill_uid(self.uid)
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
                self.cpu_used += self._last_cpu
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
        }.get(sig, f"crashed ({signal_name(sig)})")
        return f"the grader's process {reason} during {label}"

    def _wait(self, fd: int, writable: bool, deadline: float, label: str) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ChildFailure(self._timeout_text(deadline, label))
        ready = select.select([], [fd], [], remaining) if writable else \
            select.select([fd], [], [], remaining)
        if not (ready[1] if writable else ready[0]):
            raise ChildFailure(self._timeout_text(deadline, label))

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
                    raise ChildFailure(self._exit_description(label)) from None

    def _read_into(self, view: memoryview, deadline: float, label: str) -> None:
        got = 0
        while got < len(view):
            self._wait(self._rep, False, deadline, label)
            try:
                n = os.readv(self._rep, [view[got:]])
            except BlockingIOError:
                continue
            if n == 0:
                raise ChildFailure(self._exit_description(label))
            got += n

    def _receive(self, deadline: float, label: str) -> dict:
        """Read and validate one frame from the child (untrusted)."""
        prefix = bytearray(wire.HEADER.size)
        self._read_into(memoryview(prefix), deadline, label)
        (length,) = wire.HEADER.unpack(prefix)
        if length > MAX_HEADER_BYTES:
            raise ChildFailure(self.garbage(f"a header of {length} bytes (limit "
                                              f"{MAX_HEADER_BYTES})"))
        raw = bytearray(length)
        self._read_into(memoryview(raw), deadline, label)
        try:
            header = json.loads(raw)
            layout, total = wire.array_layout(header["a"], self.limits.reply_bytes)
        except (ValueError, TypeError, KeyError, RecursionError) as exc:
            raise ChildFailure(self.garbage(f"a malformed header ({str(exc)[:100]})")) from None
        payload = np.empty(total, dtype=np.uint8)
        self._read_into(memoryview(payload), deadline, label)
        arrays = [payload[off:off + math.prod(shape) * dt.itemsize].view(dt).reshape(shape)
                  for dt, shape, off in layout]
        try:
            value = wire.resolve(header.get("v") if isinstance(header, dict) else None, arrays)
        except (ValueError, RecursionError) as exc:
            raise ChildFailure(self.garbage(f"a malformed value ({exc})")) from None
        if not isinstance(value, dict):
            raise ChildFailure(self.garbage("a reply that is not a message"))
        return value
