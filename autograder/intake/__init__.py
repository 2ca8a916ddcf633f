"""Read a submission as data, without executing any of it.

A submission is a folder (nbgrader's `submitted/<student>/<assignment>/` is one) or a .zip
holding the notebooks its assignment names (`autograder.assignment`: for the NumPy
assignment svm.ipynb and softmax.ipynb, and normally svm_best.npz and softmax_best.npz),
or the module files of CS231n's starter layout. This module parses the notebooks as JSON,
finds the definition cells by nbgrader grade_id,
checks that each parses as Python (`ast.parse` only compiles to a tree, it runs nothing)
and still defines what the checks call, and locates the .npz files without opening them
(they are read inside the sandbox). Every problem becomes a `Problem` with a message for
the student and the targets it makes ungradable; nothing here raises for a bad submission.

Reading is bounded: `load_submission` parses in a separate process with limits on memory
(`PARSE_MEMORY_BYTES`) and time (`PARSE_SECONDS`), so a notebook built to make `json` or
`ast` use gigabytes, a zip bomb or a damaged archive costs that submission a clear
message, never the grader's memory or the rest of the batch. Every text taken from the
submission (file names, cell sources) is decoded leniently.

No file is read through a link: a folder is walked one component at a time with
O_NOFOLLOW, from the submission itself (and nbgrader's student folder) down to every file
read, and a link on the way or a link member of a .zip refuses the whole submission with
a message naming it (a hard link is the file itself, read like any other). The
submission's id is `ids.submission_id` of its name.
"""

from __future__ import annotations

import ast
import errno
import hashlib
import json
import os
import re
import resource
import shutil
import stat
import subprocess
import sys
import tempfile
import weakref
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from autograder import rules
from autograder.assignment import Assignment
from autograder.assignment import dumps as assignment_json
from autograder.assignment import load as load_assignment
from autograder.assignment import loads as assignment_from_json
from autograder.ids import submission_id

# The layout of a CS231n starter submission: definitions from its module files
# (`Assignment.starter_modules`); its notebooks carry only the searches and answers.
STARTER = "cs231n_starter"
NOTEBOOK_LAYOUT = "notebooks"

MAX_NOTEBOOK_BYTES = 32 * 2**20
MAX_NPZ_BYTES = 16 * 2**20
MAX_ZIP_BYTES = 256 * 2**20            # the .zip file itself
MAX_ZIP_UNCOMPRESSED = 512 * 2**20     # all members together, as declared
MAX_ZIP_MEMBERS = 2000
MAX_SEARCH_DEPTH = 2                   # folders below PATH searched for the notebooks
MAX_CELL_CHARS = 2**20                 # one definition cell (a solution is a few KB)
PARSE_MEMORY_BYTES = 2 * 2**30         # address space of the process that parses
PARSE_SECONDS = 60                     # its CPU time and (x2) wall-clock time
# What reading a damaged archive member can raise (zlib.error: a broken deflate stream).
_ZIP_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError,
               NotImplementedError, UnicodeDecodeError, zlib.error, ValueError,
               RuntimeError, OverflowError)
MAGIC_LINE = re.compile(r"^(\s*)([%!].*)$")
# Python 2 as Python 3's parser rejects it (a pattern of its message or of the line): what
# it is, and its Python 3 spelling.
PYTHON2_SYNTAX = (
    (re.compile(r"Missing parentheses in call to 'print'"), "a print statement",
     "write print(...)"),
    (re.compile(r"Missing parentheses in call to 'exec'"), "an exec statement",
     "write exec(...)"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"), "`except E, e:`",
     "write `except E as e:`"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "`raise E, message`", "write `raise E(message)`"),
    (re.compile(r"leading zeros in decimal integer"), "an octal literal such as 0777",
     "write 0o777"),
    (re.compile(r"[\w)\]]\s*<>\s*[\w(\[]"), "the operator <>", "write !="),
    (re.compile(r"`[^`'\"]+`"), "backquotes", "write repr(...)"),
)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a submission, worded for the student.

    `targets` are the grade_ids (or .npz names) that cannot be graded because of it;
    empty for a note that changes nothing (e.g. an IPython magic that was removed).
    """

    notebook: str
    cell: str | None
    message: str
    targets: tuple[str, ...] = ()

    def __str__(self) -> str:
        where = f"{self.notebook}, cell `{self.cell}`" if self.cell else self.notebook
        return f"{where}: {self.message}"


@dataclass
class Submission:
    """A parsed submission: what the sandbox runs and what the report says about it."""

    source: Path                       # the folder or .zip given
    name: str                          # student (nbgrader layout) or folder/zip stem
    cells: dict[str, str]              # grade_id -> Python source (magics removed)
    problems: list[Problem]
    content_hash: str                  # sha256 of the definition cells and the .npz bytes
    # present, size-checked model files (name -> where intake put them)
    model_files: dict[str, Path] = field(default_factory=dict)
    layout: str = NOTEBOOK_LAYOUT      # or STARTER: definitions from CS231n's module files
    modules: dict[str, str] = field(default_factory=dict)   # module file -> its source
    origins: dict[str, str] = field(default_factory=dict)   # grade_id -> its module file
    # rule -> grade_id -> what the assignment's [rules] found in its source (rules.py)
    findings: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    @property
    def ungradable(self) -> set[str]:
        """Targets (grade_ids, .npz names) that a problem keeps from being graded."""
        return {t for p in self.problems for t in p.targets}


def load_submission(path: str | os.PathLike[str],
                    spec: Assignment | None = None) -> Submission:
    """Parse the submission at `path` (folder or .zip) into a `Submission`; never raises
    for a malformed submission: each problem is recorded in `Submission.problems`.

    The parsing runs in a child process limited in memory and time (`_parse_bounded`).
    For a .zip, the .npz members are extracted to a private temporary folder that lives as
    long as the returned `Submission`.
    """
    source = Path(path)
    tmp = tempfile.mkdtemp(prefix="autograder-intake-")
    os.chmod(tmp, 0o700)
    submission = _parse_bounded(source, Path(tmp), spec or load_assignment())
    weakref.finalize(submission, shutil.rmtree, tmp, True)
    return submission


_PARSER = (f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r}); "
           "from autograder.intake import main; main(sys.argv)")


def _parse_bounded(source: Path, extract_to: Path, spec: Assignment) -> Submission:
    """`_parse(source)` in a fresh interpreter, under RLIMIT_AS and RLIMIT_CPU."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (PARSE_MEMORY_BYTES,) * 2)
        resource.setrlimit(resource.RLIMIT_CPU, (PARSE_SECONDS, PARSE_SECONDS + 1))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    name = _submission_name(source)
    why = None
    try:
        run = subprocess.run(
            [sys.executable, "-I", "-c", _PARSER, os.fsencode(source), str(extract_to),
             assignment_json(spec)],
            capture_output=True, preexec_fn=limit, timeout=2 * PARSE_SECONDS,
            cwd=extract_to, env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        if run.returncode == 0:
            return _from_json(source, name, json.loads(run.stdout))
        why = (f"reading it stopped ({_exit_reason(run.returncode)}; the limits are "
               f"{PARSE_MEMORY_BYTES // 2**30} GiB and {PARSE_SECONDS} s)")
    except subprocess.TimeoutExpired:
        why = f"reading it took more than {2 * PARSE_SECONDS} s"
    except (ValueError, KeyError, TypeError):
        why = "reading it gave no usable result"
    problem = Problem(source.name, None, f"could not be read: {why}; it is damaged or built "
                      "to be far larger than a notebook: submit the notebooks as Jupyter "
                      "saved them (and their .npz files), zipped by an ordinary tool",
                      _all_targets(spec))
    return Submission(source=source, name=name, cells={}, problems=[problem],
                      content_hash=hashlib.sha256(f"unreadable {name}".encode(
                          "utf-8", "surrogatepass")).hexdigest())


def _exit_reason(code: int) -> str:
    if code == 3:
        return "out of memory"
    if code < 0:
        return {9: "killed: out of time or memory", 24: "out of CPU time"}.get(
            -code, f"signal {-code}")
    return f"status {code}"


def _from_json(source: Path, name: str, data: dict) -> Submission:
    problems = [Problem(p[0], p[1], p[2], tuple(p[3])) for p in data["problems"]]
    return Submission(source=source, name=name, cells=dict(data["cells"]), problems=problems,
                      content_hash=str(data["content_hash"]),
                      model_files={k: Path(v) for k, v in data["model_files"].items()},
                      layout=str(data["layout"]), modules=dict(data["modules"]),
                      origins=dict(data["origins"]), findings=dict(data["findings"]))


def _to_json(submission: Submission) -> str:
    return json.dumps({
        "cells": submission.cells,
        "problems": [[p.notebook, p.cell, p.message, list(p.targets)]
                     for p in submission.problems],
        "content_hash": submission.content_hash,
        "model_files": {k: str(v) for k, v in submission.model_files.items()},
        "layout": submission.layout, "modules": submission.modules,
        "origins": submission.origins, "findings": submission.findings,
    })


def main(argv: list[str]) -> None:
    """`main([_, SOURCE, EXTRACT_TO, SPEC])` (SPEC: the Assignment as JSON): the
    Submission parsed as JSON on stdout."""
    try:
        submission = _parse(Path(os.fsdecode(argv[1])), Path(argv[2]),
                            assignment_from_json(argv[3]))
    except MemoryError:
        sys.exit(3)
    sys.stdout.write(_to_json(submission))


def _parse(source: Path, extract_to: Path, spec: Assignment) -> Submission:
    """Parse in this process (the bounded child of `load_submission`)."""
    problems: list[Problem] = []
    files, npz = _read_container(source, extract_to, problems, spec)

    cells: dict[str, str] = {}
    raw_cells: dict[str, str] = {}
    if any(path in files for path in spec.starter_modules):
        modules = _starter_modules(files, problems, spec)
        # Every definition's file, handed in or not: the messages name it.
        origins = {g: path for path, ids in spec.starter_modules.items() for g in ids}
        cells = {g: modules[path] for g, path in origins.items() if path in modules}
        return Submission(source=source, name=_submission_name(source), cells=cells,
                          problems=problems, content_hash=_content_hash(cells, npz),
                          model_files=npz, layout=STARTER, modules=modules, origins=origins,
                          findings=_apply_rules(cells, problems, spec, origins))
    for notebook in spec.notebooks:
        if notebook in files:
            found = _definition_cells(notebook, files[notebook], problems, spec)
            raw_cells.update(found)
            for grade_id, text in found.items():
                python = _python_source(notebook, grade_id, text, problems, spec)
                if python is not None:
                    cells[grade_id] = python
        elif not _container_failed(source, problems):
            problems.append(Problem(notebook, None, f"{notebook} is missing from the "
                                    "submission: submit it next to the other notebook",
                                    tuple(spec.notebooks[notebook])))
    for name in spec.model_files:
        if name not in npz and not any(p.notebook == name for p in problems) \
                and not _container_failed(source, problems):
            problems.append(Problem(name, None, f"{name} is missing from the submission: it "
                                    f"is written by {spec.saved_by[name]}; submit it with "
                                    "your code", (name,)))

    findings = _apply_rules(cells, problems, spec)
    return Submission(source=source, name=_submission_name(source), cells=cells,
                      problems=problems, content_hash=_content_hash(raw_cells, npz),
                      model_files=npz, findings=findings)


def _apply_rules(cells: dict[str, str], problems: list[Problem], spec: Assignment,
                 origins: dict[str, str] | None = None) -> dict[str, dict[str, list[str]]]:
    """The assignment's [rules] on the definitions' source; a blocking rule's finding is a
    problem of that definition and of every target that runs it (its `needs`): their
    checks score 0, saying why. A blocked cell of a notebook is not sent to the child at
    all; the parent's blocking holds even where other code puts the function back."""
    findings = rules.scan(cells, spec.rules, origins)
    for name, found in findings.items():
        rule = spec.rules[name]
        if not rule.get("block"):
            continue
        for grade_id, where in found.items():
            shown = ", ".join(where[:3]) + (f" and {len(where) - 3} more" if len(where) > 3
                                            else "")
            origin = (origins or {}).get(grade_id)
            users = tuple(t for t, needed in spec.needs.items() if grade_id in needed)
            problems.append(Problem(origin or spec.notebook_of[grade_id],
                                    None if origin else grade_id,
                                    f"{grade_id} {rule.get('what', 'breaks ' + name)}: "
                                    f"{shown}; {rule.get('fix', '')}".rstrip("; "),
                                    (grade_id, *users)))
            if origin is None:
                cells.pop(grade_id, None)
    return findings


# --------------------------------------------------------------------------- containers


def _container_failed(source: Path, problems: list[Problem]) -> bool:
    return any(p.notebook == source.name for p in problems)


def _all_targets(spec: Assignment) -> tuple[str, ...]:
    return (*spec.definitions, *spec.model_files)


def _wanted(spec: Assignment) -> tuple[str, ...]:
    """Every file of a submission that intake reads or locates."""
    return (*spec.notebooks, *spec.model_files, *spec.starter_modules)


def _submission_name(source: Path) -> str:
    """The student's id (`ids.submission_id`): nbgrader's submitted/<student>/<assignment>/
    names the student, else the folder or zip does. The path is read as given, links not
    resolved: a link is refused, never taken for what it points to."""
    parts = Path(os.path.abspath(source)).parts
    return submission_id(parts[-2] if _nbgrader_layout(source) else parts[-1])


def _nbgrader_layout(source: Path) -> bool:
    """True for nbgrader's .../submitted/<student>/<assignment>/."""
    parts = Path(os.path.abspath(source)).parts
    return len(parts) >= 3 and parts[-3] == "submitted"


def lenient(text: str) -> str:
    """A str that encodes as UTF-8: undecodable bytes of a file name (surrogate escapes)
    and lone surrogates become U+FFFD."""
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)


# --------------------------------------------------------------------------- links
#
# A folder is read by opening one path component at a time (openat), each with O_NOFOLLOW,
# from the submission's own folder down to every file read: a link anywhere on the way
# (`cs231n -> ../alice/cs231n`, `svm.ipynb -> ../../alice/linear/svm.ipynb`) is met as a
# link, never followed, and refuses the submission. A file with a second name (a hard
# link) is read: only someone who may write the file itself can make one (never a zip, nor
# nbgrader's exchange, which copies), and a TA's snapshot (`cp -al`, `rsync --link-dest`)
# makes them for every file of the class.


class _Link(Exception):
    """A path component that is a link; `path` is relative to the submission."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def _open_below(dir_fd: int, parts: tuple[str, ...], *, directory: bool) -> int:
    """An fd of `parts` below `dir_fd`, each component opened with O_NOFOLLOW; raises
    _Link naming the first component that is a link, OSError when one is missing."""
    fd = os.dup(dir_fd)
    try:
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            flags = _DIR_FLAGS if directory or not last else \
                os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
            try:
                info = os.lstat(part, dir_fd=fd)
                if stat.S_ISLNK(info.st_mode):
                    raise _Link("/".join(parts[:i + 1]))
                child = os.open(part, flags, dir_fd=fd)
            except OSError as exc:
                # ELOOP: it became a link after lstat (O_NOFOLLOW caught it).
                if exc.errno == errno.ELOOP:
                    raise _Link("/".join(parts[:i + 1])) from None
                raise
            os.close(fd)
            fd = child
        return fd
    except BaseException:
        os.close(fd)
        raise


def _link_problem(where: str, spec: Assignment, source: Path) -> Problem:
    return Problem(source.name, None, f"{where} is a link: the grader follows no link, since "
                   "it could lead to another student's work; put the folder or file itself "
                   "in its place and submit again", _all_targets(spec))


def _read_container(source: Path, extract_to: Path, problems: list[Problem],
                    spec: Assignment) -> tuple[dict[str, bytes], dict[str, Path]]:
    """The files a folder or .zip holds, each reached without following a link."""
    try:
        info = os.lstat(source)
    except OSError:
        problems.append(Problem(source.name, None, f"{source} does not exist",
                                _all_targets(spec)))
        return {}, {}
    if _nbgrader_layout(source) and os.path.islink(os.path.dirname(os.path.abspath(source))):
        # submitted/<student> -> another student's folder
        problems.append(_link_problem(lenient(Path(os.path.abspath(source)).parent.name),
                                      spec, source))
        return {}, {}
    if stat.S_ISLNK(info.st_mode):
        problems.append(_link_problem(lenient(source.name), spec, source))
        return {}, {}
    try:
        fd = os.open(source, (_DIR_FLAGS if stat.S_ISDIR(info.st_mode) else
                              os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK))
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            problems.append(_link_problem(lenient(source.name), spec, source))
        else:
            problems.append(Problem(source.name, None, f"cannot be opened ({exc.strerror})",
                                    _all_targets(spec)))
        return {}, {}
    try:
        if stat.S_ISDIR(info.st_mode):
            try:
                return _read_folder(fd, extract_to, problems, spec)
            except _Link as link:
                problems[:] = [_link_problem(f"{lenient(source.name)}/{lenient(link.path)}",
                                             spec, source)]
                return {}, {}
        if stat.S_ISREG(info.st_mode):
            with os.fdopen(os.dup(fd), "rb") as fh:
                if source.suffix.lower() == ".zip" or zipfile.is_zipfile(fh):
                    return _read_zip(fh, source.name, extract_to, problems, spec)
    finally:
        os.close(fd)
    problems.append(Problem(source.name, None, "is neither a folder nor a .zip file: "
                            "submit the folder with your notebooks, or a .zip of it",
                            _all_targets(spec)))
    return {}, {}


def _read_folder(root: int, extract_to: Path, problems: list[Problem],
                 spec: Assignment) -> tuple[dict[str, bytes], dict[str, Path]]:
    """The wanted files below the folder `root` (an fd); raises _Link for a link on the way
    to one. The .npz files are copied to `extract_to`, so that what the sandbox later
    reads is what was checked here."""
    files: dict[str, bytes] = {}
    npz: dict[str, Path] = {}
    skipped: list[str] = []
    for name in _wanted(spec):
        candidates = _find(root, tuple(name.split("/")), skipped)
        if not candidates:
            continue
        if len(candidates) > 1:
            places = ", ".join("/".join(c) for c in candidates)
            problems.append(Problem(name, None, f"found more than one {name} ({places}): "
                                    "submit exactly one", _targets_of(name, spec)))
            continue
        where = candidates[0]
        limit = _size_limit(name, spec)
        fd = _open_below(root, where, directory=False)
        with os.fdopen(fd, "rb") as f:
            info = os.fstat(f.fileno())
            if not stat.S_ISREG(info.st_mode):
                problems.append(Problem(name, None, f"{name} is not a regular file: submit "
                                        "the file itself", _targets_of(name, spec)))
            elif info.st_size > limit:
                problems.append(Problem(name, None, f"{name} is {info.st_size} bytes, more "
                                        f"than the {limit} allowed: clear large outputs "
                                        "(Cell > All Output > Clear) and save again",
                                        _targets_of(name, spec)))
            elif name not in spec.model_files:
                files[name] = f.read(limit + 1)
            else:
                target = extract_to / name
                # A model file may sit in a folder (cs231n/saved/...).
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(f.read(limit + 1))
                npz[name] = target
    missing = [n for n in _wanted(spec) if n not in files and n not in npz]
    if skipped and missing:
        problems.append(Problem(", ".join(skipped), None, "not searched: the grader follows "
                                "no link; if your files are there, put the folder itself in "
                                "its place"))
    return files, npz


def _find(root: int, name: tuple[str, ...], skipped: list[str]) -> list[tuple[str, ...]]:
    """`name` (path parts) in the folder `root` or up to MAX_SEARCH_DEPTH levels below,
    skipping hidden folders (`.ipynb_checkpoints` holds stale copies); raises _Link when a
    component of a place where `name` would be is a link. Folder links on the way down are
    not followed; they are added to `skipped`."""
    level: list[tuple[str, ...]] = [()]
    for depth in range(MAX_SEARCH_DEPTH + 1):
        found = [d + name for d in level if _exists(root, d + name)]
        if found or depth == MAX_SEARCH_DEPTH:
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
    """Whether `parts` names something below `root` (a link on the way raises _Link)."""
    try:
        fd = _open_below(root, parts[:-1], directory=True)
    except (FileNotFoundError, NotADirectoryError):
        return False
    try:
        info = os.lstat(parts[-1], dir_fd=fd)
    except FileNotFoundError:
        return False
    finally:
        os.close(fd)
    if stat.S_ISLNK(info.st_mode):
        raise _Link("/".join(parts))
    return True


def _entries(root: int, folder: tuple[str, ...]) -> list[os.DirEntry]:
    try:
        fd = _open_below(root, folder, directory=True)
    except OSError:
        return []
    try:
        with os.scandir(fd) as it:
            return sorted(it, key=lambda e: e.name)
    finally:
        os.close(fd)


def _read_zip(fh: BinaryIO, name: str, extract_to: Path, problems: list[Problem],
              spec: Assignment) -> tuple[dict[str, bytes], dict[str, Path]]:
    """The wanted members of the .zip open as `fh` (named `name`), read into memory by
    name: nothing is unpacked to a path the archive chooses, and an archive holding a link,
    an absolute path or `..` is refused whole."""
    files: dict[str, bytes] = {}
    npz: dict[str, Path] = {}

    def refuse(message: str) -> tuple[dict[str, bytes], dict[str, Path]]:
        problems.append(Problem(name, None, message, _all_targets(spec)))
        return {}, {}

    info = os.fstat(fh.fileno())
    if info.st_size > MAX_ZIP_BYTES:
        return refuse(f"the .zip is larger than {MAX_ZIP_BYTES} bytes: leave the data set "
                      "and other large files out of it")
    try:
        fh.seek(0)
        archive = zipfile.ZipFile(fh)
    except _ZIP_ERRORS as exc:
        return refuse(f"cannot be read as a .zip file ({lenient(str(exc))[:200]}): zip the "
                      "folder again with an ordinary zip tool")
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            return refuse(f"the .zip holds {len(members)} files (limit {MAX_ZIP_MEMBERS}): "
                          "zip only the notebooks and the .npz files")
        if sum(m.file_size for m in members) > MAX_ZIP_UNCOMPRESSED:
            return refuse(f"the .zip would unpack to more than {MAX_ZIP_UNCOMPRESSED} bytes: "
                          "zip only the notebooks and the .npz files")
        for member in members:
            unsafe = _unsafe_member(member)
            if unsafe:
                return refuse(f"the .zip member {lenient(member.filename)!r} {unsafe}: zip "
                              "the folder with an ordinary zip tool")
        by_name: dict[str, list[tuple[zipfile.ZipInfo, list[str]]]] = {}
        for member in members:
            parts = [p for p in re.split(r"[\\/]", member.filename) if p]
            if member.is_dir() or not parts or any(p.startswith((".", "__")) for p in parts[:-1]):
                continue
            by_name.setdefault(parts[-1], []).append((member, parts))
        for wanted in _wanted(spec):
            tail = wanted.split("/")
            found = [m for m, parts in by_name.get(tail[-1], []) if parts[-len(tail):] == tail]
            if len(found) > 1:
                places = ", ".join(m.filename for m in found)
                problems.append(Problem(wanted, None, f"the .zip holds more than one {wanted} "
                                        f"({places}): submit exactly one",
                                        _targets_of(wanted, spec)))
                continue
            if not found:
                continue
            member = found[0]
            limit = _size_limit(wanted, spec)
            if member.flag_bits & 0x1:
                problems.append(Problem(wanted, None, f"{wanted} is encrypted in the .zip: "
                                        "zip it without a password", _targets_of(wanted, spec)))
                continue
            try:
                with archive.open(member) as f:
                    # Read at most limit+1 bytes whatever the member claims (zip bombs).
                    data = f.read(limit + 1)
            except _ZIP_ERRORS as exc:
                problems.append(Problem(wanted, None, f"{wanted} cannot be unpacked from the "
                                        f".zip ({type(exc).__name__}: "
                                        f"{lenient(str(exc))[:200]}): zip it again",
                                        _targets_of(wanted, spec)))
                continue
            if len(data) > limit:
                problems.append(Problem(wanted, None, f"{wanted} is larger than {limit} "
                                        "bytes: clear large outputs and save again",
                                        _targets_of(wanted, spec)))
            elif wanted not in spec.model_files:
                files[wanted] = data
            else:
                target = extract_to / wanted
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                npz[wanted] = target
    return files, npz


def _unsafe_member(member: zipfile.ZipInfo) -> str | None:
    name = member.filename
    if "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return "has an absolute path"
    if ".." in re.split(r"[\\/]", name):
        return "has a path that leaves the folder (..)"
    if stat.S_ISLNK(member.external_attr >> 16):
        return "is a symbolic link"
    return None


def _targets_of(name: str, spec: Assignment) -> tuple[str, ...]:
    return tuple(spec.notebooks.get(name, {})) or spec.starter_modules.get(name) or (name,)


def _size_limit(name: str, spec: Assignment) -> int:
    if name in spec.notebooks:
        return MAX_NOTEBOOK_BYTES
    return MAX_NPZ_BYTES if name in spec.model_files else MAX_CELL_CHARS


# --------------------------------------------------------------------------- notebooks


def _definition_cells(notebook: str, data: bytes, problems: list[Problem],
                      spec: Assignment) -> dict[str, str]:
    """grade_id -> source of the definition cells found in one notebook file."""
    wanted = spec.notebooks[notebook]
    every = tuple(wanted)

    def fail(message: str) -> dict[str, str]:
        problems.append(Problem(notebook, None, message, every))
        return {}

    try:
        nb = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return fail(f"is not a valid notebook (not JSON: {str(exc)[:120]}); it may have been "
                    "damaged while saving: download it again from Jupyter (File > Download)")
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        return fail("is not a Jupyter notebook (no list of cells): submit the .ipynb file "
                    "saved by Jupyter")
    if nb.get("nbformat") != 4:
        return fail(f"uses notebook format {nb.get('nbformat')!r}, but version 4 is needed: "
                    "open it in a current Jupyter and save it again")
    found: dict[str, str] = {}
    for cell in nb["cells"]:
        if not isinstance(cell, dict):
            continue
        meta = cell.get("metadata")
        nbg = meta.get("nbgrader") if isinstance(meta, dict) else None
        grade_id = nbg.get("grade_id") if isinstance(nbg, dict) else None
        if grade_id not in wanted:
            continue
        if grade_id in found:
            problems.append(Problem(notebook, grade_id, "appears twice (a copied cell keeps "
                                    "its grade_id): delete the copy and keep your code in "
                                    "the original cell", (grade_id,)))
            found[grade_id] = None  # type: ignore[assignment]
            continue
        source = cell.get("source")
        if isinstance(source, list) and all(isinstance(s, str) for s in source):
            source = "".join(source)
        if cell.get("cell_type") != "code":
            problems.append(Problem(notebook, grade_id, "is no longer a code cell: change it "
                                    "back to Code (Esc, then Y) and keep your code in it",
                                    (grade_id,)))
            found[grade_id] = None  # type: ignore[assignment]
            continue
        if not isinstance(source, str):
            problems.append(Problem(notebook, grade_id, "has a damaged source (not text, but "
                                    f"{type(source).__name__}): the notebook was not saved by "
                                    "Jupyter; copy your code into the cell of the released "
                                    "notebook", (grade_id,)))
            found[grade_id] = None  # type: ignore[assignment]
            continue
        if len(source) > MAX_CELL_CHARS:
            problems.append(Problem(notebook, grade_id, f"holds {len(source)} characters, "
                                    f"more than the {MAX_CELL_CHARS} a definition cell may "
                                    "hold: keep only your functions in it", (grade_id,)))
            found[grade_id] = None  # type: ignore[assignment]
            continue
        found[grade_id] = lenient(source)
    for grade_id in wanted:
        if grade_id not in found:
            problems.append(Problem(notebook, grade_id, "is missing (the cell was deleted or "
                                    "its metadata lost): copy the cell from the released "
                                    "notebook and put your code back into it", (grade_id,)))
    return {g: s for g, s in found.items() if s is not None}


def _starter_modules(files: dict[str, bytes], problems: list[Problem],
                     spec: Assignment) -> dict[str, str]:
    """Module file -> its source, for the starter files that parse and still define what
    the checks call; a missing or broken file is a Problem for every definition in it."""
    modules: dict[str, str] = {}
    for path, grade_ids in spec.starter_modules.items():
        if path not in files:
            problems.append(Problem(path, None, f"{path} is missing from the submission: "
                                    "submit the whole assignment folder, as the starter "
                                    "code's collect script zips it", grade_ids))
            continue
        text = lenient(files[path].decode("utf-8", "surrogateescape"))
        tree, error = _parse_python(text)
        if tree is None:
            problems.append(Problem(path, None, f"{error}; fix it so "
                                    "that the file imports", grade_ids))
            continue
        missing = next((m for m in (_missing_definitions(tree, spec.definitions[g], spec)
                                    for g in grade_ids) if m), None)
        if missing:
            problems.append(Problem(path, None, f"{missing}; keep the names and signatures "
                                    "of the starter code", grade_ids))
            continue
        modules[path] = text
    return modules


def _python_source(notebook: str, grade_id: str, text: str, problems: list[Problem],
                   spec: Assignment) -> str | None:
    """The cell as Python for the sandbox, or None (with a Problem) if it is not usable."""
    tree, error = _parse_python(text)
    if tree is None:
        stripped, removed = _strip_magics(text)
        if removed:
            tree, _ = _parse_python(stripped)
            if tree is not None:
                lines = ", ".join(f"{n} (`{line.strip()[:40]}`)" for n, line in removed)
                problems.append(Problem(notebook, grade_id, f"IPython magic or shell lines "
                                        f"removed before grading, line {lines}: they are not "
                                        "Python"))
                text = stripped
    if tree is None:
        problems.append(Problem(notebook, grade_id, f"{error}; fix it "
                                "so that the cell runs", (grade_id,)))
        return None
    missing = _missing_definitions(tree, spec.definitions[grade_id], spec)
    if missing:
        problems.append(Problem(notebook, grade_id, f"{missing}; keep the names and "
                                "signatures of the release notebook", (grade_id,)))
        return None
    return text


def _parse_python(text: str) -> tuple[ast.Module | None, str]:
    """The module, or None and what is wrong ("is not valid Python: ...")."""
    try:
        return ast.parse(text), ""
    except SyntaxError as exc:
        where = f"line {exc.lineno}" if exc.lineno else "somewhere"
        code = (exc.text or "").strip()[:60]
        shown = f" (`{code}`)" if code else ""
        python2 = next(((what, fix) for pattern, what, fix in PYTHON2_SYNTAX
                        if pattern.search(exc.msg or "") or pattern.search(exc.text or "")),
                       None)
        if python2:
            return None, (f"is Python 2 code, {python2[0]} at {where}{shown}: it must be "
                          f"Python 3, {python2[1]}")
        return None, f"is not valid Python: {exc.msg} at {where}{shown}"
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, f"is not valid Python: it cannot be parsed ({type(exc).__name__})"


def _strip_magics(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Replace `%magic` / `!shell` lines by `pass` (same indentation, same line numbers)."""
    out, removed = [], []
    for number, line in enumerate(text.split("\n"), start=1):
        match = MAGIC_LINE.match(line)
        if match:
            removed.append((number, match.group(2)))
            out.append(f"{match.group(1)}pass")
        else:
            out.append(line)
    return "\n".join(out), removed


def _bound_names(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """Names bound at module level (looking into if/try/with blocks, not into functions)."""
    names: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for sub in (n for t in targets for n in ast.walk(t)):
                if isinstance(sub, ast.Name):
                    names[sub.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = node
        blocks = [getattr(node, b, []) for b in ("body", "orelse", "finalbody")]
        blocks += [h.body for h in getattr(node, "handlers", [])]
        for block in blocks:
            names.update(_bound_names(block))
    return names


def _missing_definitions(tree: ast.Module, required: tuple[str, ...],
                         spec: Assignment) -> str | None:
    names = _bound_names(tree.body)
    for name in required:
        if name not in names:
            kind = "class" if name[0].isupper() else "function"
            return f"no longer defines the {kind} `{name}`"
    for cls in (c for c in required if c in spec.methods):
        node = names.get(cls)
        # A class built from bases may inherit its methods: only a plain class is checked.
        if isinstance(node, ast.ClassDef) and not node.bases:
            methods = {n.name for n in node.body
                       if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            lost = [m for m in spec.methods[cls] if m not in methods]
            if lost:
                return f"`{cls}` no longer has the method `{lost[0]}`"
    return None


def _content_hash(cells: dict[str, str], npz: dict[str, Path]) -> str:
    digest = hashlib.sha256()
    for grade_id in sorted(cells):
        digest.update(f"cell {grade_id}\0{cells[grade_id]}\0".encode())
    for name in sorted(npz):
        digest.update(f"file {name}\0".encode())
        digest.update(npz[name].read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


if __name__ == "__main__":
    main(sys.argv)
