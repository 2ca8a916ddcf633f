"""Reading the container: the files a submission's folder or .zip holds, each reached
without following a link (`walk`), at most `limits.size_limit` bytes of each. The
notebooks and starter modules are read into memory; the model files are copied to a
private folder, so that what the sandbox later reads is what was checked here."""

from __future__ import annotations

import errno
import os
import stat
import zipfile
from pathlib import Path

from autograder.assignment import Assignment
from autograder.intake import limits
from autograder.intake.archive import read_zip
from autograder.intake.names import lenient, nbgrader_layout
from autograder.intake.submission import Problem, all_targets, keep_model_file, targets_of, wanted
from autograder.intake.walk import DIR_FLAGS, FILE_FLAGS, Link, find, open_below

Contents = tuple[dict[str, bytes], dict[str, Path]]   # file -> bytes, model file -> copy


def container_failed(source: Path, problems: list[Problem]) -> bool:
    """Whether the submission as a whole was refused (its files are then not named one
    by one as missing)."""
    return any(p.notebook == source.name for p in problems)


def link_problem(where: str, spec: Assignment, source: Path) -> Problem:
    return Problem(source.name, None, f"{where} is a link: the grader follows no link, since "
                   "it could lead to another student's work; put the folder or file itself "
                   "in its place and submit again", all_targets(spec))


def read_container(source: Path, extract_to: Path, problems: list[Problem],
                   spec: Assignment) -> Contents:
    """The files a folder or .zip holds, each reached without following a link."""
    try:
        info = os.lstat(source)
    except OSError:
        problems.append(Problem(source.name, None, f"{source} does not exist",
                                all_targets(spec)))
        return {}, {}
    if nbgrader_layout(source) and os.path.islink(os.path.dirname(os.path.abspath(source))):
        # submitted/<student> -> another student's folder
        problems.append(link_problem(lenient(Path(os.path.abspath(source)).parent.name),
                                     spec, source))
        return {}, {}
    if stat.S_ISLNK(info.st_mode):
        problems.append(link_problem(lenient(source.name), spec, source))
        return {}, {}
    try:
        fd = os.open(source, DIR_FLAGS if stat.S_ISDIR(info.st_mode) else FILE_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            problems.append(link_problem(lenient(source.name), spec, source))
        else:
            problems.append(Problem(source.name, None, f"cannot be opened ({exc.strerror})",
                                    all_targets(spec)))
        return {}, {}
    try:
        return _read_opened(source, fd, info, extract_to, problems, spec)
    finally:
        os.close(fd)


def _read_opened(source: Path, fd: int, info: os.stat_result, extract_to: Path,
                 problems: list[Problem], spec: Assignment) -> Contents:
    """The files of the folder or .zip `source`, open as `fd`."""
    if stat.S_ISDIR(info.st_mode):
        try:
            return _read_folder(fd, extract_to, problems, spec)
        except Link as link:
            problems[:] = [link_problem(f"{lenient(source.name)}/{lenient(link.path)}",
                                        spec, source)]
            return {}, {}
    if stat.S_ISREG(info.st_mode):
        with os.fdopen(os.dup(fd), "rb") as fh:
            if source.suffix.lower() == ".zip" or zipfile.is_zipfile(fh):
                return read_zip(fh, source.name, extract_to, problems, spec)
    problems.append(Problem(source.name, None, "is neither a folder nor a .zip file: "
                            "submit the folder with your notebooks, or a .zip of it",
                            all_targets(spec)))
    return {}, {}


def _read_folder(root: int, extract_to: Path, problems: list[Problem],
                 spec: Assignment) -> Contents:
    """The wanted files below the folder `root` (an fd); raises Link for a link on the way
    to one."""
    files: dict[str, bytes] = {}
    model_files: dict[str, Path] = {}
    skipped: list[str] = []
    for name in wanted(spec):
        candidates = find(root, tuple(name.split("/")), skipped)
        if not candidates:
            continue
        if len(candidates) > 1:
            places = ", ".join("/".join(c) for c in candidates)
            problems.append(Problem(name, None, f"found more than one {name} ({places}): "
                                    "submit exactly one", targets_of(name, spec)))
            continue
        data = _read_file(root, candidates[0], name, problems, spec)
        if data is None:
            continue
        if name not in spec.model_files:
            files[name] = data
        else:
            model_files[name] = keep_model_file(extract_to, name, data)
    missing = [n for n in wanted(spec) if n not in files and n not in model_files]
    if skipped and missing:
        problems.append(Problem(", ".join(skipped), None, "not searched: the grader follows "
                                "no link; if your files are there, put the folder itself in "
                                "its place"))
    return files, model_files


def _read_file(root: int, where: tuple[str, ...], name: str, problems: list[Problem],
               spec: Assignment) -> bytes | None:
    """The bytes of the wanted file `name`, found at `where` below `root`, or None (with a
    Problem) when it is not a regular file or is past its size limit."""
    limit = limits.size_limit(name, spec)
    with os.fdopen(open_below(root, where, directory=False), "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode):
            problems.append(Problem(name, None, f"{name} is not a regular file: submit "
                                    "the file itself", targets_of(name, spec)))
            return None
        if info.st_size > limit:
            problems.append(Problem(name, None, f"{name} is {info.st_size} bytes, more "
                                    f"than the {limit} allowed: clear large outputs "
                                    "(Cell > All Output > Clear) and save again",
                                    targets_of(name, spec)))
            return None
        return f.read(limit + 1)


def note_missing_models(source: Path, model_files: dict[str, Path], problems: list[Problem],
                        spec: Assignment) -> None:
    """A problem for each model file that is absent and not already named, telling which
    cell writes it."""
    for name in spec.model_files:
        if name not in model_files and not any(p.notebook == name for p in problems) \
                and not container_failed(source, problems):
            problems.append(Problem(name, None, f"{name} is missing from the submission: it "
                                    f"is written by {spec.saved_by[name]}; submit it with "
                                    "your code", (name,)))
