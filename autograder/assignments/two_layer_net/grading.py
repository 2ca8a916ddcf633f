"""What the two-layer network's checks share: `Grading`, a grading run of these checks
(hidden cases, the oracle's answers, the inputs each call changed), the call every check
goes through, and `compare`, how an array that came back is judged against the oracle's.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from autograder import checks as engine
from autograder.assignments.two_layer_net.diagnose import MEASURED
from autograder.checks import Verdict, failed, named, passed
from autograder.outcome import Outcome
from cs231n_data.gradient_check import rel_error

NOTEBOOK = "two_layer_net.ipynb"
# Where each function or class the checks call is written (for the messages).
SUBJECTS = ("affine_forward", "affine_backward", "relu_forward", "relu_backward",
            "softmax_loss", "affine_relu_forward", "affine_relu_backward", "TwoLayerNet")


@dataclass
class Grading(engine.Grading):
    """A grading run of this assignment's checks: the engine's, with what the layer, net
    and accuracy checks share."""

    _mutations: dict[str, list[tuple[str, list[str]]]] = field(default_factory=dict)
    _cache: dict[tuple, object] = field(default_factory=dict)
    _reference: dict[str, tuple[dict[str, float] | None, str]] = field(default_factory=dict)

    @property
    def notebooks(self) -> Mapping[str, str]:
        return dict.fromkeys(SUBJECTS, NOTEBOOK)

    @property
    def own(self) -> object:
        """This assignment's rubric tables (tables.TwoLayerRubric)."""
        return self.rubric.own

    def op(self, subject: str, op: str, label: str, **kwargs: object) -> Outcome:
        """One call of operation `op` (memoized by `label`: the value and gradient checks of
        a case share it); the inputs it changed, seen by the session in the memory it sent
        them in (never the child's word), are recorded under `subject`."""
        out = self.call(subject, op, memo=(op, label), **kwargs)
        if out.ok and isinstance(out.value, Mapping) and "mutated" in out.value:
            calls = self._mutations.setdefault(subject, [])
            entry = (label, list(out.value.get("mutated") or []))
            if entry not in calls:
                calls.append(entry)
        return out

    def mutations(self, subject: str) -> list[tuple[str, list[str]]]:
        """(case label, inputs it changed) for every successful call of `subject` so far."""
        return self._mutations.get(subject, [])

    def cached(self, key: tuple, compute: Callable[[], object]) -> object:
        """The oracle's answer for `key`, computed once per grading run."""
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def value_of(out: Outcome, field_name: str) -> object:
    return out.value.get(field_name) if isinstance(out.value, Mapping) else None


def compare(what: str, got: object, expected: np.ndarray, g: Grading, tolerance: float,
            hint: Callable[[np.ndarray], str | None] | None = None) -> Verdict:
    """`got` (an array from student code) against the oracle's `expected`: same shape,
    finite, relative error at most `tolerance` (the rubric's float32 tolerance for a
    float32 answer); a failure names the bug `hint` recognises."""
    if got is None:
        return failed(f"{what} is missing from the reply")
    got = np.asarray(got)
    if not np.issubdtype(got.dtype, np.floating):
        return failed(f"{what} has dtype {got.dtype}: it must be a float array")
    explained = hint(got.astype(np.float64)) if hint is not None else None
    diagnosis = named(explained, MEASURED)
    if got.shape != expected.shape:
        return failed(explained or f"{what} has shape {got.shape}, expected {expected.shape}",
                      diagnosis=diagnosis)
    if not np.all(np.isfinite(got)):
        return failed(f"{what} contains nan or inf" + (f": {explained}" if explained else ""),
                      diagnosis=diagnosis)
    if got.dtype == np.float32:
        tolerance = max(tolerance, g.own.float32_tolerance)
    error = rel_error(got, expected)
    if error <= tolerance:
        return passed(f"{what} is correct (relative error {error:.1e})")
    return failed(f"{what} is wrong: relative error {error:.1e} > {tolerance:g}"
                  + (f": {explained}" if explained else ""), diagnosis=diagnosis)


# How to leave the arguments alone, in each library's words.
NUMPY_IN_PLACE = ("work on a copy, and avoid in-place operations such as x -= ..., "
                  "x[...] = ... or np.maximum(x, 0, out=x) on the arguments")
TORCH_IN_PLACE = ("work on a copy (x.clone()), and avoid in-place operations such as "
                  "x -= ..., x[...] = ..., x.sub_(...) or x.clamp_(min=0) on the arguments")


def no_mutation(g: Grading, subject: str, first: Callable[[], Outcome],
                inputs: str, runs_also: str | None = None,
                fix: str = NUMPY_IN_PLACE) -> Verdict:
    """Every call of `subject` made by the checks left its inputs as they were sent.
    `runs_also`: the student's function the same call runs first (a backward pass's
    forward), which may be the one that changed them; `fix`: how to avoid it, in the
    edition's library."""
    out = first()
    calls = g.mutations(subject)
    if not calls:
        return failed(g.failure(subject, out.error))
    for label, changed in calls:
        if changed:
            who = f"{runs_also} or {subject}" if runs_also else subject
            names = (" and ".join(changed) if len(changed) < 3
                     else ", ".join(changed[:-1]) + " and " + changed[-1])
            plural = "s" if len(changed) > 1 else ""
            return failed(f"{who} modified the input{plural} {names} (on {label}"
                          + (f"; this call runs your {runs_also} first, for the cache"
                             if runs_also else "") + f"): {fix}",
                          diagnosis=f"{who} modifies {names}: {fix}")
    return passed(f"{inputs} unchanged after {len(calls)} calls")
