"""The result of grading one submission: what the store, exports and reports consume."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class GradeResult:
    """One graded submission.

    ``tests`` holds Gradescope test entries: dicts with ``name``, ``score``, ``max_score``,
    ``output`` (what the student is told), ``visibility`` and ``target`` (the function or
    class the check is about, e.g. ``svm_loss_naive``); a check that measured a quantity
    adds ``value``, and ``leaderboard`` when that quantity is a leaderboard column; a
    failing check adds ``diagnosis`` when its message names a bug (without this
    submission's numbers), else ``fingerprint`` when its target answered the class-common
    probes (autograder/probes.py). Results stored before these existed lack them: none.
    """

    submission: str
    content_hash: str
    score: float
    max_score: float
    tests: list[dict[str, Any]]
    problems: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    limits: str = ""   # the time limits the code ran under, as told to the student
    confinement: str = ""   # what the sandbox could not enforce on this machine ("" = all of it)

    def to_gradescope(self) -> dict[str, Any]:
        """The Gradescope ``results.json`` document."""
        doc: dict[str, Any] = {
            "score": round(self.score, 4),
            "execution_time": round(self.elapsed_s, 2),
            "tests": [
                {key: test[key] for key in ("name", "score", "max_score", "output", "visibility")
                 if key in test}
                for test in self.tests
            ],
        }
        notes = []
        if self.problems:
            notes.append("Problems found in the submission:\n" + "\n".join(
                f"- {p}" for p in self.problems))
        if self.limits:
            notes.append(self.limits)
        if self.confinement:
            notes.append(self.confinement)
        if notes:
            doc["output"] = "\n\n".join(notes)
        return doc

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> GradeResult:
        return cls(**json.loads(text))
