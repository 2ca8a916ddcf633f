"""What `similarity` compares: each submission's graded definitions as one text, found by
intake as the grader finds them (nothing runs), and the release read the same way.

A submission's document is its definitions in the assignment's order, each under a comment
naming where it came from: the notebook cells by grade_id, or the module files of CS231n's
starter layout (a module holds several definitions; it is taken once). The release's own
document, built the same way from release/<assignment>/, is what every student starts
from: `own` leaves out the lines of it each definition keeps, and `compare` every passage
it holds.
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
from autograder.similarity.own import own_code

# What is compared of one submission: its first characters (a solution is a few thousand),
# so that the grader's own work per submission stays bounded whatever a cell holds.
MAX_DOCUMENT_CHARS = 200_000


Part = tuple[str, tuple[str, ...], str]   # (where, the grade_ids it provides, its text)


@dataclass(frozen=True)
class Document:
    """One submission's graded definitions, as one text, and its own code (`own_code`:
    the same text, the release's lines and the imports made comments, statements that do
    nothing made spaces)."""

    submission: str                      # its id (`ids.submission_id`)
    text: str
    compared: str
    parts: tuple[str, ...]               # what it holds, in order ("svm.ipynb, cell x", ...)
    cut: bool = False                    # longer than MAX_DOCUMENT_CHARS: its start only


@dataclass(frozen=True)
class Release:
    """What the students started from: each definition's text in the release (grade_id ->
    its cell, or the starter module holding it) and the texts whose passages no student
    is scored for (`boilerplate`)."""

    by_id: dict[str, str]
    boilerplate: tuple[str, ...]

    def of(self, grade_ids: tuple[str, ...]) -> str:
        """The release's text of a part providing `grade_ids` (each release text once)."""
        return "\n".join(dict.fromkeys(self.by_id[g] for g in grade_ids if g in self.by_id))


def parts_of(submission: Submission, spec: Assignment) -> list[Part]:
    """Each definition intake found, as handed in, in the assignment's order: one the
    grader refuses (it does not parse, it breaks a rule) is compared too."""
    if submission.layout == STARTER:
        return [(path, ids, submission.sources[path])
                for path, ids in spec.starter_modules.items() if path in submission.sources]
    return [(f"{spec.notebook_of[g]}, cell {g}", (g,), submission.sources[g])
            for g in spec.definitions if g in submission.sources]


def document(name: str, parts: Iterable[Part], release: Release | None = None) -> Document:
    """The document of `parts`: each text under a comment line naming it (comments are not
    compared: the headers add nothing to a score), and its own code."""
    parts = list(parts)
    text = compared = ""
    cut = False
    for where, grade_ids, source in parts:
        header, body = f"# ---- {where}\n", source.rstrip() + "\n\n"
        # Cut before the alignment with the release, whose cost grows with the text.
        room = max(0, MAX_DOCUMENT_CHARS - len(text) - len(header))
        cut, body = cut or len(body) > room, body[:room]
        text += header + body
        compared += header + (own_code(body, release.of(grade_ids)) if release else body)
    return Document(name, text[:MAX_DOCUMENT_CHARS], compared[:MAX_DOCUMENT_CHARS],
                    tuple(where for where, _, _ in parts), cut)


def read_release(folder: Path, spec: Assignment) -> Release:
    """The release in `folder`, read by intake as a submission is. Its boilerplate: its
    document (so a student who changed nothing holds no code of their own), each of its
    parts alone, and the classes the grader adds to the students' (assignment.toml's
    [trusted]: the release notebooks' read-only cells, which the starter layout's files
    hold)."""
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder: give the release the students "
                                "started from with --release (release/<assignment>/ of the kit)")
    submission = intake.load_submission(folder, spec)
    parts = parts_of(submission, spec)
    if not parts:
        raise FileNotFoundError(f"{folder} holds none of {spec.name}'s definitions: give "
                                "the release the students started from with --release")
    by_id = {g: source for _, grade_ids, source in parts for g in grade_ids}
    return Release(by_id, (document("release", parts).text,
                           *(source for _, _, source in parts),
                           *(cls["source"] for cls in spec.trusted.values())))


def read_class(folder: Path, spec: Assignment, assignment: str, release: Release,
               workers: int | None = None) -> tuple[list[Document], list[str]]:
    """The document of every submission in `folder` (a folder `batch` takes), sorted by id,
    and a note for each entry left out (ignored, two entries for one id, nothing read)."""
    found, notes = discover(folder, assignment)
    notes += [f"left out {terminal(item.submission)}: {terminal(item.conflict)}"
              for item in found if item.conflict]
    usable = [item for item in found if not item.conflict]

    def read(item: Found) -> Document:
        parts = parts_of(intake.load_submission(item.path, spec), spec)
        return document(item.submission, parts, release)

    # Each read is a bounded child process: threads keep several going.
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        documents = list(pool.map(read, usable))
    notes += [f"left out {terminal(d.submission)}: intake read none of its definitions "
              "(`grade` it to see why)" for d in documents if not d.parts]
    notes += [f"{terminal(d.submission)}: only its first {MAX_DOCUMENT_CHARS} characters "
              "are compared" for d in documents if d.cut]
    return [d for d in documents if d.parts], notes
