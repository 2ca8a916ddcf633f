"""Grading a class: the batch survives being killed, a dead worker, and reruns.

The end-to-end tests grade real submissions (the release notebooks with the reference
cells, reference weights trained on the real CIFAR-10) through `python -m autograder
batch` in a subprocess, kill it or its workers with SIGKILL as a crash or the OOM killer
would, and read the grade store as a TA would afterwards. They then export the class to
nbgrader (read back with the real `nbgrader export`) and render the report in Chromium.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from corpus_cells import attack_cells, reference_cells
from submissions import ModelStore, write_submission, zip_submission

from autograder.batch import LayoutError, discover
from autograder.release import ASSIGNMENT, nbgrader_env, scratch_course
from autograder.store import GradeStore, open_store

# ------------------------------------------------------------------ finding submissions


def touch_submission(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in ("svm.ipynb", "softmax.ipynb"):
        (folder / name).write_text("{}")
    return folder


def test_discovers_nbgrader_layout_zips_and_plain_folders(tmp_path: Path) -> None:
    submitted = tmp_path / "submitted"
    touch_submission(submitted / "alice" / "linear")
    (submitted / "alice" / "linear" / "timestamp.txt").write_text("2026-03-01 10:00:00 UTC\n")
    touch_submission(submitted / "bob" / "linear")
    touch_submission(submitted / "bob" / "other-assignment")
    with zipfile.ZipFile(submitted / "carol.zip", "w") as zf:
        zf.writestr("carol/svm.ipynb", "{}")
    touch_submission(submitted / "dave")
    (submitted / "notes.txt").write_text("not a submission")
    (submitted / ".DS_Store").write_text("")
    found, ignored = discover(submitted)
    assert [(f.submission, f.path.relative_to(submitted).as_posix()) for f in found] == [
        ("alice", "alice/linear"), ("bob", "bob/linear"), ("carol", "carol.zip"),
        ("dave", "dave")]
    assert found[0].submitted_at == "2026-03-01 10:00:00 UTC"
    assert found[1].submitted_at is None
    assert ignored == [f"ignored notes.txt: not <student>/{ASSIGNMENT}/, a folder of "
                       "notebooks, or a .zip"]


def test_layout_mistakes_are_explained(tmp_path: Path) -> None:
    touch_submission(tmp_path / "class" / "alice" / "linear")
    (tmp_path / "class" / "alice.zip").write_bytes(b"")
    # Two submissions of one student are that student's problem, not the class's.
    (found,), _ = discover(tmp_path / "class")
    assert found.conflict == ("two submissions for this student: alice/linear and "
                              "alice.zip; keep one")
    single = touch_submission(tmp_path / "one")
    with pytest.raises(LayoutError, match="autograder grade"):
        discover(single)
    with pytest.raises(LayoutError, match="not a folder"):
        discover(tmp_path / "missing")


def test_a_class_of_two_assignments_or_none_is_refused_without_assignment(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without --assignment the batch grades the assignment the class's files show; when
    they show two, or none, it grades nothing and asks which."""
    from autograder import cli
    from autograder.assignments.soi1010 import samples

    mixed = tmp_path / "mixed"
    touch_submission(mixed / "alice" / ASSIGNMENT)
    samples.build_entry("correct", mixed, None).rename(mixed / "bob")
    (tmp_path / "none" / "carol").mkdir(parents=True)
    (tmp_path / "none" / "carol" / "notes.txt").write_text("my answers")
    for folder, held in ((mixed, f"hold the files of {ASSIGNMENT} and soi1010"),
                         (tmp_path / "none", "hold the files of no assignment")):
        store = tmp_path / f"{folder.name}.sqlite"
        code = cli.main(["batch", str(folder), "--store", str(store), "--workers", "1"])
        err = capsys.readouterr().err
        assert code == 2
        assert f"the submissions in {folder} {held}: say which to grade with --assignment" \
            in err and "nothing was graded" in err
        assert not store.exists()


# ------------------------------------------------------------------ links and look-alikes
# No grading happens in these: alice's grade is in the store, current for her content, so
# the batch skips her, and every other entry is refused before anything runs.


@dataclass
class GradedAlice:
    submitted: Path
    store: Path
    score: float


def graded_alice(tmp_path: Path, entry: str = "alice/linear") -> GradedAlice:
    """A class folder holding alice's submission (`entry`: her nbgrader folder or her
    zip), with her grade already in the store for exactly that content and rubric."""
    from autograder import intake
    from autograder import rubric as rubric_module
    from autograder.result import GradeResult
    from autograder.store import GradeStore, rubric_hash

    submitted = tmp_path / "submitted"
    folder = write_submission(tmp_path / "work" / "alice", reference_cells())
    if entry.endswith(".zip"):
        submitted.mkdir(parents=True)
        zip_submission(folder, submitted / entry)
    else:
        shutil.copytree(folder, submitted / entry)
    content = intake.load_submission(submitted / entry).content_hash
    store = tmp_path / "grades.sqlite"
    with GradeStore(store) as s:
        s.record(GradeResult("alice", content, 92.0, 100.0, [], []),
                 rubric_hash=rubric_hash(rubric_module.load()),
                 source=str(submitted / entry))
    return GradedAlice(submitted, store, 92.0)


def batch_here(cls: GradedAlice) -> tuple[dict, str]:
    """run_batch in this process (nothing to grade here), and the table a TA reads."""
    from autograder.batch import format_table, run_batch

    with GradeStore(cls.store) as store:
        run = run_batch(cls.submitted, store, progress=False)
        table = format_table(run, store)
        return {r.submission: r for r in store.records()}, table


def test_a_linked_entry_is_refused_and_alice_keeps_her_grade(tmp_path: Path) -> None:
    cls = graded_alice(tmp_path)
    s = cls.submitted
    (s / "mallory").mkdir()
    (s / "mallory" / ASSIGNMENT).symlink_to(f"../alice/{ASSIGNMENT}")   # nbgrader layout
    (s / "trudy").symlink_to("alice")                                   # the student folder
    zip_submission(s / "alice" / ASSIGNMENT, tmp_path / "alice.zip")
    (s / "oscar.zip").symlink_to(tmp_path / "alice.zip")                # a zip
    records, table = batch_here(cls)
    assert records["alice"].graded and records["alice"].score == cls.score
    for student, link in (("mallory", f"mallory/{ASSIGNMENT}"), ("trudy", "trudy"),
                          ("oscar", "oscar.zip")):
        assert not records[student].graded and records[student].score == 0, student
        assert f"{link} is a link: the grader follows no link" in \
            records[student].result.problems[0], records[student].result.problems
        assert any(line.startswith(student) and f"error: {link} is a link" in line
                   for line in table.splitlines()), table


def test_the_same_entries_as_real_folders_are_submissions(tmp_path: Path) -> None:
    cls = graded_alice(tmp_path)
    s = cls.submitted
    shutil.copytree(s / "alice" / ASSIGNMENT, s / "mallory" / ASSIGNMENT)
    shutil.copytree(s / "alice", s / "trudy")
    zip_submission(s / "alice" / ASSIGNMENT, s / "oscar.zip")
    found, _ = discover(s)
    assert [(f.submission, f.conflict) for f in found] == [
        ("alice", None), ("mallory", None), ("oscar", None), ("trudy", None)]


def test_a_look_alike_entry_never_touches_the_stored_grade(tmp_path: Path) -> None:
    cls = graded_alice(tmp_path, "alice.zip")
    write_submission(cls.submitted / "alice" / ASSIGNMENT, attack_cells("exit_in_loss"))
    records, table = batch_here(cls)
    assert records["alice"].graded and records["alice"].score == cls.score
    assert records["alice"].source == str(cls.submitted / "alice.zip")
    assert len(records) == 1
    # alice.zip is the source of her grade: it stays hers (unchanged), the newcomer is told.
    lines = sorted(line.split(None, 1)[1] for line in table.splitlines()
                   if line.startswith("alice "))
    assert lines == ["92  100  92  unchanged (already graded)",
                     f"error: two submissions for this student: alice/{ASSIGNMENT} and "
                     "alice.zip; keep one; the stored grade stays with alice.zip, its source"]


def test_a_look_alike_of_a_grade_from_elsewhere_grades_neither(tmp_path: Path) -> None:
    cls = graded_alice(tmp_path)
    zip_submission(cls.submitted / "alice" / ASSIGNMENT, cls.submitted / "alice.zip")
    shutil.move(cls.submitted / "alice", tmp_path / "moved-away")
    write_submission(cls.submitted / "alice" / "other", reference_cells())
    (cls.submitted / "alice" / "svm.ipynb").write_text("{}")
    records, table = batch_here(cls)
    assert records["alice"].graded and records["alice"].score == cls.score
    assert "two submissions for this student: alice and alice.zip; keep one; the stored " \
        "grade of alice is kept" in table


def test_a_conflict_stays_a_conflict_on_every_rerun(tmp_path: Path) -> None:
    # Two entries give one id and nothing is stored yet: no rerun may hand the id to the
    # entry whose name sorts first (a look-alike would take alice's place).
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    zip_submission(write_submission(tmp_path / "work" / "alice", reference_cells()),
                   submitted / "alice.zip")
    for notebook in ("svm.ipynb", "softmax.ipynb"):
        (submitted / "alice" / ASSIGNMENT).mkdir(parents=True, exist_ok=True)
        (submitted / "alice" / ASSIGNMENT / notebook).write_text("{}")
    cls = GradedAlice(submitted, tmp_path / "grades.sqlite", 0.0)
    for _ in range(2):
        records, table = batch_here(cls)
        assert not records["alice"].graded and records["alice"].source is None
        assert table.count("two submissions for this student") == 1, table


def test_names_become_printable_bounded_ids(tmp_path: Path) -> None:
    s = tmp_path / "submitted"
    names = {"=HYPERLINK(\"evil.example\",\"y\").zip": '=HYPERLINK("evil.example","y")',
             "jdoe42.ZIP": "jdoe42", "Ünïcode-name": "Ünïcode-name",
             "\x1b]0;pwned\x07\x1b[2J.zip": None, "a" * 247 + ".zip": None,
             "<img src=x onerror=alert(1)>.zip": "<img src=x onerror=alert(1)>"}
    for name in names:
        if name.lower().endswith(".zip"):
            (s / name).parent.mkdir(parents=True, exist_ok=True)
            (s / name).write_bytes(b"")
        else:
            touch_submission(s / name)
    found = {f.path.name: f.submission for f in discover(s)[0]}
    for name, expected in names.items():
        submission = found[name]
        assert submission.isprintable() and len(submission) <= 64, submission
        if expected is not None:
            assert submission == expected
    assert found["\x1b]0;pwned\x07\x1b[2J.zip"].startswith("\ufffd]0;pwned\ufffd\ufffd[2J~")
    assert found["a" * 247 + ".zip"].startswith("a" * 55 + "~")


def test_the_table_sends_no_control_character_to_the_terminal(tmp_path: Path) -> None:
    from autograder.batch import Attempt, BatchRun, Found, format_table
    from autograder.store import ERROR, GradeStore

    hostile = "\x1b]0;pwned\x07\x1b[2J\x9b31m"
    run = BatchRun(attempts=[Attempt(Found(hostile, tmp_path, None), "", ERROR,
                                     f"the grader failed ({hostile})")])
    with GradeStore(tmp_path / "grades.sqlite") as store:
        table = format_table(run, store)
    assert not any(c in table for c in "\x1b\x07\x9b"), repr(table)
    assert "\\x1b]0;pwned\\x07\\x1b[2J" in table


# ------------------------------------------------------------------ end to end


STUDENTS = ("alice", "bob", "carol", "dave", "erin")


@dataclass
class Classroom:
    submitted: Path
    env: dict[str, str]
    base: Path

    def batch(self, store: Path, *args: str, folder: Path | None = None) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "autograder", "batch", str(folder or self.submitted),
             "--store", str(store), *args],
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def run(self, store: Path, *args: str, folder: Path | None = None
            ) -> tuple[int, str, str]:
        proc = self.batch(store, *args, folder=folder)
        out, err = proc.communicate(timeout=600)
        return proc.returncode, out, err


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory, cifar10_path: Path
              ) -> Iterator[Classroom]:
    """nbgrader's submitted/ folder with five students, mixing folders and zips."""
    from cs231n_data.cifar10 import get_cifar10_data

    base = tmp_path_factory.mktemp("classroom")
    models = ModelStore(get_cifar10_data(cifar10_path), base / "models")
    models.folder.mkdir()
    npz = models.reference()
    submitted = base / "submitted"
    write_submission(submitted / "alice" / ASSIGNMENT, reference_cells(), npz)
    (submitted / "alice" / ASSIGNMENT / "timestamp.txt").write_text(
        "2026-03-01 10:00:00.000000 UTC")
    svm_only = {k: v for k, v in reference_cells().items() if not k.startswith("softmax")}
    write_submission(submitted / "bob" / ASSIGNMENT, svm_only, npz)
    # carol forgot the .npz files; dave's loss calls os._exit(); erin is correct.
    zip_submission(write_submission(base / "zips" / "carol", reference_cells()),
                   submitted / "carol.zip")
    zip_submission(write_submission(base / "zips" / "dave", attack_cells("exit_in_loss"), npz),
                   submitted / "dave.zip")
    write_submission(submitted / "erin" / ASSIGNMENT, reference_cells(), npz)
    # The grader's temporary files (CIFAR-10 for the sandbox, scratch folders) go in a folder
    # of their own, removed at the end: a batch killed with SIGKILL cannot clean up after
    # itself. It must be traversable by the sandbox's uid, as /tmp is.
    scratch = Path(tempfile.mkdtemp(prefix="cs231n-batch-test-", dir="/tmp"))
    scratch.chmod(0o711)
    env = nbgrader_env()
    env.update(CIFAR10_DIR=str(cifar10_path), TMPDIR=str(scratch))
    try:
        yield Classroom(submitted, env, base)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def stored(store: Path) -> dict[str, str]:
    """submission -> status, read without disturbing a running batch (WAL readers)."""
    if not store.exists():
        return {}
    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=10)
    try:
        return dict(db.execute("SELECT submission, status FROM grades"))
    except sqlite3.OperationalError:  # the schema is not there yet
        return {}
    finally:
        db.close()


def wait_for(condition, timeout: float, what: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if proc.poll() is not None:
            out, err = proc.communicate()
            pytest.fail(f"batch ended before {what}: rc={proc.returncode}\n{out}\n{err[-3000:]}")
        if time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat_line = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat_line.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def graded_class(classroom: Classroom, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Three batch runs over the class: killed halfway, resumed, then after bob resubmits."""
    store = tmp_path_factory.mktemp("store") / "grades" / "grades.sqlite"
    proc = classroom.batch(store, "--workers", "2")
    wait_for(lambda: len(stored(store)) >= 1, 600, "the first result", proc)
    workers = [p for p in children(proc.pid) if "spawn_main" in cmdline(p)]
    proc.send_signal(signal.SIGKILL)
    proc.communicate()
    at_kill = stored(store)
    time.sleep(1.0)
    scratch = Path(classroom.env["TMPDIR"])
    killed_data = f"autograder-cifar10-{proc.pid}-*"
    runs = {"at_kill": at_kill, "workers": workers,
            "workers_alive": [p for p in workers if alive(p)],
            "data_at_kill": sorted(p.name for p in scratch.glob(killed_data))}
    runs["resume"] = classroom.run(store, "--workers", "2")
    runs["data_after_resume"] = sorted(p.name for p in scratch.glob(killed_data))
    # bob resubmits a changed svm.ipynb; nothing else changes.
    bob = classroom.submitted / "bob" / ASSIGNMENT
    cells = {k: v for k, v in reference_cells().items() if not k.startswith("softmax")}
    cells["svm_loss_naive"] += "\n# checked my loops again\n"
    write_submission(bob, cells)
    runs["third"] = classroom.run(store, "--workers", "2")
    runs["store"] = store
    return runs



@pytest.mark.cifar
@pytest.mark.slow
def test_killed_batch_resumes_without_losing_or_double_counting(graded_class: dict) -> None:
    at_kill = graded_class["at_kill"]
    assert 1 <= len(at_kill) < len(STUDENTS), (
        f"the batch was to be killed halfway, but {len(at_kill)} results were in the store")
    # The workers died with the batch's parent: nothing kept grading unrecorded.
    assert len(graded_class["workers"]) == 2
    assert graded_class["workers_alive"] == []
    # The killed run's prepared CIFAR-10 (600 MB) was left behind; the next run removed it.
    assert len(graded_class["data_at_kill"]) == 1
    assert graded_class["data_after_resume"] == []
    rc, out, err = graded_class["resume"]
    assert rc == 0, out + err
    for student in at_kill:   # already in the store: not graded again
        assert any(line.startswith(student) and "unchanged" in line
                   for line in out.splitlines()), out
    with open_store(graded_class["store"]) as store:
        history = store.history()
        first_two_runs = [h["submission"] for h in history][:len(STUDENTS)]
        # Across the killed run and the resumed one, each submission was graded once.
        assert sorted(first_two_runs) == list(STUDENTS)
        records = {r.submission: r for r in store.records()}
    assert all(r.graded for r in records.values())
    assert records["alice"].score == records["alice"].max_score == 100
    assert records["erin"].score == 100
    assert records["alice"].submitted_at == "2026-03-01 10:00:00.000000 UTC"
    # carol's missing weights cost exactly the CIFAR-10 checks (30 points).
    assert records["carol"].score == 70
    assert records["bob"].score < 100 and records["dave"].score < 100


@pytest.mark.cifar
@pytest.mark.slow
def test_third_run_regrades_only_the_changed_submission(graded_class: dict) -> None:
    rc, out, err = graded_class["third"]
    assert rc == 0, out + err
    assert "1 graded, 4 unchanged, 0 failed" in out, out
    with open_store(graded_class["store"]) as store:
        counts = {s: len(store.history(s)) for s in STUDENTS}
    assert counts == {"alice": 1, "bob": 2, "carol": 1, "dave": 1, "erin": 1}


@pytest.mark.cifar
@pytest.mark.slow
def test_a_killed_worker_costs_only_its_submission(classroom: Classroom,
                                                   tmp_path: Path) -> None:
    folder = tmp_path / "two"
    folder.mkdir()
    for student in ("alice", "erin"):
        shutil.copytree(classroom.submitted / student, folder / student)
    store = tmp_path / "grades" / "grades.sqlite"
    proc = classroom.batch(store, "--workers", "1", folder=folder)
    wait_for(lambda: len(stored(store)) == 1, 600, "the first result", proc)
    time.sleep(1.0)   # the worker is now grading the second submission
    workers = [p for p in children(proc.pid) if "spawn_main" in cmdline(p)]
    assert len(workers) == 1
    os.kill(workers[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=600)
    assert proc.returncode == 1, out + err   # finished, reporting one failure
    status = stored(store)
    second = next(s for s in ("alice", "erin") if status[s] == "error")
    assert list(status.values()).count("graded") == 1
    assert f"{second}" in out and "the grading process was killed" in out
    with open_store(store) as s:
        assert "was killed" in s.get(second).result.problems[0]
    # The next run retries it, and only it.
    rc, out, err = classroom.run(store, "--workers", "1", folder=folder)
    assert rc == 0, out + err
    assert "1 graded, 1 unchanged, 0 failed" in out
    assert set(stored(store).values()) == {"graded"}


@pytest.mark.cifar
@pytest.mark.slow
def test_graded_class_exports_to_nbgrader_and_gradescope(graded_class: dict,
                                                         tmp_path: Path) -> None:
    course = scratch_course(tmp_path / "course")
    env = nbgrader_env(course / "gradebook.db")

    def run(*args: str) -> None:
        proc = subprocess.run([sys.executable, "-m", *args], cwd=course, env=env,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stdout + proc.stderr

    run("autograder", "export", "--store", str(graded_class["store"]), "--gradebook",
        "--course", str(course), "--gradescope", str(tmp_path / "gs"),
        "--csv", str(tmp_path / "grades.csv"))
    run("nbgrader", "export", "--to", "nbgrader.csv")
    with (course / "nbgrader.csv").open() as fh:
        nbgrader_scores = {r["student_id"]: float(r["score"]) for r in csv.DictReader(fh)}
    # Full marks on every autograded cell (60 of the assignment's 68 points; the other 8
    # are the inline questions, graded by hand); carol loses the two accuracy cells (10).
    assert nbgrader_scores["alice"] == nbgrader_scores["erin"] == 60.0
    assert nbgrader_scores["carol"] == 50.0
    assert set(nbgrader_scores) == set(STUDENTS)
    assert sorted(p.name for p in (tmp_path / "gs").iterdir()) == sorted(STUDENTS)
    with (tmp_path / "grades.csv").open() as fh:
        rows = {r["student"]: r for r in csv.DictReader(fh)}
    assert rows["alice"]["total"] == "100" and rows["carol"]["total"] == "70"


@pytest.mark.cifar
@pytest.mark.slow
def test_graded_class_report_shows_cifar_accuracies(graded_class: dict, tmp_path: Path) -> None:
    from test_report import chromium

    proc = subprocess.run([sys.executable, "-m", "autograder", "report", "--store",
                           str(graded_class["store"]), "--out", str(tmp_path / "report")],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    index = tmp_path / "report" / "index.html"
    html = index.read_text()
    assert "No CIFAR-10 accuracy results" not in html
    dom = chromium(tmp_path, index.as_uri(), "--dump-dom")
    assert 'data-images="ok"' in dom
    for student in STUDENTS:
        assert f'data-student="{student}"' in dom


@pytest.mark.cifar
@pytest.mark.slow
def test_malformed_submissions_are_their_own_results_and_the_class_is_graded(
        classroom: Classroom, tmp_path: Path) -> None:
    """Each of these once crashed `grade` or stopped the whole batch, on every rerun."""
    from test_intake import flag_names_utf8

    cls = tmp_path / "submitted"
    cls.mkdir()
    good = classroom.submitted / "erin" / ASSIGNMENT
    shutil.copytree(good, cls / "frank" / ASSIGNMENT)
    (cls / "frank" / ASSIGNMENT / "timestamp.txt").write_bytes(b"2026-03-01 \xff\xfe UTC")
    # gina: a member name flagged UTF-8 that is not UTF-8.
    with zipfile.ZipFile(cls / "gina.zip", "w") as out:
        for path in sorted(good.iterdir()):
            out.write(path, path.name)
        out.writestr("notes-QQ.txt", b"x")
    (cls / "gina.zip").write_bytes((cls / "gina.zip").read_bytes()
                                   .replace(b"notes-QQ", b"notes-\xff\xfe"))
    flag_names_utf8(cls / "gina.zip")
    # hank: a damaged deflate stream in svm.ipynb.
    zip_submission(good, cls / "hank.zip")
    data = bytearray((cls / "hank.zip").read_bytes())
    with zipfile.ZipFile(cls / "hank.zip") as archive:
        info = archive.getinfo(f"{good.name}/svm.ipynb")
    body = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[body + 20:body + 60] = bytes(range(40))
    (cls / "hank.zip").write_bytes(bytes(data))
    # ivan: handed in twice, as a zip and as a folder.
    zip_submission(good, cls / "ivan.zip")
    shutil.copytree(good, cls / "ivan" / ASSIGNMENT)

    store = tmp_path / "grades.sqlite"
    rc, out, err = classroom.run(store, "--workers", "2", folder=cls)
    assert rc == 1, err[-3000:]  # ivan's double submission is an error for the TA
    statuses = stored(store)
    assert statuses == {"frank": "graded", "gina": "graded", "hank": "graded",
                        "ivan": "error"}, out
    with open_store(store) as grades:
        records = {r.submission: r for r in grades.records()}
    assert records["frank"].score == 100.0
    assert records["frank"].submitted_at == "2026-03-01 \ufffd\ufffd UTC"
    assert records["gina"].score == 0.0
    assert any("cannot be read as a .zip file" in p for p in records["gina"].result.problems)
    hank = records["hank"].result
    assert any("svm.ipynb cannot be unpacked from the .zip" in p for p in hank.problems)
    assert 0 < records["hank"].score < 100.0  # softmax.ipynb was still graded
    assert "two submissions for this student: ivan/linear and ivan.zip" in out


@pytest.mark.cifar
@pytest.mark.slow
def test_links_and_chosen_names_in_a_graded_class(classroom: Classroom,
                                                  tmp_path: Path) -> None:
    """The issue's routes end to end: mallory's notebooks and weights are links to trent's
    (0, saying so), while trent, who holds the files themselves, keeps full marks; names
    built for a spreadsheet, a terminal and the file system are graded, exported and
    reported."""
    cls = tmp_path / "submitted"
    good = classroom.submitted / "erin" / ASSIGNMENT
    shutil.copytree(good, cls / "trent" / ASSIGNMENT)
    (cls / "mallory" / ASSIGNMENT).mkdir(parents=True)
    for path in (cls / "trent" / ASSIGNMENT).iterdir():
        (cls / "mallory" / ASSIGNMENT / path.name).symlink_to(
            f"../../trent/{ASSIGNMENT}/{path.name}")
    names = ('=HYPERLINK("evil.example","y")', "\x1b]0;pwned\x07\x1b[2J", "a" * 247)
    for name in names:
        zip_submission(good, cls / f"{name}.zip")
    store = tmp_path / "grades.sqlite"
    rc, out, err = classroom.run(store, "--workers", "2", folder=cls)
    assert rc == 0, err[-3000:]
    assert "\x1b" not in out + err and "\x07" not in out + err
    with open_store(store) as grades:
        records = {r.submission: r for r in grades.records()}
    # trent's work is correct: he keeps (nearly, with today's load on speed) full marks,
    # and so does every copy of it under a hostile name; mallory's links earn nothing.
    trent = records["trent"]
    assert trent.score >= 0.85 * trent.max_score
    assert records["mallory"].score == 0.0
    assert any("linear/svm.ipynb is a link: the grader follows no link" in p
               for p in records["mallory"].result.problems)
    assert len(records) == 5 and all(len(s) <= 64 for s in records)
    assert all(abs(r.score - trent.score) <= 5 for s, r in records.items() if s != "mallory")

    proc = subprocess.run([sys.executable, "-m", "autograder", "export", "--store", str(store),
                           "--csv", str(tmp_path / "grades.csv")], capture_output=True,
                          text=True, env=classroom.env)
    assert proc.returncode == 0, proc.stderr
    with (tmp_path / "grades.csv").open() as fh:
        students = [row[0] for row in csv.reader(fh)][1:]
    assert "'=HYPERLINK(\"evil.example\",\"y\")" in students
    assert not any(s.startswith(("=", "+", "-", "@")) for s in students)
    proc = subprocess.run([sys.executable, "-m", "autograder", "report", "--store", str(store),
                           "--out", str(tmp_path / "report")], capture_output=True, text=True,
                          env=classroom.env)
    assert proc.returncode == 0, proc.stderr
    assert len(list((tmp_path / "report" / "students").iterdir())) == 5


@pytest.mark.cifar
@pytest.mark.slow
def test_a_dask_cluster_grades_the_class_and_survives_a_killed_worker(
        classroom: Classroom, tmp_path: Path) -> None:
    """batch --backend dask on a TLS cluster made as the README says (cluster-certs, then a
    scheduler and two workers on 127.0.0.1 with the course's certificates): one worker is
    killed with SIGKILL mid-run; its submissions are graded by the other, none is lost and
    none is counted twice."""
    from dask_cluster import tls_cluster

    from autograder.certs import make_certificates

    cls = tmp_path / "submitted"
    good = classroom.submitted / "erin" / ASSIGNMENT
    students = [f"student{i}" for i in range(4)]
    for name in students:
        shutil.copytree(good, cls / name / ASSIGNMENT)
    certs = tmp_path / "certs"
    make_certificates(certs)
    env = {**classroom.env, "AUTOGRADER_CLUSTER_CERTS": str(certs)}
    store = tmp_path / "grades.sqlite"
    with tls_cluster(certs, env, workers=2) as (address, workers):
        batch = subprocess.Popen(
            [sys.executable, "-m", "autograder", "batch", str(cls), "--store", str(store),
             "--backend", "dask", "--scheduler", address],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: len(stored(store)) >= 1, 600, "the first result", batch)
            workers[0].send_signal(signal.SIGKILL)
            out, err = batch.communicate(timeout=900)
        finally:
            batch.kill()
            batch.wait()
    assert batch.returncode == 0, err[-3000:]
    assert stored(store) == dict.fromkeys(students, "graded"), out
    with open_store(store) as grades:
        assert {r.submission: r.score for r in grades.records()} == dict.fromkeys(students,
                                                                                 100.0)
        history = grades.history()
    assert sorted(h["submission"] for h in history) == students  # each exactly once


@pytest.mark.cifar
@pytest.mark.slow
def test_a_soi1010_class_is_graded_as_soi1010_without_assignment(
        tmp_path: Path, cifar10_path: Path) -> None:
    """A TA who leaves out --assignment on a SOI1010 class gets it graded as SOI1010 (it
    was graded as the linear assignment: every student 0, exit 0, no warning)."""
    from autograder.assignments.soi1010 import samples

    cls = tmp_path / "class"
    samples.build_entry("correct", cls, None).rename(cls / "alice")
    store = tmp_path / "grades.sqlite"
    scratch = Path(tempfile.mkdtemp(prefix="cs231n-batch-test-", dir="/tmp"))
    scratch.chmod(0o711)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "autograder", "batch", str(cls), "--store", str(store),
             "--workers", "1"], capture_output=True, text=True, timeout=900,
            env={**nbgrader_env(), "CIFAR10_DIR": str(cifar10_path), "TMPDIR": str(scratch),
                 "OMP_NUM_THREADS": "1"})
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "assignment soi1010 (found from the submissions' files)" in done.stderr
    with open_store(store) as grades:
        assert grades.assignment == "soi1010"
        alice = grades.get("alice")
    assert alice.score == alice.max_score, alice.result.problems
