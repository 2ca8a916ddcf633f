"""Submission ids: made from a file name in one place, escaped for every output.

A submission id comes from a name a student may choose (the zip they upload, the folder
an LMS download names after them), so it can hold anything a file name can: control bytes
that rewrite the TA's terminal, a leading `=` that a spreadsheet runs as a formula, HTML,
or 255 bytes that no longer fit in a file name once `.html` is added.

- `submission_id` turns a file or folder name into an id: printable characters only,
  no surrounding blanks, at most `MAX_ID_CHARS` characters; a name that had to be changed
  gets a short hash of the original, so two different names never meet on one id by being
  cleaned (the batch still refuses two entries that give one id, e.g. `alice/` and
  `alice.zip`). Ordinary names, accented ones included, keep their id unchanged.
- `csv_cell`, `terminal` and `file_name` escape an id (or any text of a submission) for one
  medium each; HTML is escaped by the report's Jinja2 autoescape.
"""

from __future__ import annotations

import hashlib
import unicodedata

MAX_ID_CHARS = 64
MAX_FILE_NAME_BYTES = 120        # the id part of a file name; suffixes like .html follow
HASH_CHARS = 8
ZIP_SUFFIX = ".zip"
# OWASP's CSV injection guidance: a cell starting with one of these is run as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
REPLACEMENT = "\ufffd"


def _digest(name: str) -> str:
    """A short hash of the exact name (surrogate escapes of undecodable bytes included)."""
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]


def _printable(text: str) -> str:
    """Every character that is not printable (C0, C1, DEL, format characters such as the
    bidi overrides, separators, lone surrogates) becomes U+FFFD."""
    return "".join(c if c.isprintable() else REPLACEMENT for c in text)


def submission_id(name: str) -> str:
    """The submission id of a file or folder named `name` (a `.zip` extension, in any case,
    is not part of it): printable, at most MAX_ID_CHARS characters, never empty.

    A name that is already such an id is returned unchanged (its Unicode composed, as
    macOS and Linux spell the same name differently); any other gets `~` and 8 hex digits
    of the name's sha256 after what is left of it."""
    stem = name[:-len(ZIP_SUFFIX)] if name.lower().endswith(ZIP_SUFFIX) else name
    clean = _printable(unicodedata.normalize("NFC", stem)).strip()
    if clean == unicodedata.normalize("NFC", stem) and 0 < len(clean) <= MAX_ID_CHARS:
        return clean
    keep = clean[:MAX_ID_CHARS - HASH_CHARS - 1].rstrip() or "unnamed"
    return f"{keep}~{_digest(stem)}"


def csv_cell(text: str) -> str:
    """`text` as a CSV cell that no spreadsheet runs: one starting with = + - @ TAB or CR
    gets a leading single quote (OWASP); the csv module quotes separators and quotes."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def terminal(text: str) -> str:
    """`text` for a terminal, on one line: control characters (ESC, OSC, CSI, BEL, the C1
    range, newlines) and other unprintable ones are shown as \\x.. escapes, never sent."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def file_name(submission: str) -> str:
    """`submission` as one file or folder name: no path separator, NUL, leading dot or
    control character, at most MAX_FILE_NAME_BYTES bytes of UTF-8; a changed name ends in a
    hash of the id, so two ids never share a file."""
    clean = "".join("_" if c in "/\\\0" or not c.isprintable() else c for c in submission)
    clean = clean.lstrip(".").strip()
    if clean == submission and len(clean.encode()) <= MAX_FILE_NAME_BYTES:
        return clean
    keep = clean.encode("utf-8", "surrogatepass")[:MAX_FILE_NAME_BYTES - HASH_CHARS - 1]
    head = keep.decode("utf-8", "ignore").rstrip() or "unnamed"
    return f"{head}~{_digest(submission)}"


def unique_file_names(submissions: list[str]) -> dict[str, str]:
    """id -> `file_name(id)`, made distinct where two would be one file on a file system
    that ignores case (macOS, Windows): the later one gets its hash."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for submission in submissions:
        name = file_name(submission)
        head, count = name[:MAX_FILE_NAME_BYTES // 8], 0
        while name.casefold() in taken:
            count += 1
            name = f"{head}~{_digest(submission)}-{count}"
        taken.add(name.casefold())
        names[submission] = name
    return names
