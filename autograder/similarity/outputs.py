"""`similarity`'s outputs: pairs.csv (every pair) and index.html (the top pairs side by
side, shared passages highlighted), both private to the grader's user like the reports:
they hold the students' code.

Every id goes through `ids.csv_cell` in the CSV; in the page, every id and every line of
code is text escaped by Jinja2's autoescape, under the report's Content-Security-Policy.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from autograder.files import private_dir, write_private
from autograder.ids import csv_cell
from autograder.report import _environment
from autograder.similarity.compare import Pair, Spans
from autograder.similarity.documents import Document
from autograder.text import clean_text


@dataclass(frozen=True)
class Segment:
    """A run of a document's text, shared with the other side of its pair or not."""

    text: str
    shared: bool


def write_pairs(pairs: Sequence[Pair], threshold: float, path: Path) -> Path:
    """pairs.csv: a, b, score (4 decimals, in [0, 1]), flagged ("yes" at the threshold or
    above), the pairs in the order given (highest score first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["a", "b", "score", "flagged"])
    for pair in pairs:
        writer.writerow([csv_cell(pair.a), csv_cell(pair.b), f"{pair.score:.4f}",
                         "yes" if pair.score >= threshold else ""])
    return write_private(path, out.getvalue())


def segments(text: str, spans: Spans) -> list[Segment]:
    """`text` cut at `spans` (sorted, disjoint, within it), each piece marked shared or not;
    a control character a cell may hold is shown as U+FFFD."""
    def shown(piece: str) -> str:
        return clean_text(piece, len(piece))

    pieces, at = [], 0
    for start, end in spans:
        if start > at:
            pieces.append(Segment(shown(text[at:start]), False))
        pieces.append(Segment(shown(text[start:end]), True))
        at = end
    if at < len(text):
        pieces.append(Segment(shown(text[at:]), False))
    return pieces


def page(pairs: Sequence[Pair], documents: Sequence[Document], threshold: float,
         top: int, notes: Sequence[str]) -> str:
    """index.html: a summary, the table of the `top` highest pairs that share any code,
    and each of them side by side."""
    texts = {d.submission: d.text for d in documents}
    shown = [{"rank": rank, "pair": pair, "flagged": pair.score >= threshold,
              "sides": [(pair.a, pair.shares[0], segments(texts[pair.a], pair.spans[0])),
                        (pair.b, pair.shares[1], segments(texts[pair.b], pair.spans[1]))]}
             for rank, pair in enumerate((p for p in pairs[:top] if p.score > 0), start=1)]
    flagged = sum(pair.score >= threshold for pair in pairs)
    return _environment().get_template("similarity.html").render(
        submissions=len(documents), pair_count=len(pairs), flagged=flagged,
        threshold=threshold, shown=shown, notes=notes)


def write_outputs(pairs: Sequence[Pair], documents: Sequence[Document], threshold: float,
                  out: Path, top: int, notes: Sequence[str]) -> tuple[Path, Path]:
    """Write out/pairs.csv and out/index.html; returns their paths."""
    private_dir(out)
    return (write_pairs(pairs, threshold, out / "pairs.csv"),
            write_private(out / "index.html", page(pairs, documents, threshold, top, notes)))
