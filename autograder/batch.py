"""Grade a whole class in parallel worker processes, into the grade store.

    python -m autograder batch FOLDER [--workers N] [--regrade] [--store PATH]

FOLDER is either nbgrader's `submitted/` folder (`FOLDER/<student>/<assignment>/`) or a
flat folder of zips (`FOLDER/<student>.zip`); both may be mixed, and a plain
`FOLDER/<student>/` holding the notebooks works too. The submission id is the student
folder's or zip's name made an id by `ids.submission_id` (printable, bounded). An entry
that is a link, or whose assignment folder is one, is refused; two entries with one id
never replace a stored grade (`discover`, `_settle`).

How a run goes:

1. The parent reads every submission with `intake` (as data, nothing runs) for its content
   hash, and skips those the store already holds graded with the same content and rubric
   (`--regrade` grades everything again).
2. It prepares CIFAR-10 once (`GradingData`: the child's read-only folder of train images
   and val/test images, and the val/test labels that stay with the grader), then starts
   `--workers` processes (spawn). Each worker attaches to that same folder (no copy per
   worker) and keeps its own reference timing session for the whole run.
3. As each submission finishes, the PARENT writes it to the store in one transaction.
   A batch killed at any point loses at most the submissions in flight; rerunning grades
   exactly those (and anything new or changed), and counts nothing twice.

A worker that dies (killed, out of memory) breaks the process pool, which fails every
submission in flight at that moment: those are graded again one at a time in a fresh pool,
so the one that kills its worker again is found; it is recorded as an `error` result with
the reason (retried by the next run) and the batch goes on. Student code itself never
runs in a worker: it runs in each submission's sandbox child, whose crashes are already
ordinary failed checks.

Workers die with the parent (PR_SET_PDEATHSIG), so a killed batch leaves nothing grading.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import stat
import sys
import time
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from autograder import intake
from autograder import rubric as rubric_module
from autograder.assignment import detect_class
from autograder.assignment import load as load_assignment
from autograder.assignment import names as assignment_names
from autograder.grade import GradingData, GradingError, check_isolation
from autograder.ids import submission_id, terminal
from autograder.intake import lenient
from autograder.release import ASSIGNMENT
from autograder.result import GradeResult
from autograder.rubric import Rubric
from autograder.store import ERROR, GRADED, GradeStore, StoreError, rubric_hash
from autograder.text import clean_text

PR_SET_PDEATHSIG = 1
SKIPPED = "skipped"   # unchanged since it was graded: not graded again


@dataclass(frozen=True)
class Found:
    """One submission in the batch folder."""

    submission: str            # its id (`ids.submission_id` of the student folder or zip)
    path: Path                 # what grade_submission reads: a folder or a .zip
    submitted_at: str | None   # nbgrader's timestamp.txt, when there is one
    conflict: str | None = None  # why it cannot be graded as it stands
    rivals: tuple[Found, ...] = ()  # every entry that gives this one id, when several do


class LayoutError(ValueError):
    """FOLDER is not a folder of submissions; the message says what was expected."""


def discover(folder: Path, assignment: str = ASSIGNMENT) -> tuple[list[Found], list[str]]:
    """The submissions in `folder` (sorted by id) and a note for each entry ignored.

    Each id comes from `ids.submission_id`. An entry that is a link, or whose assignment
    folder is one, is refused (it could be another student's work). Entries that give one
    id (`alice/` beside `alice.zip`) become one conflict that lists them all: `run_batch`
    grades none of them as that id unless one is the source of its stored grade."""
    if not folder.is_dir():
        raise LayoutError(f"{folder} is not a folder: give nbgrader's submitted/ folder or a "
                          "folder of <student>.zip files")
    if any((folder / name).exists() for name in load_assignment(assignment).notebooks):
        raise LayoutError(f"{folder} is one submission, not a folder of them: grade it with "
                          f"`python -m autograder grade {folder}`")
    by_id: dict[str, list[Found]] = {}
    ignored = []
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        item = _entry(entry, assignment)
        if item is None:
            ignored.append(f"ignored {terminal(lenient(entry.name))}: not "
                           f"<student>/{assignment}/, a folder of notebooks, or a .zip")
        else:
            by_id.setdefault(item.submission, []).append(item)
    found = []
    for _, items in sorted(by_id.items()):
        if len(items) == 1:
            found.append(items[0])
            continue
        # The student's problem, not the class's: none is graded as this id, the TA is told.
        places = " and ".join(lenient(str(i.path.relative_to(folder))) for i in items)
        found.append(replace(items[0], rivals=tuple(items),
                             conflict=f"two submissions for this student: {places}; keep one"))
    return found, ignored


def class_assignment(folder: Path) -> str:
    """The one assignment whose files the submissions in `folder` hold; LayoutError naming
    them (or none) and --assignment when that is not one: a class graded as another
    assignment would score every student 0."""
    if not folder.is_dir():
        discover(folder)  # its LayoutError says what FOLDER should be
    found = detect_class(folder)
    if len(found) == 1:
        return found[0]
    held = (f"hold the files of {' and '.join(found)}" if found else
            "hold the files of no assignment")
    raise LayoutError(f"the submissions in {folder} {held}: say which to grade with "
                      f"--assignment ({', '.join(assignment_names())}); nothing was graded")


def _entry(entry: Path, assignment: str) -> Found | None:
    """The submission an entry of the batch folder is, looked at without following links."""
    submission = submission_id(entry.name)
    shown = lenient(entry.name)
    info = entry.lstat()
    if stat.S_ISLNK(info.st_mode):
        return Found(submission, entry, None, conflict=_LINK.format(shown))
    if stat.S_ISREG(info.st_mode) and entry.name.lower().endswith(".zip"):
        return Found(submission, entry, None)
    if not stat.S_ISDIR(info.st_mode):
        return None
    inner = entry / assignment
    try:
        kind = inner.lstat().st_mode
    except OSError:
        kind = 0
    if stat.S_ISLNK(kind):
        return Found(submission, inner, None, conflict=_LINK.format(f"{shown}/{assignment}"))
    if stat.S_ISDIR(kind):
        return Found(submission, inner, _timestamp(inner / "timestamp.txt"))
    if any(entry.glob("*.ipynb")):
        return Found(submission, entry, None)
    return None


_LINK = ("{} is a link: the grader follows no link, since it could lead to another "
         "student's work; put the folder or file itself in its place")


def _timestamp(stamp: Path) -> str | None:
    """nbgrader's timestamp.txt as text, whatever bytes it holds (None when absent, or
    when it is a link or not a file: it is never read through a link)."""
    try:
        fd = os.open(stamp, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        raw = fh.read(256) if stat.S_ISREG(os.fstat(fd).st_mode) else b""
    text = clean_text(raw.decode("utf-8", "replace").strip(), 64)
    return text or None


def _settle(item: Found, folder: Path, store: GradeStore) -> tuple[Found | None, list[Attempt]]:
    """A conflict, settled without touching a stored grade: the entry that is the source
    of the id's stored grade stays that id's submission (returned to be graded); every
    other one is refused. The conflict is recorded only for an id the store does not
    hold, so a look-alike entry never turns a grade into an error."""
    record = store.get(item.submission)
    # Only a grade makes its source the owner: a recorded conflict names no owner, so a
    # rerun settles nothing by the order of the names.
    owner = next((r for r in item.rivals if record is not None and record.graded
                  and _same_entry(record.source, r.path, folder)), None)
    if owner is not None:
        kept = (f"{item.conflict}; the stored grade stays with "
                f"{lenient(str(owner.path.relative_to(folder)))}, its source")
        return owner, [Attempt(r, "", ERROR, kept, recorded=False)
                       for r in item.rivals if r is not owner]
    note = item.conflict or ""
    if record is not None:
        note += f"; the stored grade of {item.submission} is kept"
    return None, [Attempt(item, "", ERROR, note, recorded=record is None)]


def _same_entry(source: str | None, path: Path, folder: Path) -> bool:
    """Whether a stored grade's source is `path` (compared below the batch folder, so a
    batch run from another working folder still recognises it)."""
    if not source:
        return False
    tail = path.relative_to(folder).parts
    return Path(source).parts[-len(tail):] == tail


# ------------------------------------------------------------------------- the workers


_worker: dict[str, object] = {}


def _die_with_parent(parent_pid: int) -> None:
    """Ask the kernel to SIGKILL this worker when the batch's parent dies (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _init_worker(parent_pid: int, train_dir: str, parent: Mapping[str, np.ndarray],
                 rubric: Rubric, assignment: str) -> None:
    from multiprocessing.util import Finalize

    _die_with_parent(parent_pid)
    data = GradingData.attach(Path(train_dir), parent, rubric, load_assignment(assignment))
    _worker.update(data=data, rubric=rubric)
    Finalize(data, data.close, exitpriority=10)


def _grade_in_worker(path: str, submission: str) -> str:
    from autograder.grade import grade_submission

    result = grade_submission(Path(path), data=_worker["data"], rubric=_worker["rubric"])
    return replace(result, submission=submission).to_json()


# ------------------------------------------------------------------------- the parent


@dataclass
class Attempt:
    """What happened to one submission in this run."""

    found: Found
    content_hash: str
    action: str                       # "graded", "skipped" (unchanged), "error"
    message: str = ""                 # why, for an error
    result: GradeResult | None = None
    recorded: bool = True             # False: shown, but the store was left as it was


@dataclass
class BatchRun:
    """Everything a run did, for the table and the exit status."""

    attempts: list[Attempt] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def errors(self) -> list[Attempt]:
        return [o for o in self.attempts if o.action == ERROR]


def _refuse(attempts: list[Attempt], store: GradeStore, rhash: str, run: BatchRun) -> None:
    """Report entries that are not graded; record those whose id the store lacks."""
    for attempt in attempts:
        run.attempts.append(attempt)
        if attempt.recorded:
            item = attempt.found
            store.record(_error_result(item, "", attempt.message), rubric_hash=rhash,
                         status=ERROR, source=None if item.conflict else str(item.path),
                         submitted_at=item.submitted_at)


def _error_result(item: Found, content_hash: str, message: str) -> GradeResult:
    # The message can quote entry names and a worker's exception: cleaned like a grade's.
    return GradeResult(submission=item.submission, content_hash=content_hash, score=0.0,
                       max_score=0.0, tests=[], problems=[clean_text(f"not graded: {message}")])


class _Progress:
    """tqdm on stderr (or nothing), counting finished submissions."""

    def __init__(self, total: int, enabled: bool) -> None:
        self._bar = None
        if enabled and total:
            from tqdm import tqdm

            self._bar = tqdm(total=total, unit="submission", desc="grading", file=sys.stderr,
                             dynamic_ncols=True)

    def done(self, name: str) -> None:
        if self._bar is not None:
            self._bar.set_postfix_str(name, refresh=False)
            self._bar.update(1)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()


def run_batch(folder: Path, store: GradeStore, *, workers: int = 2, regrade: bool = False,
              rubric: Rubric | None = None, assignment: str = ASSIGNMENT,
              cifar10_dir: Path | None = None, progress: bool = True,
              scheduler: str | None = None) -> BatchRun:
    """Grade the submissions of `folder` that the store lacks; see the module docstring.

    `scheduler` (tcp://HOST:PORT) grades on that Dask cluster instead of local workers;
    the store is written here either way, with the same resume semantics.
    Raises LayoutError for a folder that holds no submissions layout, and GradingError
    when the grader cannot run at all (no CIFAR-10).
    """
    started = time.monotonic()
    spec = load_assignment(assignment)
    rubric = rubric or rubric_module.load(spec=spec)
    rhash = rubric_hash(rubric)
    store.claim(assignment)
    found, ignored = discover(folder, assignment)
    run = BatchRun(ignored=ignored)
    todo: list[tuple[Found, str]] = []
    for item in found:
        if item.rivals:
            settled, refused = _settle(item, folder, store)
            _refuse(refused, store, rhash, run)
            if settled is None:
                continue
            item = settled
        if item.conflict:
            # A link: this id's own problem; a stored grade of it is left as it was.
            record = store.get(item.submission)
            note = item.conflict + ("" if record is None else
                                    f"; the stored grade of {item.submission} is kept")
            _refuse([Attempt(item, "", ERROR, note, recorded=record is None)], store, rhash,
                    run)
            continue
        # Bounded and never raising: a damaged submission is its own problem (graded as such).
        content_hash = intake.load_submission(item.path, spec).content_hash
        if not regrade and store.is_current(item.submission, content_hash, rhash):
            run.attempts.append(Attempt(item, content_hash, SKIPPED))
        else:
            todo.append((item, content_hash))
    if todo:
        with contextlib.ExitStack() as stack:
            if scheduler is None:
                data = stack.enter_context(GradingData(cifar10_dir, rubric=rubric, spec=spec))
                attempts = _grade_all(todo, data, rubric, workers)
            else:
                from autograder.cluster import grade_all_dask

                attempts = grade_all_dask(todo, rubric, scheduler, cifar10_dir, spec.name)
            bar = _Progress(len(todo), progress)
            try:
                for attempt in attempts:
                    item = attempt.found
                    result = attempt.result or _error_result(item, attempt.content_hash,
                                                             attempt.message)
                    store.record(result, rubric_hash=rhash, status=attempt.action,
                                 source=str(item.path), submitted_at=item.submitted_at)
                    run.attempts.append(attempt)
                    bar.done(item.submission)
            finally:
                bar.close()
    run.attempts.sort(key=lambda o: o.found.submission)
    run.elapsed_s = time.monotonic() - started
    return run


def _grade_all(todo: Sequence[tuple[Found, str]], data: GradingData, rubric: Rubric,
               workers: int) -> Iterator[Attempt]:
    """Yield an Attempt per submission as each finishes."""
    context = multiprocessing.get_context("spawn")
    initargs = (os.getpid(), str(data.train_dir), data.parent, rubric, data.spec.name)

    def new_pool() -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                   initializer=_init_worker, initargs=initargs)

    pending = deque(todo)
    suspects: deque[tuple[Found, str]] = deque()   # re-run alone after a worker died
    in_flight: dict[Future, tuple[Found, str]] = {}
    pool = new_pool()

    def submit(item: tuple[Found, str]) -> None:
        nonlocal pool
        args = (_grade_in_worker, str(item[0].path), item[0].submission)
        try:
            future = pool.submit(*args)
        except BrokenProcessPool:
            # A worker died while idle (nothing in flight was lost): start a fresh pool.
            pool.shutdown(wait=True, cancel_futures=True)
            pool = new_pool()
            future = pool.submit(*args)
        in_flight[future] = item

    try:
        while pending or suspects or in_flight:
            if suspects:
                if not in_flight:
                    submit(suspects.popleft())
            else:
                while pending and len(in_flight) < workers:
                    submit(pending.popleft())
            done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
            if any(isinstance(f.exception(), BrokenProcessPool) for f in done):
                # A dead worker fails everything in flight: collect all of it first.
                wait(in_flight)
                done = set(in_flight)
            broken = []
            for future in done:
                item = in_flight.pop(future)
                error = future.exception()
                if error is None:
                    result = GradeResult.from_json(future.result())
                    yield Attempt(item[0], result.content_hash, GRADED, result=result)
                elif isinstance(error, BrokenProcessPool):
                    broken.append(item)
                else:
                    yield Attempt(item[0], item[1], ERROR,
                                  f"the grader failed on this submission "
                                  f"({type(error).__name__}: {error})")
            if broken:
                pool.shutdown(wait=True, cancel_futures=True)
                pool = new_pool()
                if len(broken) == 1:
                    yield Attempt(*broken[0], ERROR,
                                  "the grading process was killed while grading this "
                                  "submission (out of memory, or killed by a signal); "
                                  "the next batch run will try again")
                else:
                    suspects.extend(sorted(broken, key=lambda i: i[0].submission))
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------------- the table


def format_table(run: BatchRun, store: GradeStore) -> str:
    """student, score, max, %, what happened: one line per submission, then a summary."""
    rows = [("student", "score", "max", "%", "status")]
    for attempt in run.attempts:
        # Ids and messages carry names a student chose: no control character reaches the
        # TA's terminal.
        who = terminal(attempt.found.submission)
        record = store.get(attempt.found.submission)
        if attempt.action == ERROR or record is None or not record.graded:
            note = terminal((attempt.message or "grading failed").splitlines()[0])
            note = note if len(note) <= 160 else note[:159] + "…"
            rows.append((who, "", "", "", f"error: {note}"))
            continue
        percent = 100 * record.score / record.max_score if record.max_score else 0.0
        status = "graded" if attempt.action == GRADED else "unchanged (already graded)"
        rows.append((who, f"{record.score:g}", f"{record.max_score:g}", f"{percent:.0f}",
                     status))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = ["  ".join([row[0].ljust(widths[0]), *(c.rjust(w) for c, w in
                                                   zip(row[1:4], widths[1:], strict=True)),
                        row[4]]) for row in rows]
    counts = {a: sum(o.action == a for o in run.attempts) for a in (GRADED, SKIPPED, ERROR)}
    lines.append(f"{len(run.attempts)} submissions: {counts[GRADED]} graded, "
                 f"{counts[SKIPPED]} unchanged, {counts[ERROR]} failed "
                 f"({run.elapsed_s:.0f} s)")
    # A weakened sandbox is never silent: the TA sees it beside the totals.
    partial = sorted({record.result.confinement for attempt in run.attempts
                      if (record := store.get(attempt.found.submission)) is not None
                      and record.result.confinement})
    lines += [f"warning: {terminal(note)}" for note in partial]
    return "\n".join(lines)


def main(folder: Path, *, store_path: Path, workers: int, regrade: bool,
         rubric_path: Path | None, assignment: str | None, cifar10_dir: Path | None = None,
         progress: bool = True, scheduler: str | None = None,
         require_isolation: bool = False) -> int:
    """The `batch` subcommand: 0 when every submission is graded, 1 when some failed,
    2 when the batch could not run (with `require_isolation`: refused up front, nothing
    graded, when the sandbox cannot fully confine student code on this machine).
    `assignment` None: the one whose files the class's submissions hold (`class_assignment`)."""
    try:
        if assignment is None:
            assignment = class_assignment(folder)
            print(f"assignment {assignment} (found from the submissions' files)",
                  file=sys.stderr)
        spec = load_assignment(assignment)
        rubric = rubric_module.load(rubric_path, spec=spec)
        if require_isolation:
            check_isolation(spec)
        with GradeStore(store_path) as store:
            run = run_batch(folder, store, workers=workers, regrade=regrade, rubric=rubric,
                            assignment=assignment, cifar10_dir=cifar10_dir,
                            progress=progress, scheduler=scheduler)
            for note in run.ignored:
                print(note, file=sys.stderr)
            print(format_table(run, store))
    except (LayoutError, GradingError, rubric_module.RubricError, StoreError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 1 if run.errors else 0
