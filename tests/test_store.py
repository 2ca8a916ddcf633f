"""The grade store: private, one row per submission, atomic per submission, crash-safe."""

from __future__ import annotations

import dataclasses
import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from autograder import rubric as rubric_module
from autograder.files import private_dir
from autograder.result import GradeResult
from autograder.store import ERROR, GradeStore, open_store, rubric_hash


def result(student: str, score: float = 7.0, content: str = "c1") -> GradeResult:
    tests = [{"name": "svm_loss_naive: loss", "score": score, "max_score": 10.0,
              "output": "loss not averaged over N", "visibility": "visible",
              "target": "svm_loss_naive"}]
    return GradeResult(student, content, score, 10.0, tests, ["svm.ipynb: a note"], 1.5)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_is_private_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        with GradeStore(tmp_path / "grades" / "grades.sqlite") as store:
            store.record(result("alice"), rubric_hash="r1")
            # While open, the WAL and shared-memory files hold the same grades.
            files = sorted(p.name for p in (tmp_path / "grades").iterdir())
            assert files == ["grades.sqlite", "grades.sqlite-shm", "grades.sqlite-wal"]
            for name in files:
                assert mode(tmp_path / "grades" / name) == 0o600, name
    finally:
        os.umask(old)
    assert mode(tmp_path / "grades") == 0o700


def test_a_store_in_an_existing_folder_leaves_that_folder_as_it_was(tmp_path: Path) -> None:
    """`batch --store /tmp/grades.sqlite` or a store in the course's folder shared with
    other TAs: the store's files are 0600, the folder keeps its mode (it once became 0700,
    locking every other user out of /tmp); a folder the store creates is 0700."""
    for folder, before in ((tmp_path / "shared", 0o1777), (tmp_path / "course", 0o750)):
        folder.mkdir()
        os.chmod(folder, before)
        with GradeStore(folder / "grades.sqlite") as store:
            store.record(result("alice"), rubric_hash="r1")
        assert folder.stat().st_mode & 0o7777 == before
        assert mode(folder / "grades.sqlite") == 0o600
    GradeStore(tmp_path / "new" / "grades.sqlite").close()
    assert mode(tmp_path / "new") == 0o700


def test_private_outputs_never_tighten_a_shared_folder(tmp_path: Path) -> None:
    shared = tmp_path / "tmp"
    shared.mkdir()
    os.chmod(shared, 0o1777)
    private_dir(shared)
    assert shared.stat().st_mode & 0o7777 == 0o1777
    own = tmp_path / "report"
    own.mkdir(mode=0o755)
    private_dir(own)
    assert mode(own) == 0o700


def test_result_round_trips_and_one_row_per_submission(tmp_path: Path) -> None:
    path = tmp_path / "g" / "grades.sqlite"
    with GradeStore(path) as store:
        store.record(result("bob", 3.0), rubric_hash="r1", source="/s/bob/linear",
                     submitted_at="2026-03-01 10:00:00 UTC")
        store.record(result("alice", 7.0), rubric_hash="r1")
        store.record(result("bob", 9.0, content="c2"), rubric_hash="r1")
    with open_store(path) as store:
        records = store.records()
        assert [r.submission for r in records] == ["alice", "bob"]
        bob = store.get("bob")
        assert bob is not None and bob.score == 9.0 and bob.content_hash == "c2"
        assert bob.result == result("bob", 9.0, content="c2")
        assert bob.source is None and bob.graded
        assert [h["score"] for h in store.history("bob")] == [3.0, 9.0]
        assert len(store.history()) == 3
        assert store.get("carol") is None


def test_is_current_only_for_same_content_rubric_and_a_finished_grading(tmp_path: Path) -> None:
    with GradeStore(tmp_path / "g" / "grades.sqlite") as store:
        store.record(result("alice", content="c1"), rubric_hash="r1")
        assert store.is_current("alice", "c1", "r1")
        assert not store.is_current("alice", "c2", "r1")   # the student resubmitted
        assert not store.is_current("alice", "c1", "r2")   # the rubric changed
        assert not store.is_current("bob", "c1", "r1")
        store.record(result("alice", 0.0, content="c1"), rubric_hash="r1", status=ERROR)
        assert not store.is_current("alice", "c1", "r1")   # errors are retried
        with pytest.raises(ValueError, match="status"):
            store.record(result("alice"), rubric_hash="r1", status="maybe")


def test_open_store_names_the_command_when_missing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="autograder batch"):
        open_store(tmp_path / "nothing.sqlite")


def test_a_file_that_is_not_a_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes, not a database " * 100)
    with pytest.raises(ValueError, match="not a grade store"):
        GradeStore(path)


def test_rubric_hash_follows_the_grading_rules_not_the_file_location() -> None:
    rubric = rubric_module.load()
    moved = dataclasses.replace(rubric, source="/elsewhere/rubric.toml")
    points = {**rubric.points, "svm_loss_naive": {**rubric.points["svm_loss_naive"], "loss": 2}}
    assert rubric_hash(moved) == rubric_hash(rubric)
    assert rubric_hash(dataclasses.replace(rubric, points=points)) != rubric_hash(rubric)


def test_the_store_takes_only_ids_made_by_submission_id(tmp_path: Path) -> None:
    with GradeStore(tmp_path / "grades.sqlite") as store:
        for bad in ("", "\x1b]0;pwned\x07", "a" * 251, " alice"):
            with pytest.raises(ValueError, match="is not a submission id"):
                store.record(result(bad), rubric_hash="r")
        store.record(result("Ünïcode-name"), rubric_hash="r")
        assert [r.submission for r in store.records()] == ["Ünïcode-name"]


WRITER = textwrap.dedent("""
    import sys
    from autograder.result import GradeResult
    from autograder.store import GradeStore
    tests = [{"name": f"check {i}", "score": 1.0, "max_score": 1.0, "output": "x" * 2000,
              "visibility": "visible", "target": "svm_loss_naive"} for i in range(200)]
    with GradeStore(sys.argv[1]) as store:
        i = 0
        while True:
            store.record(GradeResult(f"s{i:05d}", "c", 200.0, 200.0, tests), rubric_hash="r")
            i += 1
            if i == 3:
                print("writing", flush=True)
""")


def test_a_writer_killed_mid_write_leaves_every_submission_whole(tmp_path: Path) -> None:
    """SIGKILL while results stream in: each submission is in both tables or in neither."""
    path = tmp_path / "g" / "grades.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                            text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    with open_store(path) as store:
        graded = {r.submission for r in store.records()}
        logged = [h["submission"] for h in store.history()]
        assert all(r.result.score == 200.0 and len(r.result.tests) == 200
                   for r in store.records())
    assert len(graded) >= 3
    assert sorted(logged) == sorted(graded)          # no half-written submission
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    db.close()


def test_a_store_holds_one_assignment_and_refuses_another(tmp_path: Path, capsys) -> None:
    from autograder import batch

    path = tmp_path / "g" / "grades.sqlite"
    with GradeStore(path) as store:
        assert store.assignment is None
        store.claim("linear")
        store.record(result("alice", 7.0), rubric_hash="r1")
        store.claim("linear")  # the same assignment again: fine
    # Grading the PyTorch edition into it would overwrite alice's NumPy grade: refused
    # before anything is graded, with the way out.
    (tmp_path / "submitted" / "alice" / "linear_torch").mkdir(parents=True)
    code = batch.main(tmp_path / "submitted", store_path=path, workers=1, regrade=False,
                      rubric_path=None, assignment="linear_torch", progress=False)
    assert code == 2   # the batch could not run at all
    err = capsys.readouterr().err
    assert "holds the grades of assignment 'linear', not 'linear_torch'" in err
    assert "linear_torch.sqlite" in err
    with open_store(path) as store:
        assert store.assignment == "linear"
        assert [(r.submission, r.score) for r in store.records()] == [("alice", 7.0)]


def test_a_store_from_before_assignments_were_recorded_is_the_numpy_editions(tmp_path: Path
                                                                              ) -> None:
    from autograder.store import StoreError

    path = tmp_path / "g" / "grades.sqlite"
    with GradeStore(path) as store:
        store.record(result("alice"), rubric_hash="r1")   # recorded without a claim
    with GradeStore(path) as store, pytest.raises(StoreError, match="'linear'"):
        store.claim("linear_torch")
