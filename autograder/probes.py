"""Class-common probes: how the class report groups the wrong answers no diagnosis names.

The hidden inputs are drawn per submission (from its content), so two students' wrong
answers cannot be compared on them. An assignment's check module may offer

    probes(seed) -> {target: [Probe, ...]}

calls of its targets on inputs drawn from `seed`, which the grader derives from its
secret alone (grading_data.probe_seed): the same inputs for every student of the course,
unknown to all of them. Only a grading whose result is stored probes (`grade_submission`
runs the checks inside `class_common`); the in-kernel mode, which keeps nothing, never
does. After a submission's checks, for each target with a failing correctness check whose
message names no bug (no `diagnosis`), the engine makes that target's probe calls through
the grading run, so they count in the submission's budget and are not made once it is
spent or for a function that failed for good. The parent rounds what came back to
`SIGNIFICANT` significant digits and hashes it: the target's `fingerprint`, stored on
those checks. Students whose fingerprints agree answer every probe alike. No point
depends on it; an assignment without `probes` gets no fingerprints.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from autograder.checks import Check, CheckResult, Grading

# Digits kept of every returned number: equal answers computed in another order (float
# rounding, float32) agree, different bugs do not.
SIGNIFICANT = 4
# Entries this much smaller than the largest of their array count as 0 (a gradient entry
# that is 1e-17 in one student's arithmetic and 0 in another's).
NEGLIGIBLE = 1e-9
# The largest array a probe's reply may hash (a probe's answers are small by design).
MAX_ENTRIES = 100_000
FINGERPRINT_HEX = 16


@dataclass(frozen=True)
class Probe:
    """One call of the student's `subject`: operation `op` with `kwargs` (plain data,
    drawn from the probe seed); `fields`: the parts of the reply that make its answer."""

    subject: str
    op: str
    kwargs: Mapping[str, object]
    fields: tuple[str, ...]


Probes = Callable[[int], Mapping[str, Sequence[Probe]]]
# The probe seed of the grading under way, None where nothing is to be probed.
_SEED: ContextVar[int | None] = ContextVar("probe_seed", default=None)


@contextmanager
def class_common(seed: int) -> Iterator[None]:
    """Within it, the checks fingerprint with probe inputs drawn from `seed`."""
    token = _SEED.set(seed)
    try:
        yield
    finally:
        _SEED.reset(token)


def canonical(value: object) -> str:
    """`value` (a reply's field) as text that equal answers share: shape and entries of a
    numeric array rounded to SIGNIFICANT digits (negligible ones and -0 as 0), else its
    type alone (a student's text is never part of it)."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return type(value).__name__
    if array.size > MAX_ENTRIES:
        return f"array{array.shape}"
    finite = array[np.isfinite(array)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    array = np.where(np.abs(array) <= NEGLIGIBLE * scale, 0.0, array) + 0.0
    entries = ",".join(f"{v:.{SIGNIFICANT}g}" for v in array.reshape(-1))
    return f"{array.shape}:{entries}"


def fingerprint(grading: Grading, probes: Sequence[Probe]) -> str | None:
    """The hash of the student's answers to `probes`, or None when a call produced
    nothing (a crash, a timeout, the budget spent: no answer to group by)."""
    digest = hashlib.sha256()
    for probe in probes:
        out = grading.call(probe.subject, probe.op, **dict(probe.kwargs))
        if not out.ok or not isinstance(out.value, Mapping):
            return None
        for name in probe.fields:
            digest.update(f"{probe.subject}|{probe.op}|{name}|".encode())
            digest.update(canonical(out.value.get(name)).encode() + b"\n")
    return digest.hexdigest()[:FINGERPRINT_HEX]


def with_fingerprints(results: list[CheckResult], checks: Sequence[Check],
                      grading: Grading, probes: Probes) -> list[CheckResult]:
    """`results` with the fingerprint of each target whose correctness checks failed
    without a diagnosis, on those failing checks (`results` as they are outside
    `class_common`)."""
    seed = _SEED.get()
    if seed is None:
        return results
    correctness = {c.name for c in checks if c.of_correctness}
    unnamed = {r.name: r.target for r in results
               if r.name in correctness and not r.passed and r.diagnosis is None}
    targets = list(dict.fromkeys(unnamed.values()))
    if not targets:
        return results
    calls = probes(seed)
    prints = {t: fingerprint(grading, calls[t]) for t in targets if calls.get(t)}
    return [dataclasses.replace(r, fingerprint=prints.get(r.target)) if r.name in unnamed
            else r for r in results]
