"""What a submission is called: the student's id, taken from its path, and the text taken
from it (file names, cell sources) made safe to encode as UTF-8."""

from __future__ import annotations

import os
from pathlib import Path

from autograder.ids import submission_id


def lenient(text: str) -> str:
    """A str that encodes as UTF-8: undecodable bytes of a file name (surrogate escapes)
    and lone surrogates become U+FFFD."""
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in text)


def nbgrader_layout(source: Path) -> bool:
    """True for nbgrader's .../submitted/<student>/<assignment>/."""
    parts = Path(os.path.abspath(source)).parts
    return len(parts) >= 3 and parts[-3] == "submitted"


def submission_name(source: Path) -> str:
    """The student's id (`ids.submission_id`): nbgrader's submitted/<student>/<assignment>/
    names the student, else the folder or zip does. The path is read as given, links not
    resolved: a link is refused, never taken for what it points to."""
    parts = Path(os.path.abspath(source)).parts
    return submission_id(parts[-2] if nbgrader_layout(source) else parts[-1])
