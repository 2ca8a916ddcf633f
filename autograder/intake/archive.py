"""Reading a .zip: the wanted members read into memory by name, never unpacked to a path
the archive chooses. An archive past its limits or holding a link, an absolute path or
`..` is refused whole; a member that cannot be read costs only its own targets."""

from __future__ import annotations

import os
import re
import stat
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO

from autograder.assignment import Assignment
from autograder.intake import limits
from autograder.intake.names import lenient
from autograder.intake.submission import Problem, all_targets, keep_model_file, targets_of, wanted

# What reading a damaged archive member can raise (zlib.error: a broken deflate stream).
ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError,
              NotImplementedError, UnicodeDecodeError, zlib.error, ValueError,
              RuntimeError, OverflowError)

Members = dict[str, list[tuple[zipfile.ZipInfo, list[str]]]]  # base name -> (member, parts)


def read_zip(fh: BinaryIO, name: str, extract_to: Path, problems: list[Problem],
             spec: Assignment) -> tuple[dict[str, bytes], dict[str, Path]]:
    """The wanted members of the .zip open as `fh` (named `name`)."""

    def refuse(message: str) -> tuple[dict[str, bytes], dict[str, Path]]:
        problems.append(Problem(name, None, message, all_targets(spec)))
        return {}, {}

    if os.fstat(fh.fileno()).st_size > limits.MAX_ZIP_BYTES:
        return refuse(f"the .zip is larger than {limits.MAX_ZIP_BYTES} bytes: leave the data "
                      "set and other large files out of it")
    try:
        fh.seek(0)
        archive = zipfile.ZipFile(fh)
    except ZIP_ERRORS as exc:
        return refuse(f"cannot be read as a .zip file ({lenient(str(exc))[:200]}): zip the "
                      "folder again with an ordinary zip tool")
    with archive:
        members = archive.infolist()
        refused = _refused(members)
        if refused:
            return refuse(refused)
        return _read_wanted(archive, _by_name(members), extract_to, problems, spec)


def _refused(members: list[zipfile.ZipInfo]) -> str | None:
    """Why the archive holding `members` is refused whole, or None."""
    if len(members) > limits.MAX_ZIP_MEMBERS:
        return (f"the .zip holds {len(members)} files (limit {limits.MAX_ZIP_MEMBERS}): "
                "zip only the notebooks and the .npz files")
    if sum(m.file_size for m in members) > limits.MAX_ZIP_UNCOMPRESSED:
        return (f"the .zip would unpack to more than {limits.MAX_ZIP_UNCOMPRESSED} bytes: "
                "zip only the notebooks and the .npz files")
    for member in members:
        unsafe = _unsafe_member(member)
        if unsafe:
            return (f"the .zip member {lenient(member.filename)!r} {unsafe}: zip "
                    "the folder with an ordinary zip tool")
    return None


def _unsafe_member(member: zipfile.ZipInfo) -> str | None:
    name = member.filename
    if "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "has an absolute path"
    if ".." in re.split(r"[\\/]", name):
        return "has a path that leaves the folder (..)"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "is a symbolic link"
    return None


def _by_name(members: list[zipfile.ZipInfo]) -> Members:
    """The file members by base name, leaving out folders and whatever lies in a hidden
    folder (`.ipynb_checkpoints`, `__MACOSX`)."""
    by_name: Members = {}
    for member in members:
        parts = [p for p in re.split(r"[\\/]", member.filename) if p]
        if member.is_dir() or not parts or any(p.startswith((".", "__")) for p in parts[:-1]):
            continue
        by_name.setdefault(parts[-1], []).append((member, parts))
    return by_name


def _read_wanted(archive: zipfile.ZipFile, by_name: Members, extract_to: Path,
                 problems: list[Problem],
                 spec: Assignment) -> tuple[dict[str, bytes], dict[str, Path]]:
    """Each wanted file found exactly once in the archive, read within its size limit."""
    files: dict[str, bytes] = {}
    model_files: dict[str, Path] = {}
    for name in wanted(spec):
        tail = name.split("/")
        found = [m for m, parts in by_name.get(tail[-1], []) if parts[-len(tail):] == tail]
        if len(found) > 1:
            places = ", ".join(m.filename for m in found)
            problems.append(Problem(name, None, f"the .zip holds more than one {name} "
                                    f"({places}): submit exactly one",
                                    targets_of(name, spec)))
            continue
        data = _read_member(archive, found[0], name, problems, spec) if found else None
        if data is None:
            continue
        if name not in spec.model_files:
            files[name] = data
        else:
            model_files[name] = keep_model_file(extract_to, name, data)
    return files, model_files


def _read_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, name: str,
                 problems: list[Problem], spec: Assignment) -> bytes | None:
    """The bytes of `member` (the wanted file `name`), or None with a Problem when it is
    encrypted, damaged or past its size limit."""
    limit = limits.size_limit(name, spec)
    if member.flag_bits & 0x1:
        problems.append(Problem(name, None, f"{name} is encrypted in the .zip: "
                                "zip it without a password", targets_of(name, spec)))
        return None
    try:
        with archive.open(member) as f:
            # Read at most limit+1 bytes whatever the member claims (zip bombs).
            data = f.read(limit + 1)
    except ZIP_ERRORS as exc:
        problems.append(Problem(name, None, f"{name} cannot be unpacked from the "
                                f".zip ({type(exc).__name__}: "
                                f"{lenient(str(exc))[:200]}): zip it again",
                                targets_of(name, spec)))
        return None
    if len(data) > limit:
        problems.append(Problem(name, None, f"{name} is larger than {limit} "
                                "bytes: clear large outputs and save again",
                                targets_of(name, spec)))
        return None
    return data
