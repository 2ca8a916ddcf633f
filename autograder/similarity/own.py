"""A submission's own code: the text `compare` fingerprints.

In a definition as handed in, the lines the release holds at the same place (its stub's
signature, docstring, comments and template code, found by difflib's alignment of the two,
each line compared as `shape` has it: names and spaces aside, as copydetect compares code)
and the import statements that start a line are not the student's work: each becomes a
comment of the same length. The statements that do nothing (`padding`: `pass`, `...`,
`x = x`, a branch that never runs) are not work either: each becomes spaces. The result has
the length of the text as handed in, so a passage found in it is a passage of that text,
and the student's own lines meet end to end: no fingerprint mixes a student's line with
the release's around it (which two students who each wrote one common line would share),
and a copy with padding between its lines still holds its source's passages whole.
"""

from __future__ import annotations

import keyword
import re
from difflib import SequenceMatcher

from autograder.similarity.padding import blank, noop_spans

IMPORT = re.compile(r"(?:from\s+\S+\s+)?import\s")
NAME = re.compile(r"[^\W\d]\w*")
SPACE = re.compile(r"\s+")


def shape(line: str) -> str:
    """A line as it is compared with the release's: every name but a keyword made `V`,
    without spaces (a release line whose names a student changed is still the release's)."""
    named = NAME.sub(lambda m: m[0] if keyword.iskeyword(m[0]) else "V", line)
    return SPACE.sub("", named)


def own_code(text: str, release: str) -> str:
    """`text` with its release lines and import statements made comments, and its
    statements that do nothing made spaces (same length)."""
    lines = text.split("\n")
    theirs = [False] * len(lines)
    # Blank lines are junk: they never start a match (thousands of them would make the
    # alignment slow, and they are not compared anyway).
    matcher = SequenceMatcher(lambda line: not line, [shape(line) for line in release.split("\n")],
                              [shape(line) for line in lines], autojunk=False)
    for block in matcher.get_matching_blocks():
        theirs[block.b:block.b + block.size] = [True] * block.size
    inside = False   # within the parentheses of `from x import (...)`
    for i, line in enumerate(lines):
        starts = IMPORT.match(line) is not None
        if starts or inside:
            inside = (starts and "(" in line or inside) and ")" not in line
            theirs[i] = True
    kept = blank(lines, noop_spans(text), theirs)
    return "\n".join("#" + line[1:] if mask and line else line
                     for line, mask in zip(kept, theirs, strict=True))
