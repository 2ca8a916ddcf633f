"""The child's root file system: an allow-list, built by the child while still privileged.

Part of the child's side of the door (copied into the child; the parent never imports
it: it plans the root in `root.py` and sends the plan in the child's configuration).
The new root holds the system's programs and libraries, Python as the parent planned it
(`autograder.sandbox.root.ChildPython`), five devices, an empty writable working folder
and the submission's model files, read-only; everything else on the machine (the kit,
other submissions, the grade store, the data set, home folders) is simply not there.
"""

from __future__ import annotations

import ctypes
import os

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MNT_DETACH = 2

# Where the child's own things appear inside its root.
SANDBOX = "/sandbox"
WORK, SUBMISSION = f"{SANDBOX}/work", f"{SANDBOX}/submission"
DEVICES = ("null", "zero", "full", "random", "urandom")
EMPTY_READ_ONLY = ("/tmp", "/var/tmp", "/dev/shm", "/run")

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong,
                        ctypes.c_char_p]
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]
MACHINE = os.uname().machine
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}


def check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def mount(source: str | None, target: str, fstype: str | None, flags: int,
           data: str | None = None) -> None:
    def enc(text: str | None) -> bytes | None:
        return text.encode() if text is not None else None

    check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)),
           f"mount {target}")



def _locked_flags(path: str) -> int:
    """The mount flags of `path` that a remount must keep (a user namespace may not clear
    locked ones)."""
    flag = os.statvfs(path).f_flag
    return sum(ms for st, ms in ((os.ST_NOEXEC, MS_NOEXEC), (os.ST_NOATIME, 1024),
                                 (os.ST_NODIRATIME, 2048), (os.ST_RELATIME, 1 << 21),
                                 (os.ST_NODEV, MS_NODEV), (os.ST_NOSUID, MS_NOSUID))
               if flag & st)


def _bind_read_only(source: str, root: str, target: str | None = None) -> bool:
    """Show `source` (file, folder or symlink) read-only at `target` (default: the same
    path) inside the new root `root`. False when there is nothing to show."""
    inside = root + (target or source)
    if os.path.islink(source) and target is None:
        if not os.path.lexists(inside):
            os.makedirs(os.path.dirname(inside), mode=0o755, exist_ok=True)
            os.symlink(os.readlink(source), inside)
        return True
    if not os.path.exists(source):
        return False
    if os.path.isdir(source):
        os.makedirs(inside, mode=0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(inside), mode=0o755, exist_ok=True)
        if not os.path.exists(inside):
            open(inside, "wb").close()
    mount(source, inside, None, MS_BIND | MS_REC)
    mount(None, inside, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID
           | _locked_flags(inside))
    return True


def _mask(root: str, folder: str, keep: bool) -> bool:
    """Put an empty tmpfs over `folder` inside `root`, writable until `_seal` (its entries
    are bound into it first). Skipped when `root` does not hold the folder and nothing is
    to be kept in it. True when masked."""
    inside = root + folder
    if not (os.path.isdir(inside) or keep):
        return False
    os.makedirs(inside, mode=0o755, exist_ok=True)
    mount("tmpfs", inside, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64k,mode=0755")
    return True


def _seal(root: str, folder: str) -> None:
    mount(None, root + folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)


def _hide(root: str, path: str, keep: list[str], empty: str) -> list[str]:
    """Make the kit's `path` empty inside `root` (a read-only tmpfs over a folder, an empty
    file over a file), all but the way down to what `keep` shows below it. Returns what
    was hidden."""
    inside = root + path
    if not os.path.lexists(inside) or os.path.islink(inside) or path in keep:
        return []
    below = [k for k in keep if k.startswith(path.rstrip("/") + "/")]
    if not below:
        if os.path.isdir(inside):
            mount("tmpfs", inside, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                   "size=4k,mode=0555")
        else:
            mount(empty, inside, None, MS_BIND)
            mount(None, inside, None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID
                   | _locked_flags(inside))
        return [path]
    if not os.path.isdir(inside):
        return []
    hidden = []
    for name in sorted(os.listdir(inside)):
        hidden += _hide(root, os.path.join(path, name), below, empty)
    return hidden


def _build_python(python: dict, root: str, shown: list[str], empty: str) -> list[str]:
    """Python as the parent planned it (`autograder.sandbox.root.ChildPython`): the
    interpreter and its standard library, every install folder emptied but for the
    needed distributions' entries, and the kit's own folders hidden. Returns what the kit
    lost (hidden)."""
    shown += [p for p in python["show"] if _bind_read_only(p, root)]
    entries = python["entries"]
    masked = [s for s in python["sites"]
              if _mask(root, s, any(e.startswith(s + "/") for e in entries))]
    shown += masked
    shown += [e for e in entries if _bind_read_only(e, root)]
    for site in masked:
        _seal(root, site)
    hidden: list[str] = []
    for path in python["hide"]:
        hidden += _hide(root, path, shown, empty)
    return hidden


def build_root(cfg: dict, root: str, uid: int, gid: int, as_root: bool) -> tuple[
        list[str], list[str]]:
    """Make `root` (an empty folder) the child's whole file system: an allow-list.

    Everything else on the machine (the kit, other submissions, the grade store, the raw
    data set, home folders) is simply not there. Returns what was put in, and what of the
    kit had to be hidden below it.
    """
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=1m,mode=0755")
    shown = [p for p in cfg["system"] if _bind_read_only(p, root)]
    hidden = _build_python(cfg["python"], root, shown, cfg["empty"])
    os.makedirs(root + "/dev", mode=0o755)
    mount("tmpfs", root + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=0755")
    for name in DEVICES:
        open(f"{root}/dev/{name}", "wb").close()
        mount(f"/dev/{name}", f"{root}/dev/{name}", None, MS_BIND)
    for path in EMPTY_READ_ONLY:
        if any(p.startswith(path + "/") for p in shown):
            # Python lives below it (a venv in /tmp): the root, read-only, holds only that.
            continue
        os.makedirs(root + path, mode=0o755, exist_ok=True)
        mount("tmpfs", root + path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
               "size=4k,mode=0555")
    # No /proc: nothing there is needed, and it would show the host's paths (cmdline,
    # mountinfo) and let a process reset what the kernel tracks of it.
    os.makedirs(root + WORK, mode=0o755)
    owner = f",uid={uid},gid={gid}" if as_root else ""
    mount("tmpfs", root + WORK, "tmpfs", MS_NOSUID | MS_NODEV,
           f"size={cfg['work_bytes']},mode=0700{owner}")
    shown.append(WORK)
    if _bind_read_only(cfg["submission"], root, SUBMISSION):
        shown.append(SUBMISSION)
    return shown, hidden


def enter_root(root: str) -> None:
    """pivot_root into `root`, drop the old root entirely, make `/` itself read-only."""
    os.chdir(root)
    check(libc.syscall(_PIVOT_ROOT[MACHINE], b".", b"."), "pivot_root")
    check(libc.umount2(b".", MNT_DETACH), "umount the old root")
    os.chdir("/")
    mount(None, "/", None, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
