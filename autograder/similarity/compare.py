"""Every pair of documents scored by copydetect (the winnowing of MOSS, on Pygments tokens).

copydetect tokenizes each document and replaces every name by one letter (variables,
attributes: V; functions: F; classes: O) and every string by S, drops comments and
whitespace, and fingerprints the result by its k-grams (`K` characters of that text): a copy
whose names, comments, docstrings and layout were all changed still has the same
fingerprints. Two documents' shared passages are the runs of fingerprints they have in
common; a document's share is the fraction of its own fingerprinted text that those cover.

Three choices depart from copydetect's own command:

- every k-gram is a fingerprint (window 1): winnowing picks fingerprints by the k-grams'
  `hash()`, which Python seeds afresh in each process, so with a wider window two runs over
  the same class could give different scores; with all of them, the scores are exact;
- the release's k-grams are removed after fingerprinting, from the fingerprints' index:
  copydetect 0.5.0's own boilerplate filter (`np.intersect1d(..., assume_unique=True)` on
  hashes that repeat) also drops a passage that merely occurs twice in one document;
- a document is fingerprinted on its own code (`own`: the release's lines and the imports
  made comments, statements that do nothing made spaces), so a fingerprint never mixes a
  student's line with the release's, and `pass` between a copy's lines hides nothing.

A pair's score is the larger of its two shares: a student who copied a classmate's whole
work and added to it is found as surely as the classmate.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from copydetect import CodeFingerprint, compare_files
from copydetect.defaults import NOISE_THRESHOLD
from copydetect.utils import get_token_coverage

from autograder.similarity.documents import Document

K = NOISE_THRESHOLD       # the shortest passage that counts, in filtered characters
LANGUAGE = "python"

Spans = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class Pair:
    """Two submissions (a < b), their score in [0, 1] and the passages each holds that the
    other holds too ((start, end) character offsets in each document's text)."""

    a: str
    b: str
    score: float
    shares: tuple[float, float]
    spans: tuple[Spans, Spans]


def fingerprint(text: str, boilerplate: frozenset[int] = frozenset()) -> CodeFingerprint:
    """The copydetect fingerprint of `text`, every k-gram kept, those of `boilerplate`
    removed (and not counted in the text's size)."""
    found = CodeFingerprint("document.py", K, 1, language=LANGUAGE, fp=io.StringIO(text))
    if boilerplate:
        found.hash_idx = {h: at for h, at in found.hash_idx.items() if h not in boilerplate}
        found.hashes = set(found.hash_idx)
        found.token_coverage = get_token_coverage(found.hash_idx, K, len(found.filtered_code))
    return found


def boilerplate_hashes(texts: Iterable[str]) -> frozenset[int]:
    """Every k-gram fingerprint of `texts` (the release's code)."""
    return frozenset(h for text in texts for h in fingerprint(text).hashes)


def compare_all(documents: Sequence[Document], boilerplate: frozenset[int]) -> list[Pair]:
    """Every pair of `documents` (each once, a < b), highest score first (ties by ids)."""
    ordered = sorted(documents, key=lambda d: d.submission)
    prints = [fingerprint(d.compared, boilerplate) for d in ordered]
    pairs = []
    for i, first in enumerate(ordered):
        for j in range(i + 1, len(ordered)):
            pairs.append(_pair(first, ordered[j], prints[i], prints[j]))
    return sorted(pairs, key=lambda p: (-p.score, p.a, p.b))


def _pair(a: Document, b: Document, print_a: CodeFingerprint,
          print_b: CodeFingerprint) -> Pair:
    if not print_a.hashes & print_b.hashes:
        return Pair(a.submission, b.submission, 0.0, (0.0, 0.0), ((), ()))
    _, shares, (slices_a, slices_b) = compare_files(print_a, print_b)
    share_a, share_b = (min(1.0, float(s)) for s in shares)
    return Pair(a.submission, b.submission, max(share_a, share_b), (share_a, share_b),
                (_spans(slices_a, len(a.text)), _spans(slices_b, len(b.text))))


def _spans(slices: np.ndarray, size: int) -> Spans:
    """copydetect's (2, n) array of slice starts and ends as sorted, disjoint spans within
    the text."""
    spans: list[list[int]] = []
    for start, end in sorted(zip(*(np.asarray(slices, dtype=int).tolist()), strict=True)):
        start, end = max(0, start), min(size, end)
        if end <= start:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    return tuple((s, e) for s, e in spans)
