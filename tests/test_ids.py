"""Submission ids as a TA meets them: made from the names students choose, shown safely.

Each hostile name below once reached an output as it was: a formula in grades.csv, escape
sequences in the TA's terminal, a file name too long for `report`. Each has an honest twin:
an ordinary name keeps its id, and its outputs, unchanged.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from autograder.ids import (
    MAX_ID_CHARS,
    csv_cell,
    file_name,
    submission_id,
    terminal,
    unique_file_names,
)

HONEST = ("alice", "jdoe42", "Ünïcode-name", "John Smith #2", "o'brien", "李雷")
HOSTILE = ("=HYPERLINK(\"evil.example\",\"y\")", "\x1b]0;pwned\x07\x1b[2J", "a" * 251,
           "alice ", "\u202eenilam", "..", "", "x\x00y", "caf\udce9")


def test_ordinary_names_keep_their_ids() -> None:
    for name in HONEST:
        assert submission_id(name) == name
        assert submission_id(name + ".zip") == name
        assert submission_id(name + ".ZIP") == name
    # The same accented name as macOS writes it (decomposed) is the same student.
    assert submission_id("U\u0308ni\u0308code-name") == "Ünïcode-name"


def test_every_id_is_printable_bounded_and_marked_when_changed() -> None:
    for name in HOSTILE:
        submission = submission_id(name)
        assert submission.isprintable() and 0 < len(submission) <= MAX_ID_CHARS, name
        assert submission_id(submission) == submission      # an id is its own id
        if submission != name:
            assert submission[-9] == "~", submission
    assert submission_id("=HYPERLINK(\"evil.example\",\"y\")") == \
        "=HYPERLINK(\"evil.example\",\"y\")"                     # escaped where it is shown


def test_names_that_clean_alike_keep_distinct_ids() -> None:
    ids = {submission_id(n) for n in ("alice\x1b", "alice\x07", "alice ", "alice", "a" * 251,
                                      "a" * 250)}
    assert len(ids) == 6


def test_a_formula_is_text_in_a_csv() -> None:
    for cell in ("=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"):
        assert csv_cell(cell) == "'" + cell
    for cell in HONEST:
        assert csv_cell(cell) == cell
    out = io.StringIO()
    csv.writer(out).writerow([csv_cell('=HYPERLINK("evil.example","y")')])
    assert out.getvalue() == '"\'=HYPERLINK(""evil.example"",""y"")"\r\n'


def test_the_terminal_gets_no_control_character() -> None:
    shown = terminal("\x1b]0;pwned\x07\x1b[2J\x9b31m\u202eok\nnext")
    assert shown == "\\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202eok\\nnext"
    for name in HONEST:
        assert terminal(name) == name


def test_file_names_are_safe_bounded_and_distinct(tmp_path: Path) -> None:
    for name in HONEST:
        assert file_name(name) == name
    for submission in ("a" * 64, "a/b", "..", ".hidden", "x\\y", "é" * 64):
        name = file_name(submission)
        assert "/" not in name and not name.startswith(".") and name
        assert len(name.encode()) + len(".html") <= 255
        (tmp_path / (name + ".html")).write_text("ok")     # really a file name
    assert file_name("a/b") != file_name("a_b")
    names = unique_file_names(["Alice", "alice", "ALICE"])
    assert len({n.casefold() for n in names.values()}) == 3 and names["Alice"] == "Alice"
