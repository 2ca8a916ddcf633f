"""The trusted harness that runs inside the sandbox's child process (part of the one door).

`autograder.sandbox` starts this file as a script (`python -I -B sandbox_child.py REQ REP`)
and nothing else imports it except `sandbox.py`, for the wire format shared by both sides.
The harness is trusted code, but it shares its process with student code, so the parent
treats every byte it sends back as untrusted: student code can patch this module, write to
the protocol pipe or exit at any moment.

Life of the child:

1. read the configuration frame from the parent and confine itself while still root
   (`confine`): network and mount namespaces, hidden paths, read-only world-writable
   folders, a size-capped scratch folder, resource limits, a dedicated uid;
2. answer "hello" with what confinement actually took effect;
3. execute the definition cells the parent sends ("define", one cell per message, so a
   cell that kills the process is known by name), then "seal": add the trusted
   `LinearSVM` / `Softmax` subclasses and freeze the names the operations use;
4. serve the operations of INTERFACES.md until the request pipe closes.

Wire format (both directions, no pickle): a 4-byte big-endian header length, a JSON header
`{"v": value, "a": [[dtype, shape], ...]}`, then the raw C-contiguous bytes of each array,
each starting at a multiple of 64 bytes from the end of the header. Inside `value` an array
is the placeholder `{"__ndarray__": i}`; everything else is JSON (dict/list/str/number/None).
"""

from __future__ import annotations

import ctypes
import errno
import faulthandler
import json
import math
import mmap
import os
import resource
import signal
import struct
import sys
import traceback

import numpy as np

# The dtypes allowed on the wire, by their little-endian `dtype.str`.
WIRE_DTYPES = ("<f4", "<f8", "<i4", "<i8", "|b1", "|u1")
ALIGN = 64
HEADER = struct.Struct(">I")
PLACEHOLDER = "__ndarray__"

# Largest single array the harness agrees to send back (the parent has its own caps).
MAX_ARRAY_BYTES = 64 * 2**20

# Which namespace (one per notebook, as in two Jupyter kernels) runs which cell, and the
# trusted read-only subclasses of the release notebooks, never taken from a submission.
NAMESPACE_OF_CELL = {
    "svm_loss_naive": ("svm",),
    "svm_loss_vectorized": ("svm",),
    "linear_classifier": ("svm", "softmax"),
    "softmax_loss_naive": ("softmax",),
    "softmax_loss_vectorized": ("softmax",),
}
TRUSTED_SUBCLASSES = {
    "svm": (
        "LinearSVM",
        "class LinearSVM(LinearClassifier):\n"
        '    """A subclass that uses the multiclass SVM loss function."""\n\n'
        "    def loss(self, X_batch, y_batch, reg):\n"
        "        return svm_loss_vectorized(self.W, X_batch, y_batch, reg)\n",
    ),
    "softmax": (
        "Softmax",
        "class Softmax(LinearClassifier):\n"
        '    """A subclass that uses the Softmax + Cross-entropy loss function."""\n\n'
        "    def loss(self, X_batch, y_batch, reg):\n"
        "        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)\n",
    ),
}
LOSS_FUNCTIONS = {
    "svm_loss_naive": "svm",
    "svm_loss_vectorized": "svm",
    "softmax_loss_naive": "softmax",
    "softmax_loss_vectorized": "softmax",
}
CLASSES = ("LinearSVM", "Softmax")
NOTEBOOK_OF = {"svm": "svm.ipynb", "softmax": "softmax.ipynb"}


# --------------------------------------------------------------------------- wire format


def encode(value: object) -> list[bytes | memoryview]:
    """Frame `value` (JSON data and numpy arrays of the wire dtypes) as a list of buffers."""
    arrays: list[np.ndarray] = []

    def walk(obj: object) -> object:
        if isinstance(obj, np.ndarray):
            arrays.append(obj)
            return {PLACEHOLDER: len(arrays) - 1}
        if isinstance(obj, dict):
            return {str(k): walk(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [walk(v) for v in obj]
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        raise TypeError(f"cannot send a {type(obj).__name__} over the wire")

    tree = walk(value)
    specs = []
    for arr in arrays:
        if arr.dtype.str not in WIRE_DTYPES:
            raise TypeError(f"dtype {arr.dtype} is not allowed on the wire")
        specs.append([arr.dtype.str, list(arr.shape)])
    header = json.dumps({"v": tree, "a": specs}).encode()
    parts: list[bytes | memoryview] = [HEADER.pack(len(header)), header]
    for arr in arrays:
        parts.append(bytes(-_payload_size(parts) % ALIGN))
        contiguous = np.ascontiguousarray(arr)
        if contiguous.nbytes:
            parts.append(memoryview(contiguous).cast("B"))
    return parts


def _payload_size(parts: list[bytes | memoryview]) -> int:
    """Bytes written so far after the header (the two first parts are length + header)."""
    return sum(len(p) for p in parts[2:])


def array_layout(specs: list, limit: int) -> tuple[list[tuple[np.dtype, tuple, int]], int]:
    """Validate `[[dtype, shape], ...]` and return [(dtype, shape, offset)] and total size.

    Raises ValueError for anything that is not a list of wire dtypes and small shapes or
    whose total size exceeds `limit` bytes. Used by both sides.
    """
    if not isinstance(specs, list) or len(specs) > 64:
        raise ValueError("array list is not a list of at most 64 entries")
    layout = []
    offset = 0
    for spec in specs:
        if not (isinstance(spec, list) and len(spec) == 2 and spec[0] in WIRE_DTYPES):
            raise ValueError(f"bad array description {str(spec)[:80]}")
        shape = spec[1]
        if not (isinstance(shape, list) and len(shape) <= 8
                and all(type(n) is int and 0 <= n < 2**40 for n in shape)):
            raise ValueError(f"bad array shape {str(shape)[:80]}")
        dtype = np.dtype(spec[0])
        nbytes = math.prod(shape) * dtype.itemsize
        offset += -offset % ALIGN
        layout.append((dtype, tuple(shape), offset))
        offset += nbytes
        if offset > limit:
            raise ValueError(f"arrays of more than {limit} bytes")
    return layout, offset


def resolve(tree: object, arrays: list[np.ndarray], depth: int = 0) -> object:
    """Replace the array placeholders in a decoded JSON tree (depth-limited)."""
    if depth > 20:
        raise ValueError("value nested too deeply")
    if isinstance(tree, dict):
        if PLACEHOLDER in tree:
            index = tree[PLACEHOLDER]
            if len(tree) != 1 or type(index) is not int or not 0 <= index < len(arrays):
                raise ValueError("bad array placeholder")
            return arrays[index]
        return {k: resolve(v, arrays, depth + 1) for k, v in tree.items()}
    if isinstance(tree, list):
        return [resolve(v, arrays, depth + 1) for v in tree]
    return tree


def _read_into(fd: int, view: memoryview) -> None:
    """Fill `view` (bytes) from `fd`; EOFError if the parent closes the pipe first."""
    got = 0
    while got < len(view):
        k = os.readv(fd, [view[got:]])
        if k == 0:
            raise EOFError
        got += k


def _read_exact(fd: int, n: int) -> bytearray:
    buf = bytearray(n)
    _read_into(fd, memoryview(buf))
    return buf


def read_request(fd: int) -> dict:
    """Read one frame from the parent (trusted) and return its value with arrays in place.

    Each request gets a fresh buffer, so arrays kept by student code from an earlier call
    never alias the inputs of a later one.
    """
    (length,) = HEADER.unpack(_read_exact(fd, HEADER.size))
    header = json.loads(_read_exact(fd, length))
    layout, total = array_layout(header["a"], 2**40)
    payload = np.empty(total, dtype=np.uint8)
    _read_into(fd, memoryview(payload))
    return resolve(header["v"], [payload[off:off + math.prod(shape) * dt.itemsize]
                                 .view(dt).reshape(shape) for dt, shape, off in layout])


def write_all(fd: int, parts: list[bytes | memoryview]) -> None:
    """Write every buffer completely (blocking)."""
    for part in parts:
        view = memoryview(part).cast("B") if not isinstance(part, bytes) else memoryview(part)
        while len(view):
            view = view[os.write(fd, view):]


# --------------------------------------------------------------------------- confinement

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 1, 38, 24

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
_libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def _mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    _check(_libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)),
           f"mount {target}")


def _unshare(flags: int) -> None:
    _check(_libc.unshare(flags), "unshare")


def _can_traverse(st: os.stat_result, uid: int, gid: int) -> bool:
    if st.st_uid == uid:
        return bool(st.st_mode & 0o100)
    if st.st_gid == gid:
        return bool(st.st_mode & 0o010)
    return bool(st.st_mode & 0o001)


def _blocking_ancestor(path: str, uid: int, gid: int) -> str | None:
    """The first folder on the way to `path` that `uid` cannot enter, or None."""
    current = "/"
    for part in [p for p in path.split("/") if p]:
        st = os.stat(current)
        if not _can_traverse(st, uid, gid):
            return current
        current = os.path.join(current, part)
    return None


def _expose(paths: list[str], uid: int, gid: int, stage_root: str) -> list[str]:
    """Make `paths` reachable for `uid` without opening up their closed ancestors.

    A closed ancestor (say /root, mode 0700, holding pyenv's Python) is replaced by an
    empty tmpfs the child can only traverse, into which exactly the needed entries are
    bind-mounted back. Everything else in that folder stays invisible to the child.
    """
    exposed = []
    for _ in range(8):  # nested closed folders are fixed one level per round
        blocked: dict[str, set[str]] = {}
        for path in paths:
            if not os.path.exists(path):
                continue
            ancestor = _blocking_ancestor(path, uid, gid)
            if ancestor is not None:
                rest = os.path.relpath(path, ancestor).split("/")[0]
                blocked.setdefault(ancestor, set()).add(rest)
        if not blocked:
            break
        for ancestor, names in blocked.items():
            stage = os.path.join(stage_root, f"stage{len(exposed)}")
            os.mkdir(stage, 0o700)
            _mount(ancestor, stage, None, MS_BIND | MS_REC)
            _mount("tmpfs", ancestor, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,mode=0711")
            for name in sorted(names):
                source, target = os.path.join(stage, name), os.path.join(ancestor, name)
                if os.path.isdir(source):
                    os.mkdir(target, 0o755)
                else:
                    open(target, "wb").close()
                _mount(source, target, None, MS_BIND | MS_REC)
            _mount(None, ancestor, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV,
                   "size=64k,mode=0711")
            _check(_libc.umount2(stage.encode(), MNT_DETACH), f"umount {stage}")
            os.rmdir(stage)
            exposed.extend(os.path.join(ancestor, n) for n in sorted(names))
    return exposed


def _hide(paths: list[str]) -> list[str]:
    hidden = []
    for path in paths:
        if os.path.isdir(path):
            _mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "size=4k,mode=0555")
        elif os.path.exists(path):
            _mount("/dev/null", path, None, MS_BIND)
        else:
            continue
        hidden.append(path)
    return hidden


def _read_only(paths: list[str]) -> list[str]:
    done = []
    for path in paths:
        if os.path.isdir(path) and not os.path.islink(path):
            # Keep the mount's own flags: a user namespace may not clear locked ones.
            flag = os.statvfs(path).f_flag
            keep = sum(ms for st, ms in ((os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, 1024),
                                         (os.ST_NODIRATIME, 2048), (os.ST_RELATIME, 1 << 21))
                       if flag & st)
            _mount(path, path, None, MS_BIND | MS_REC)
            _mount(None, path, None,
                   MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | keep)
            done.append(path)
    return done


def _write_id_maps(uid: int, gid: int) -> None:
    with open("/proc/self/setgroups", "w") as f:
        f.write("deny")
    with open("/proc/self/uid_map", "w") as f:
        f.write(f"{uid} {uid} 1")
    with open("/proc/self/gid_map", "w") as f:
        f.write(f"{gid} {gid} 1")


def _drop_capabilities() -> None:
    """Drop every capability (those a user namespace grants) from the bounding and main sets."""
    for cap in range(64):
        if _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0 and ctypes.get_errno() == errno.EINVAL:
            break

    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    data = (Data * 2)()
    sys_capset = {"x86_64": 126, "aarch64": 91}[os.uname().machine]
    _check(_libc.syscall(sys_capset, ctypes.byref(Header(0x20080522, 0)), data), "capset")


def confine(cfg: dict) -> dict:
    """Apply the sandbox to this process before any student code runs; report what worked.

    As root: new network namespace (no interface is up, so nothing at all is reachable,
    127.0.0.1 included), new mount namespace (hidden paths, read-only /tmp & co., a
    size-capped tmpfs as the working folder, closed ancestors of Python exposed narrowly),
    resource limits, then a switch to the session's own uid/gid with no supplementary
    groups and no_new_privs. When not root, the same namespaces are tried inside a new
    user namespace (if the kernel allows unprivileged ones), all capabilities are dropped
    afterwards, and the process keeps the grader's uid: the resource limits still apply
    but files the grader's user can read stay readable unless they are in `hide`.
    """
    report: dict = {"uid": os.getuid(), "netns": False, "mountns": False, "hidden": [],
                    "exposed": [], "readonly": [], "notes": []}
    root = os.geteuid() == 0
    uid, gid = cfg["uid"], cfg["gid"]
    try:
        if root:
            _unshare(CLONE_NEWNET)
            report["netns"] = True
        else:
            own_uid, own_gid = os.getuid(), os.getgid()  # unmapped (65534) once unshared
            _unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS)
            _write_id_maps(own_uid, own_gid)
            report["netns"] = report["mountns"] = True
    except OSError as exc:
        report["notes"].append(f"no network namespace ({exc}): the network stays reachable")
    try:
        if root:
            _unshare(CLONE_NEWNS)
            report["mountns"] = True
        if report["mountns"]:
            _mount(None, "/", None, MS_REC | MS_PRIVATE)
            if root:
                needed = [p for p in sys.path if p] + [
                    os.path.dirname(os.path.realpath(sys.executable)),
                    cfg["scratch"], *([cfg["data_dir"]] if cfg["data_dir"] else [])]
                report["exposed"] = _expose(needed, uid, gid, cfg["stage"])
            report["hidden"] = _hide(cfg["hide"])
            # Last, and recursive, so the mounts above are carried into the read-only copies.
            report["readonly"] = _read_only(cfg["readonly"])
            owner = f",uid={uid},gid={gid}" if root else ""
            _mount("tmpfs", cfg["work"], "tmpfs", MS_NOSUID | MS_NODEV,
                   f"size={cfg['work_bytes']},mode=0700{owner}")
            try:
                _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, "hidepid=2")
            except OSError as exc:
                report["notes"].append(f"other processes stay visible in /proc ({exc})")
    except OSError as exc:
        report["mountns"] = False
        report["notes"].append(f"no mount namespace ({exc}): nothing is hidden")
    os.chdir(cfg["work"])

    limits = cfg["limits"]
    resource.setrlimit(resource.RLIMIT_CPU, (limits["cpu_s"], limits["cpu_s"] + 2))
    resource.setrlimit(resource.RLIMIT_AS, (limits["address_space"],) * 2)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits["file_size"],) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits["open_files"],) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits["processes"],) * 2)
    # A write past RLIMIT_FSIZE then fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    if root:
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
        if os.getuid() != uid or os.geteuid() != uid:
            raise SystemExit("could not switch to the sandbox uid")
    elif report["mountns"] or report["netns"]:
        try:
            _drop_capabilities()
        except (OSError, KeyError) as exc:
            report["mountns"] = False
            report["notes"].append(f"capabilities not dropped ({exc!r}): hidden paths could "
                                   "be unmounted by student code")
    report["uid"] = os.getuid()
    _check(_libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), "no_new_privs")
    # Set after the uid change, which clears it; dies with the grader.
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != cfg["parent"]:
        raise SystemExit("the grader exited during start-up")
    return report


# --------------------------------------------------------------------------- operations


class StudentError(Exception):
    """A problem with what student code returned or defined, worded for the student."""


def _type_name(obj: object) -> str:
    try:
        name = type(obj).__name__
        return name if isinstance(name, str) else "object"
    except Exception:
        return "object"


def _kind(obj: object) -> str:
    if obj is None:
        return "None"
    if isinstance(obj, (tuple, list)):
        return f"a {_type_name(obj)} of {len(obj)} items"
    return f"a {_type_name(obj)}"


def as_float(value: object, what: str) -> float:
    """A Python float from a student's number (float, numpy scalar, 0-d or 1-element array)."""
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise StudentError(f"{what} is {_kind(value)}, expected a float")
    if isinstance(value, np.ndarray):
        if value.size != 1 or value.dtype.kind not in "fiu":
            raise StudentError(f"{what} is an array of shape {value.shape} and dtype "
                               f"{value.dtype}, expected a single float")
        value = value.reshape(-1)[0]
    if isinstance(value, (complex, np.complexfloating)):
        raise StudentError(f"{what} is a complex number, expected a float")
    try:
        result = float(value)
    except Exception:
        raise StudentError(f"{what} is {_kind(value)}, which float() rejects; "
                           "expected a float") from None
    if type(result) is not float:
        raise StudentError(f"{what} is {_kind(value)}, expected a float")
    return result


def as_array(value: object, what: str) -> np.ndarray:
    """A plain C-contiguous numpy array of a wire dtype, or StudentError saying why not."""
    if isinstance(value, np.ndarray):
        arr = value.view(np.ndarray)
    elif isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value)
        except Exception:
            raise StudentError(f"{what} is a {_type_name(value)} that is not an array") from None
    else:
        raise StudentError(f"{what} is {_kind(value)}, expected a numpy array")
    kind = arr.dtype.kind
    if kind not in "biuf":
        raise StudentError(f"{what} has dtype {arr.dtype}, expected a numeric array")
    target = {"b": np.bool_, "u": np.uint8 if arr.dtype == np.uint8 else np.int64,
              "i": np.int32 if arr.dtype == np.int32 else np.int64,
              "f": np.float32 if arr.dtype == np.float32 else np.float64}[kind]
    nbytes = arr.size * np.dtype(target).itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise StudentError(f"{what} has shape {arr.shape} ({nbytes} bytes): too large to "
                           f"return (limit {MAX_ARRAY_BYTES} bytes)")
    return np.ascontiguousarray(arr, dtype=np.dtype(target).newbyteorder("<"))


class Harness:
    """The student's namespaces and the operations the parent can ask for."""

    def __init__(self, cfg: dict) -> None:
        self.cfg = cfg
        self.namespaces: dict[str, dict] = {ns: self._fresh() for ns in NOTEBOOK_OF}
        self.cell_errors: dict[str, str] = {}
        self.defined: set[str] = set()
        self.functions: dict[str, object] = {}
        self.classes: dict[str, object] = {}
        self.shared: mmap.mmap | None = None

    def shared_array(self, dtype: str, shape: list, offset: int) -> np.ndarray:
        if self.shared is None:
            self.shared = mmap.mmap(self.cfg["shared_fd"], self.cfg["shared_bytes"])
        dt = np.dtype(dtype)
        return np.frombuffer(self.shared, dtype=dt, count=math.prod(shape),
                             offset=offset).reshape(shape)

    @staticmethod
    def _fresh() -> dict:
        return {"__name__": "__main__", "__builtins__": __builtins__, "np": np}

    # ---- definitions
    def define(self, args: dict) -> dict:
        cell, source = args["cell"], args["source"]
        for ns in NAMESPACE_OF_CELL[cell]:
            notebook = NOTEBOOK_OF[ns]
            try:
                code = compile(source, f"<{notebook} cell {cell}>", "exec")
                exec(code, self.namespaces[ns])
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                label = f"the cell `{cell}` of {notebook}"
                self.cell_errors.setdefault(cell, describe(exc, label))
        self.defined.add(cell)
        return {"error": self.cell_errors.get(cell)}

    def seal(self, args: dict) -> dict:
        for name, ns in LOSS_FUNCTIONS.items():
            fn = self.namespaces[ns].get(name)
            if callable(fn):
                self.functions[name] = fn
        for ns, (name, text) in TRUSTED_SUBCLASSES.items():
            namespace = self.namespaces[ns]
            if "LinearClassifier" not in namespace:
                continue
            try:
                exec(compile(text, f"<trusted {name}>", "exec"), namespace)
                self.classes[name] = namespace[name]
            except BaseException as exc:  # noqa: BLE001
                self.cell_errors.setdefault(
                    "linear_classifier",
                    f"`class {name}(LinearClassifier)` failed: {describe(exc, 'it')}; "
                    "LinearClassifier must stay a class")
        return {"cell_errors": self.cell_errors}

    def _missing(self, name: str, cell: str, notebook: str) -> StudentError:
        if cell in self.cell_errors:
            return StudentError(f"{name} is not available: {self.cell_errors[cell]}")
        if cell not in self.defined:
            return StudentError(f"{name} is not available: the cell `{cell}` of {notebook} "
                                "is missing or could not be parsed")
        return StudentError(f"{name} is not available: the cell `{cell}` of {notebook} does "
                            f"not define it (keep the name `{name}` from the release notebook)")

    def function(self, name: object) -> object:
        if name not in LOSS_FUNCTIONS:
            raise StudentError(f"unknown loss function {str(name)[:40]!r}")
        if name not in self.functions:
            raise self._missing(name, name, NOTEBOOK_OF[LOSS_FUNCTIONS[name]])
        return self.functions[name]

    def cls(self, name: object, training: bool = True) -> object:
        """The trusted subclass `name`; training also needs the loss function it calls."""
        if name not in CLASSES:
            raise StudentError(f"unknown classifier {str(name)[:40]!r}")
        if name not in self.classes:
            raise self._missing("LinearClassifier", "linear_classifier", "svm.ipynb")
        loss = {"LinearSVM": "svm_loss_vectorized", "Softmax": "softmax_loss_vectorized"}[name]
        if training and loss not in self.functions:
            problem = self._missing(loss, loss, NOTEBOOK_OF[LOSS_FUNCTIONS[loss]])
            raise StudentError(f"{name} cannot train, since its loss uses {loss}: {problem}")
        return self.classes[name]

    # ---- operations
    def op_loss(self, a: dict) -> dict:
        fn = self.function(a["fn"])
        W, X, y = a["W"], a["X"], a["y"]
        result = call(a["fn"], fn, W, X, y, a["reg"])
        loss, dW = unpack_loss(a["fn"], result)
        return {"loss": loss, "dW": as_array(dW, f"the gradient dW from {a['fn']}"),
                "W_after": W, "X_after": X, "y_after": y}

    def op_time_loss(self, a: dict) -> dict:
        fn = self.function(a["fn"])
        # The parent wrote W, X, y into the shared input area after starting the clock.
        W, X, y = (self.shared_array(*a["inputs"][k]) for k in ("W", "X", "y"))
        reg = a["reg"]
        result = None
        # Fresh views each time: an in-place reshape by one run cannot shrink the next.
        for _ in range(a["repeats"]):
            result = call(a["fn"], fn, W.view(), X.view(), y.view(), reg)
        loss, _ = unpack_loss(a["fn"], result)
        return {"loss": loss}

    def _classifier(self, name: str, W: np.ndarray | None, training: bool = True) -> object:
        cls = self.cls(name, training)
        clf = call(f"{name}()", cls)
        if W is not None:
            clf.W = W
        return clf

    def op_train(self, a: dict) -> dict:
        np.random.seed(a["seed"])
        clf = self._classifier(a["cls"], a.get("W0"))
        history = call(f"{a['cls']}.train", clf.train, a["X"], a["y"],
                       learning_rate=a["learning_rate"], reg=a["reg"],
                       num_iters=a["num_iters"], batch_size=a["batch_size"], verbose=False)
        return {"loss_history": history_array(a["cls"], history),
                "W": as_array(getattr(clf, "W", None), f"{a['cls']}.W after train")}

    def op_predict(self, a: dict) -> dict:
        clf = self._classifier(a["cls"], a["W"], training=False)
        y_pred = call(f"{a['cls']}.predict", clf.predict, a["X"])
        return {"y_pred": as_array(y_pred, f"{a['cls']}.predict's result")}

    def op_cifar_accuracy(self, a: dict) -> dict:
        folder = self.cfg["data_dir"]
        if not folder:
            raise StudentError("the grader prepared no CIFAR-10 data for this session")
        # Copy-on-write maps: writable like the notebook's arrays, shared until written.
        data = {k: np.load(os.path.join(folder, f"{k}.npy"), mmap_mode="c",
                           allow_pickle=False)
                for k in ("X_train", "y_train", "X_val", "X_test")}
        np.random.seed(a["seed"])
        clf = self._classifier(a["cls"], None)
        call(f"{a['cls']}.train", clf.train, data["X_train"], data["y_train"],
             learning_rate=a["learning_rate"], reg=a["reg"], num_iters=a["num_iters"],
             batch_size=a["batch_size"], verbose=False)
        val = call(f"{a['cls']}.predict", clf.predict, data["X_val"])
        test = call(f"{a['cls']}.predict", clf.predict, data["X_test"])
        return {"val_pred": as_array(val, f"{a['cls']}.predict's result"),
                "test_pred": as_array(test, f"{a['cls']}.predict's result")}

    def op_saved_weights(self, a: dict) -> dict:
        name = a["name"]
        path = self.cfg["npz"].get(name) if name in ("svm_best.npz", "softmax_best.npz") else None
        if path is None:
            raise StudentError(f"{str(name)[:40]} is not in the submission: run the "
                               "hyperparameter search cell, which saves it, and submit it")
        try:
            with np.load(path, allow_pickle=False) as npz:
                fields = {k: npz[k] for k in ("W", "learning_rate", "reg", "num_iters",
                                              "batch_size") if k in npz.files}
        except Exception as exc:
            raise StudentError(f"{name} cannot be read as an .npz of arrays "
                               f"({_type_name(exc)}: {str(exc)[:200]}); save it again "
                               "with save_best_model") from None
        missing = [k for k in ("W", "learning_rate", "reg", "num_iters", "batch_size")
                   if k not in fields]
        if missing:
            raise StudentError(f"{name} lacks {', '.join(missing)}: save it with "
                               "save_best_model(...)")
        out: dict = {"W": as_array(fields["W"], f"W in {name}")}
        for key in ("learning_rate", "reg"):
            out[key] = as_float(fields[key], f"{key} in {name}")
        for key in ("num_iters", "batch_size"):
            number = as_float(fields[key], f"{key} in {name}")
            if not number.is_integer():
                raise StudentError(f"{key} in {name} is {number}, expected a whole number")
            out[key] = int(number)
        return out


def call(label: str, fn: object, *args: object, **kwargs: object) -> object:
    """Call student code; turn whatever it raises into a StudentError naming `label`."""
    try:
        return fn(*args, **kwargs)
    except StudentError:
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit, MemoryError, ...
        raise StudentError(describe(exc, label)) from None


def unpack_loss(name: str, result: object) -> tuple[float, object]:
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise StudentError(f"{name} returned {_kind(result)}, expected (loss, dW)")
    return as_float(result[0], f"the loss from {name}"), result[1]


def history_array(cls: str, history: object) -> np.ndarray:
    if not isinstance(history, (list, tuple, np.ndarray)):
        raise StudentError(f"{cls}.train returned {_kind(history)}, expected the loss "
                           "history (a list with one loss per iteration)")
    if len(history) > 10**6:
        raise StudentError(f"{cls}.train returned a loss history of {len(history)} entries")
    return np.array([as_float(v, f"entry {i} of the loss history from {cls}.train")
                     for i, v in enumerate(history)], dtype=np.float64)


def describe(exc: BaseException, label: str) -> str:
    """'<label> raised KeyError: 3 (svm.ipynb, cell svm_loss_naive, line 12)'."""
    try:
        text = str(exc)[:3000]
    except Exception:
        text = "<unprintable>"
    kind = _type_name(exc)
    if isinstance(exc, SystemExit):
        what = f"{label} called sys.exit({text})"
    elif isinstance(exc, MemoryError):
        what = (f"{label} ran out of memory (MemoryError; the memory limit is "
                f"{MEMORY_LIMIT_TEXT})")
    else:
        what = f"{label} raised {kind}: {text}" if text else f"{label} raised {kind}"
    where = ""
    try:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.startswith("<") and " cell " in frame.filename:
                notebook, _, cell = frame.filename.strip("<>").partition(" cell ")
                where = f" ({notebook}, cell {cell}, line {frame.lineno})"
                break
    except Exception:
        pass
    return what + where


MEMORY_LIMIT_TEXT = "?"


# --------------------------------------------------------------------------- main loop


def serve(harness: Harness, req: int, rep: int) -> None:
    handlers = {
        "define": harness.define, "seal": harness.seal, "loss": harness.op_loss,
        "time_loss": harness.op_time_loss, "train": harness.op_train,
        "predict": harness.op_predict, "cifar_accuracy": harness.op_cifar_accuracy,
        "saved_weights": harness.op_saved_weights,
    }
    while True:
        try:
            msg = read_request(req)
        except EOFError:
            return
        reply: dict = {"id": msg["id"], "ok": False, "value": None, "error": None}
        try:
            handler = handlers.get(msg["op"])
            if handler is None:
                raise StudentError(f"unknown operation {msg['op']!r}")
            reply["value"] = handler(msg["args"])
            reply["ok"] = True
        except StudentError as exc:
            reply["error"] = str(exc)
        except BaseException as exc:  # noqa: BLE001 - keep serving whatever happened
            reply["error"] = describe(exc, f"the grader's {msg['op']} operation")
        try:
            parts = encode(reply)
        except Exception as exc:
            parts = encode({"id": msg["id"], "ok": False, "value": None,
                            "error": f"the result could not be sent back: {exc}"})
        write_all(rep, parts)


# Imported before the uid switch: if Python's folder cannot be exposed to the sandbox uid
# (no mount namespace), these modules students use still work.
PRELOAD = ("collections", "copy", "functools", "itertools", "math", "random", "statistics",
           "time", "typing", "warnings", "numpy.linalg", "numpy.random")


def main(argv: list[str]) -> None:
    global MEMORY_LIMIT_TEXT
    for name in PRELOAD:
        __import__(name)
    req, rep = int(argv[1]), int(argv[2])
    cfg = read_request(req)
    MEMORY_LIMIT_TEXT = f"{cfg['limits']['address_space'] / 2**30:.1f} GiB of address space"
    report = confine(cfg)
    faulthandler.enable()
    write_all(rep, encode({"id": 0, "ok": True, "value": report, "error": None}))
    serve(Harness(cfg), req, rep)


if __name__ == "__main__":
    main(sys.argv)
