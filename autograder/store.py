"""The grade store: one SQLite file that survives crashes.

One row per submission in `grades` (the latest result), and one row per completed grading
in `history` (for audits: when, which content, which rubric, what score). Each result is
written in ONE transaction that updates both, so a batch killed at any instant leaves
every submission either fully recorded or not recorded at all: a rerun grades exactly the
missing ones and counts nothing twice.

The database runs in WAL mode (readers, e.g. `report` while a batch is running, never
block the writer) with `synchronous=FULL` (a committed grade survives a power cut).
Only the batch's parent process writes. The file holds hidden-test outcomes and grades,
so it is created 0600 inside a 0700 folder: the sandboxed child runs as another uid and
must not be able to read it.

A row's `status` is `graded` (the grader finished; the score counts) or `error` (the
grading itself failed, e.g. its worker process was killed): error rows are retried by the
next batch and are left out of the gradebook and Gradescope exports.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from autograder.assignment import DEFAULT
from autograder.files import private_dir
from autograder.ids import submission_id
from autograder.result import GradeResult
from autograder.rubric import Rubric


class StoreError(ValueError):
    """A grade store that cannot take what is asked of it (another assignment's grades)."""


GRADED = "graded"
ERROR = "error"
SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS grades (
    submission   TEXT PRIMARY KEY,
    content_hash TEXT NOT NULL,
    rubric_hash  TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('graded', 'error')),
    score        REAL NOT NULL,
    max_score    REAL NOT NULL,
    result       TEXT NOT NULL,
    graded_at    TEXT NOT NULL,
    source       TEXT,
    submitted_at TEXT
);
CREATE TABLE IF NOT EXISTS history (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    submission   TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    rubric_hash  TEXT NOT NULL,
    status       TEXT NOT NULL,
    score        REAL NOT NULL,
    max_score    REAL NOT NULL,
    graded_at    TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_submission ON history (submission);
CREATE TABLE IF NOT EXISTS meta (
    key          TEXT PRIMARY KEY,
    value        TEXT NOT NULL
);
"""


def rubric_hash(rubric: Rubric) -> str:
    """sha256 of what a rubric grades with (points, thresholds, timeouts), not where it lives
    nor its [similarity] table, which grades nothing.

    A grade recorded under another rubric hash is stale: `batch` grades it again.
    """
    fields = {f.name: getattr(rubric, f.name) for f in dataclasses.fields(rubric)
              if f.name not in ("source", "similarity")}
    text = json.dumps(fields, sort_keys=True, default=_plain)
    return hashlib.sha256(text.encode()).hexdigest()


def _plain(value: object) -> object:
    if dataclasses.is_dataclass(value):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"cannot hash a {type(value).__name__} in the rubric")


@dataclass(frozen=True)
class Record:
    """One submission's latest grade, as stored."""

    submission: str
    content_hash: str
    rubric_hash: str
    status: str
    score: float
    max_score: float
    graded_at: str
    source: str | None
    submitted_at: str | None
    result: GradeResult

    @property
    def graded(self) -> bool:
        return self.status == GRADED


class GradeStore:
    """The SQLite grade store at `path` (created, private, on first use).

    Use as a context manager, or call `close()`. Not shared between processes: the batch's
    parent is the only writer.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        private_dir(self.path.parent, tighten=False)
        if not self.path.exists():
            # Create the file 0600 before sqlite opens it, whatever the umask.
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
            os.close(fd)
        elif self.path.is_symlink() or not self.path.is_file():
            raise ValueError(f"{self.path} is not a regular file: point --store at a grade "
                             "store file (it is created if missing)")
        os.chmod(self.path, 0o600)
        self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA foreign_keys=ON")
            version = self._db.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, SCHEMA_VERSION):
                raise ValueError(f"{self.path} has grade store schema {version}; this kit "
                                 f"reads version {SCHEMA_VERSION}")
            with self._transaction():
                # One statement at a time: executescript() would COMMIT mid-transaction.
                for statement in filter(str.strip, _SCHEMA.split(";")):
                    self._db.execute(statement)
                self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise ValueError(f"{self.path} is not a grade store ({exc})") from None
        # The WAL and shared-memory files hold the same data: keep them private too.
        for suffix in ("-wal", "-shm"):
            side = Path(f"{self.path}{suffix}")
            if side.exists():
                os.chmod(side, 0o600)

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)

    @property
    def assignment(self) -> str | None:
        """The assignment whose grades this store holds (None while it holds none)."""
        row = self._db.execute("SELECT value FROM meta WHERE key = 'assignment'").fetchone()
        return row[0] if row else None

    def claim(self, assignment: str) -> None:
        """Make this the store of `assignment`'s grades, or raise StoreError if it holds
        another's: students' results are keyed by submission, so two assignments in one
        store would overwrite each other."""
        with self._transaction():
            held = self.assignment
            if held is None and self._db.execute("SELECT 1 FROM grades LIMIT 1").fetchone():
                held = DEFAULT  # a store from before assignments were recorded: the first one
            if held is None:
                self._db.execute("INSERT INTO meta (key, value) VALUES ('assignment', ?)",
                                 (assignment,))
        if held not in (None, assignment):
            raise StoreError(f"{self.path} holds the grades of assignment {held!r}, not "
                             f"{assignment!r}: give each assignment its own store (--store "
                             f"{self.path.with_name(assignment + '.sqlite')})")

    def __enter__(self) -> GradeStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    # ---- writing
    def record(self, result: GradeResult, *, rubric_hash: str, status: str = GRADED,
               source: str | None = None, submitted_at: str | None = None,
               graded_at: str | None = None) -> None:
        """Store `result` as the submission's latest grade, and log it, in one transaction."""
        if status not in (GRADED, ERROR):
            raise ValueError(f"status must be {GRADED!r} or {ERROR!r}, not {status!r}")
        if submission_id(result.submission) != result.submission:
            # Ids are made in one place; one made elsewhere could be unprintable or long.
            raise ValueError(f"{result.submission!r} is not a submission id: make it with "
                             "autograder.ids.submission_id")
        when = graded_at or datetime.now(UTC).isoformat(timespec="seconds")
        row = (result.submission, result.content_hash, rubric_hash, status,
               float(result.score), float(result.max_score))
        with self._transaction():
            self._db.execute(
                "INSERT INTO grades (submission, content_hash, rubric_hash, status, score, "
                "max_score, result, graded_at, source, submitted_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (submission) DO UPDATE SET content_hash=excluded.content_hash, "
                "rubric_hash=excluded.rubric_hash, status=excluded.status, "
                "score=excluded.score, max_score=excluded.max_score, result=excluded.result, "
                "graded_at=excluded.graded_at, source=excluded.source, "
                "submitted_at=excluded.submitted_at",
                (*row, result.to_json(), when, source, submitted_at))
            self._db.execute(
                "INSERT INTO history (submission, content_hash, rubric_hash, status, score, "
                "max_score, graded_at) VALUES (?, ?, ?, ?, ?, ?, ?)", (*row, when))

    # ---- reading
    def is_current(self, submission: str, content_hash: str, rubric_hash: str) -> bool:
        """True when `submission` is graded (not an error) for this content and rubric."""
        row = self._db.execute(
            "SELECT 1 FROM grades WHERE submission=? AND content_hash=? AND rubric_hash=? "
            "AND status=?", (submission, content_hash, rubric_hash, GRADED)).fetchone()
        return row is not None

    def get(self, submission: str) -> Record | None:
        rows = list(self._records("WHERE submission=?", (submission,)))
        return rows[0] if rows else None

    def records(self) -> list[Record]:
        """Every submission's latest grade, by submission id."""
        return list(self._records("ORDER BY submission", ()))

    def history(self, submission: str | None = None) -> list[dict]:
        """The log of completed gradings (oldest first), of one submission or all."""
        where, args = ("WHERE submission=?", (submission,)) if submission else ("", ())
        cursor = self._db.execute(
            f"SELECT submission, content_hash, rubric_hash, status, score, max_score, "
            f"graded_at FROM history {where} ORDER BY id", args)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor]

    def _records(self, clause: str, args: tuple) -> Iterator[Record]:
        cursor = self._db.execute(
            "SELECT submission, content_hash, rubric_hash, status, score, max_score, "
            f"graded_at, source, submitted_at, result FROM grades {clause}", args)
        for *fields, result in cursor:
            yield Record(*fields, result=GradeResult.from_json(result))


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (the connection is in
    autocommit mode, so nothing is ever left half-written by an implicit transaction)."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("COMMIT" if exc_type is None else "ROLLBACK")


def open_store(path: str | os.PathLike[str]) -> GradeStore:
    """Open an existing grade store for reading; a clear error when there is none."""
    target = Path(path)
    if not target.is_file():
        raise FileNotFoundError(f"no grade store at {target}: run `python -m autograder "
                                f"batch SUBMISSIONS --store {target}` first")
    return GradeStore(target)
