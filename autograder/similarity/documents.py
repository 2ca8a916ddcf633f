"""What `similarity` compares: each submission's graded definitions as one text, found by
intake as the grader finds them (nothing runs), and the release read the same way.

A submission's document is its definitions in the assignment's order, each under a comment
naming where it came from: the notebook cells by grade_id, or the module files of CS231n's
starter layout (a module holds several definitions; it is taken once). The release's own
document, built the same way from release/<assignment>/, is what every student starts
from: `compare` leaves out every passage it holds.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from autograder import intake
from autograder.assignment import Assignment
from autograder.batch import Found, discover
from autograder.ids import terminal
from autograder.intake import STARTER, Submission

# What is compared of one submission: its first characters (a solution is a few thousand),
# so that the grader's own work per submission stays bounded whatever a cell holds.
MAX_DOCUMENT_CHARS = 200_000


@dataclass(frozen=True)
class Document:
    """One submission's graded definitions, as one text."""

    submission: str                      # its id (`ids.submission_id`)
    text: str
    parts: tuple[str, ...]               # what it holds, in order ("svm.ipynb, cell x", ...)
    cut: bool = False                    # longer than MAX_DOCUMENT_CHARS: its start only


def parts_of(submission: Submission, spec: Assignment) -> list[tuple[str, str]]:
    """(where, text as handed in) of each definition intake found, in the assignment's
    order: one the grader refuses (it does not parse, it breaks a rule) is compared too."""
    if submission.layout == STARTER:
        return [(path, submission.sources[path]) for path in spec.starter_modules
                if path in submission.sources]
    return [(f"{spec.notebook_of[g]}, cell {g}", submission.sources[g])
            for g in spec.definitions if g in submission.sources]


def document(name: str, parts: Iterable[tuple[str, str]]) -> Document:
    """The document of `parts`: each source under a comment line naming it (comments are
    not compared, so the headers add nothing to a score)."""
    parts = list(parts)
    text = "".join(f"# ---- {where}\n{source.rstrip()}\n\n" for where, source in parts)
    return Document(name, text[:MAX_DOCUMENT_CHARS], tuple(where for where, _ in parts),
                    cut=len(text) > MAX_DOCUMENT_CHARS)


def release_texts(release: Path, spec: Assignment) -> list[str]:
    """The release's code as boilerplate: its document, built as a submission's is (so a
    student who changed nothing holds no code of their own), each of its parts alone (so a
    student who filled one cell keeps only what they wrote), and the classes the grader
    adds to the students' (assignment.toml's [trusted]: the release notebooks' read-only
    cells, which the starter layout's files hold)."""
    if not release.is_dir():
        raise FileNotFoundError(f"{release} is not a folder: give the release the students "
                                "started from with --release (release/<assignment>/ of the kit)")
    parts = parts_of(intake.load_submission(release, spec), spec)
    if not parts:
        raise FileNotFoundError(f"{release} holds none of {spec.name}'s definitions: give "
                                "the release the students started from with --release")
    return [document("release", parts).text, *(source for _, source in parts),
            *(cls["source"] for cls in spec.trusted.values())]


def read_class(folder: Path, spec: Assignment, assignment: str,
               workers: int | None = None) -> tuple[list[Document], list[str]]:
    """The document of every submission in `folder` (a folder `batch` takes), sorted by id,
    and a note for each entry left out (ignored, two entries for one id, nothing read)."""
    found, notes = discover(folder, assignment)
    notes += [f"left out {terminal(item.submission)}: {terminal(item.conflict)}"
              for item in found if item.conflict]
    usable = [item for item in found if not item.conflict]

    def read(item: Found) -> Document:
        return document(item.submission, parts_of(intake.load_submission(item.path, spec),
                                                  spec))

    # Each read is a bounded child process: threads keep several going.
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        documents = list(pool.map(read, usable))
    notes += [f"left out {terminal(d.submission)}: intake read none of its definitions "
              "(`grade` it to see why)" for d in documents if not d.parts]
    notes += [f"{terminal(d.submission)}: only its first {MAX_DOCUMENT_CHARS} characters "
              "are compared" for d in documents if d.cut]
    return [d for d in documents if d.parts], notes
