"""The kit's main job, end to end: release every assignment, grade sample submissions of each.

Each assignment's samples are entries of its graded corpus (the reference solution,
realistic bugs, broken and hostile submissions), named by the DEMO of its samples module
(autograder/assignments/<name>/samples.py, see autograder/assignments/samples.py), built
the way a student makes them (the release notebooks with cells filled in, or the course's
starter files, plus the models really trained on CIFAR-10) into nbgrader's
`submitted/<student>/<assignment>/` layout. Each assignment's are graded in parallel into
its own grade store, exported (CSV, Gradescope results.json) and reported (HTML), and its
score table printed. An assignment without samples is released and skipped, with a note.
Then the class's tools run on them as a course runs them: `similarity` over the class,
the written answers of the reference sample as a PDF, the grades into Canvas' and Moodle's
import files through a roster, and (once, for the first assignment) the student's own
`check` of the reference sample before submitting.
"""

from __future__ import annotations

import csv
import os
import shutil
import sys
import tempfile
from pathlib import Path

from autograder import assignment, batch, cli, export, release, report
from autograder.assignments import samples
from autograder.release import ROOT
from autograder.store import GradeStore
from cs231n_data import cifar10
from cs231n_data.download import MD5, URL, DownloadError, download_cifar10


def build_samples(name: str, submitted: Path, cifar: Path,
                  entries: tuple[str, ...] | None = None) -> list[Path]:
    """Write the DEMO entries (or `entries`) of assignment `name` as
    submitted/<student>/<name>/, models trained on the CIFAR-10 in `cifar`; return the
    folders. Raises SamplesUnavailable when the assignment has no samples."""
    module = samples.load(name)
    with tempfile.TemporaryDirectory(prefix=f"demo-{name}-") as scratch:
        models = module.model_store(cifar, Path(scratch) / "models")
        return samples.build_samples(module, name, submitted, entries or module.DEMO,
                                     models, Path(scratch))


def ensure_cifar10(url: str = URL, md5: str = MD5) -> Path | None:
    """The CIFAR-10 folder the demo trains and grades with: $CIFAR10_DIR's, or else the
    package's own folder, downloaded there once when it is not yet (the official archive,
    MD5 checked, with a progress bar). None, having said why and what to do, when neither
    can be had."""
    folder = cifar10.cifar10_dir()
    if (folder / cifar10.TEST_BATCH).is_file():
        return folder
    if os.environ.get("CIFAR10_DIR"):
        print(f"error: CIFAR10_DIR={os.environ['CIFAR10_DIR']} holds no CIFAR-10 (no "
              f"{cifar10.TEST_BATCH} in {folder}): point it at a cifar-10-batches-py folder, "
              "or unset it to have the demo download the data set", file=sys.stderr)
        return None
    print(f"0. CIFAR-10 is not in {folder}: downloading it once (about 170 MB) from {url}")
    try:
        return download_cifar10(folder.parent, url=url, md5=md5)
    except DownloadError as exc:
        hint = "" if "CIFAR10_DIR" in str(exc) else (
            " (or set CIFAR10_DIR to an existing cifar-10-batches-py folder)")
        print(f"error: could not download CIFAR-10: {exc}{hint}", file=sys.stderr)
        return None


def grade_samples(name: str, where: Path, workers: int) -> int:
    """Grade the submissions under where/submitted into where/grades, export and report
    them, print the score table; return the number of submissions the batch could not
    grade."""
    submitted = where / "submitted"
    with GradeStore(where / "grades" / "grades.sqlite") as store:
        run_ = batch.run_batch(submitted, store, workers=workers, assignment=name)
        print(batch.format_table(run_, store))
        records = store.records()
    lines = export.export(records, csv_path=where / "grades.csv",
                          gradescope=where / "gradescope")
    index = report.write_report(records, where / "report")
    print("   " + "; ".join(lines) + f"; HTML class report {index}")
    return len(run_.errors)


def class_tools(name: str, where: Path, student_check: bool) -> None:
    """The tools beside grading, on the samples graded under `where`, each through its
    own command line as an instructor types it (their messages go to the terminal)."""
    submitted, store = where / "submitted", where / "grades" / "grades.sqlite"
    students = sorted(p.name for p in submitted.iterdir() if p.is_dir())
    roster = where / "roster.csv"
    with roster.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "Student", "ID", "SIS User ID", "SIS Login ID",
                         "Section", "email"])
        for k, student in enumerate(students, start=1):
            writer.writerow([student, f"Student {k}", 1000 + k, f"S{k:04d}", f"s{k}",
                             "Section 1", f"s{k}@example.edu"])
    first = next((s for s in students if s.startswith("correct")), students[0])
    sample = submitted / first / name
    steps = [
        ["similarity", str(submitted), "--out", str(where / "similarity"), "--assignment",
         name],
        ["export", "--store", str(store), "--canvas", str(where / "canvas.csv"), "--moodle",
         str(where / "moodle.csv"), "--roster", str(roster)],
    ]
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        steps.append(["pdf", str(sample), "--out", str(where / "answers" / f"{first}.pdf"),
                      "--assignment", name, "--student", first])
    else:
        print("   pdf: skipped, no chromium on this machine (apt-get install chromium)")
    if student_check:
        # The student's working folder: the release as handed out, their files over it.
        folder = where / "student-folder" / first
        shutil.rmtree(folder, ignore_errors=True)
        shutil.copytree(ROOT / "release" / name, folder)
        shutil.copytree(sample, folder, dirs_exist_ok=True)
        steps.append(["check", str(folder), "--assignment", name, "--zip",
                      str(where / f"{first}-check.zip")])
    for argv in steps:
        print(f"   $ python -m autograder {' '.join(argv)}")
        code = cli.main(argv)
        if code:
            print(f"   (exit {code})")


def run(out: Path, workers: int = 2) -> int:
    """Release every assignment, build each one's samples, grade them, export and report;
    print the score tables."""
    cifar = ensure_cifar10()
    if cifar is None:
        return 2
    for folder, bundle in release.release_all(out):
        print(f"1. released {folder.relative_to(ROOT)} with nbgrader; student bundle {bundle}")
    errors = 0
    for step, name in enumerate(assignment.names(), start=2):
        where = out / name
        try:
            folders = build_samples(name, where / "submitted", cifar)
        except samples.SamplesUnavailable as exc:
            print(f"{step}. {name}: no samples to grade ({exc})")
            continue
        print(f"{step}. {name}: built {len(folders)} sample submissions in "
              f"{where / 'submitted'}, grading them with {workers} workers (student code "
              "runs in the sandbox)")
        errors += grade_samples(name, where, workers)
        class_tools(name, where, student_check=step == 2)
    return 1 if errors else 0
