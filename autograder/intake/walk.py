"""Walking a submission's folder without following a link.

A folder is read by opening one path component at a time (openat), each with O_NOFOLLOW,
from the submission's own folder down to every file read: a link anywhere on the way
(`cs231n -> ../alice/cs231n`, `svm.ipynb -> ../../alice/linear/svm.ipynb`) is met as a
link, never followed, and refuses the submission. A file with a second name (a hard
link) is read: only someone who may write the file itself can make one (never a zip, nor
nbgrader's exchange, which copies), and a TA's snapshot (`cp -al`, `rsync --link-dest`)
makes them for every file of the class.
"""

from __future__ import annotations

import errno
import os
import stat

from autograder.intake import limits
from autograder.intake.names import lenient

DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK


class Link(Exception):
    """A path component that is a link; `path` is relative to the submission."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def open_below(dir_fd: int, parts: tuple[str, ...], *, directory: bool) -> int:
    """An fd of `parts` below `dir_fd`, each component opened with O_NOFOLLOW; raises
    Link naming the first component that is a link, OSError when one is missing."""
    fd = os.dup(dir_fd)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            flags = DIR_FLAGS if directory or not last else FILE_FLAGS
            try:
                info = os.lstat(part, dir_fd=fd)
                if stat.S_ISLNK(info.st_mode):
                    raise Link("/".join(parts[:i + 1]))
                child = os.open(part, flags, dir_fd=fd)
            except OSError as exc:
                # ELOOP: it became a link after lstat (O_NOFOLLOW caught it).
                if exc.errno == errno.ELOOP:
                    raise Link("/".join(parts[:i + 1])) from None
                raise
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def find(root: int, name: tuple[str, ...], skipped: list[str]) -> list[tuple[str, ...]]:
    """`name` (path parts) in the folder `root` or up to MAX_SEARCH_DEPTH levels below,
    skipping hidden folders (`.ipynb_checkpoints` holds stale copies); raises Link when a
    component of a place where `name` would be is a link. Folder links on the way down are
    not followed; they are added to `skipped`."""
    level: list[tuple[str, ...]] = [()]
    for depth in range(limits.MAX_SEARCH_DEPTH + 1):
        found = [d + name for d in level if _exists(root, d + name)]
        if found or depth == limits.MAX_SEARCH_DEPTH:
            return found
        below = []
        for folder in level:
            for entry in _entries(root, folder):
                if entry.name.startswith((".", "__")):
                    continue
                if entry.is_symlink():
                    link = "/".join((*folder, lenient(entry.name)))
                    if link not in skipped:
                        skipped.append(link)
                elif entry.is_dir(follow_symlinks=False):
                    below.append((*folder, entry.name))
        level = below
    return []


def _exists(root: int, parts: tuple[str, ...]) -> bool:
    """Whether `parts` names something below `root` (a link on the way raises Link)."""
    try:
        fd = open_below(root, parts[:-1], directory=True)
    except (FileNotFoundError, NotADirectoryError):
        return False
    try:
        info = os.lstat(parts[-1], dir_fd=fd)
    except FileNotFoundError:
        return False
    finally:
        os.close(fd)
    if stat.S_ISLNK(info.st_mode):
        raise Link("/".join(parts))
    return True


def _entries(root: int, folder: tuple[str, ...]) -> list[os.DirEntry]:
    try:
        fd = open_below(root, folder, directory=True)
    except OSError:
        return []
    try:
        with os.scandir(fd) as it:
            return sorted(it, key=lambda e: e.name)
    finally:
        os.close(fd)
