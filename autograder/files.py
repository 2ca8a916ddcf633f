"""Files only the grader's user may read: its secrets, the grade store, the reports.

The sandbox's child runs as another uid; what the grader keeps (grade store, test
labels, the training split, feedback not yet released) must not be world-readable, so
it is made with `private_dir` / `write_private` (0700 / 0600), whatever the umask.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path


def private_dir(path: str | os.PathLike[str], tighten: bool = True) -> Path:
    """Create a folder only its owner can enter (0700): for grader secrets and outputs
    that hold student work. An existing folder is tightened to 0700 when `tighten`, unless
    it is a shared one (sticky, as /tmp): never lock others out of a folder the grader did
    not make for itself. Files in it are 0600 anyway (`write_private`); pass
    tighten=False for the folder that merely holds such a file (a store, the secret),
    which may be the course's folder, shared with other TAs."""
    folder = Path(path)
    existed = folder.is_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not existed or (tighten and not folder.stat().st_mode & stat.S_ISVTX):
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
