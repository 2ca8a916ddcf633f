"""What a hidden check is and how an assignment's list of them is run (the engine's part).

An assignment's check module (named in its assignment.toml) builds its checks as small
declarative units (`Check`): a name that starts with what it checks, the target
(definition) it belongs to, its rubric key (the engine looks its points up in rubric.toml's
[points.<target>]), its visibility and leaderboard column, and an `evaluate` step that calls
student code only through `Grading.call` (a `Session` underneath) and compares the plain
data that comes back with its oracle, here, in the trusted parent. `run` scores them.

    run(checks, known_targets, grading, targets=None, budget_s=None) -> [CheckResult, ...]
"""

from __future__ import annotations

import re
import string
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from autograder.outcome import Outcome, Session
from autograder.probes import Probes, with_fingerprints
from autograder.rubric import Rubric


@dataclass(frozen=True)
class CheckResult:
    """The score of one check and what the student is told (Gradescope test fields)."""

    name: str
    score: float
    max_score: float
    output: str
    passed: bool
    target: str
    visibility: str = "visible"
    # The quantity the check measured, where it has one (a CIFAR-10 accuracy), for reports.
    value: float | None = None
    # Gradescope leaderboard column that shows `value` (None: not on the leaderboard).
    leaderboard: str | None = None
    # The bug a failing check's message names, without the numbers of this submission's
    # inputs, so that the class report counts the students who made it (None: none named).
    diagnosis: str | None = None
    # Of a failing check that names no bug: the fingerprint of its target's answers on the
    # class-common probe inputs (autograder/probes.py), which groups equal wrong answers.
    fingerprint: str | None = None


@dataclass(frozen=True)
class Verdict:
    """What a check concluded: the fraction of its points earned, the message, the
    measured value behind it (if any), and the bug the message names (if any; see
    CheckResult.diagnosis)."""

    fraction: float
    message: str
    value: float | None = None
    diagnosis: str | None = None


def passed(message: str, value: float | None = None) -> Verdict:
    return Verdict(1.0, message, value)


def failed(message: str, value: float | None = None, diagnosis: str | None = None) -> Verdict:
    return Verdict(0.0, message, value, diagnosis)


def named(hint: str | None, measured: Iterable[str] = ()) -> str | None:
    """The diagnosis of `hint` (a message that names a bug): `hint` with the numbers
    measured on this submission's inputs left out, so that students with the same bug
    share it. `measured`: the str.format templates among the hint's parts whose fields
    can hold such numbers (a shape drawn from the seed, a relative error); each such field
    found in `hint` with a digit in it is shown as "…"."""
    if not hint:
        return None
    for template in measured:
        parts = [(text, field is not None)
                 for text, field, _, _ in string.Formatter().parse(template)]
        # A field's text never holds the ':' or ';' that end a hint's parts.
        pattern = re.compile("".join(re.escape(text) + ("([^:;]+?)" if field else "")
                                     for text, field in parts))

        def general(match: re.Match[str], parts: list[tuple[str, bool]] = parts) -> str:
            fields = iter(match.groups())
            return "".join(text + (_unmeasured(next(fields)) if field else "")
                           for text, field in parts)

        hint = pattern.sub(general, hint)
    return hint


def _unmeasured(value: str) -> str:
    return "…" if any(c.isdigit() for c in value) else value


VISIBILITIES = ("visible", "hidden", "after_due_date", "after_published")


@dataclass(frozen=True)
class Check:
    """One hidden check, worth `rubric.points[target][key]` points. `needs` lists what it
    cannot run without ('data', 'reference'); `of_correctness`: whether passing it is part
    of "the code does what the reference does" (the checks of answers and behaviour; not
    speed, not accuracy); `visibility`: Gradescope's, for the test and its message;
    `leaderboard`: the column that shows the value it measured, if any."""

    name: str
    target: str
    key: str
    evaluate: Callable[[Grading], Verdict]
    needs: tuple[str, ...] = ()
    of_correctness: bool = True
    visibility: str = "visible"
    leaderboard: str | None = None

    def __post_init__(self) -> None:
        if self.visibility not in VISIBILITIES:
            raise ValueError(f"check {self.name!r}: visibility must be one of "
                             f"{VISIBILITIES}, got {self.visibility!r}")

    def points(self, rubric: Rubric) -> float:
        return rubric.points_of(self.target, self.key)

    def result(self, rubric: Rubric, verdict: Verdict) -> CheckResult:
        """This check's CheckResult for `verdict` (its fraction clipped to [0, 1])."""
        fraction = min(1.0, max(0.0, verdict.fraction))
        points = self.points(rubric)
        return CheckResult(name=self.name, score=round(points * fraction, 4),
                           max_score=points, output=verdict.message, passed=fraction >= 1.0,
                           target=self.target, visibility=self.visibility,
                           value=verdict.value, leaderboard=self.leaderboard,
                           diagnosis=None if fraction >= 1.0 else verdict.diagnosis)


def failure_message(subject: str, error: str | None,
                    notebooks: Mapping[str, str] | None = None) -> str:
    """Say in the student's terms why a call into their code produced nothing.

    The sandbox reports whole sentences that already name what failed ("svm_loss_naive
    raised KeyError: 3 (svm.ipynb, cell svm_loss_naive, line 12)", "timeout after 20 s:
    ..."); the in-kernel session reports bare exceptions ("KeyError: 3").
    """
    error = error or f"{subject} failed without a message"
    notebook = (notebooks or {}).get(subject)
    where = f" in {notebook}" if notebook else ""
    if "NotImplementedError" in error:
        return f"{subject} still raises NotImplementedError: fill in the stub{where}"
    if BARE_EXCEPTION.match(error):
        return f"{subject} raised {error}"
    if error.startswith(("crashed", "returned", "was killed", "ran out of memory")):
        return f"{subject} {error}"
    return error


def out_of_range(source: str, settings: Mapping[str, float], given: Mapping[str, float],
                 ranges: Mapping[str, tuple[float, float]]) -> str | None:
    """Why the saved settings are not trained when one lies outside the course's
    [low, high] range (named as `source` gave it), or None when all lie inside."""
    for key, (low, high) in ranges.items():
        if not low <= settings[key] <= high:
            return (f"{source} asks for {key}={given[key]:g}, outside the course's range "
                    f"[{low:g}, {high:g}]: the grader trains only settings inside it; save "
                    "one inside it")
    return None


BARE_EXCEPTION = re.compile(r"^[A-Z]\w*(Error|Exception|Exit|Interrupt)\b")


def fatal(error: str | None) -> bool:
    # Errors that will repeat on every call and cost a timeout or a restart each time.
    return bool(error) and any(word in error for word in (
        "timeout", "memory", "crashed", "killed", "CPU time", "closed its pipe"))




@dataclass
class Grading:
    """One grading run: the sessions, the seed of the hidden inputs, and what was learnt so
    far (an assignment's check module subclasses it with what its checks share).

    Calls are memoized (a loss check and a gradient check of the same case share one
    call), and a function whose first call fails is not called again: its remaining
    checks fail with the same reason.
    """

    session: Session
    seed: int
    rubric: Rubric
    data: Mapping[str, np.ndarray] | None = None
    reference_session: Session | None = None
    # time.monotonic() after which no more student code is called (None: no budget); an
    # assignment's checks push it back by the time the grader's own work took.
    deadline: float | None = None
    # (target, hyperparameters) -> weights of the trusted reference trained on CIFAR-10.
    reference_train: Callable[[str, Mapping[str, float]], np.ndarray] | None = None
    # rule -> definition -> what the assignment's rules found in its source (intake's).
    findings: Mapping[str, Mapping[str, list[str]]] = field(default_factory=dict)
    _verdicts: dict[str, list[bool]] = field(default_factory=dict)
    _memo: dict[tuple, Outcome] = field(default_factory=dict)
    _broken: dict[str, Outcome] = field(default_factory=dict)
    _called: set[str] = field(default_factory=set)

    def call(self, subject: str, op: str, memo: tuple | None = None,
             session: Session | None = None, **kwargs: object) -> Outcome:
        """Call `op` on the student's `subject`, unless it already failed for good."""
        if memo is not None and memo in self._memo:
            return self._memo[memo]
        if subject in self._broken:
            return self._broken[subject]
        timeout = kwargs.pop("timeout_s", None)
        if self.deadline is not None and session is None:
            left = self.deadline - time.monotonic()
            if left <= 0:
                return Outcome(ok=False, error=self.over_budget())
            timeout = min(timeout or self.rubric.timeout(op), left)
        limits = {} if timeout is None else {"timeout_s": timeout}
        out = (session or self.session).call(op, **limits, **kwargs)
        first = subject not in self._called
        self._called.add(subject)
        if not out.ok and (first or fatal(out.error)):
            self._broken[subject] = out
        if memo is not None:
            self._memo[memo] = out
        return out

    def record(self, check: Check, passed: bool) -> None:
        if check.of_correctness:
            self._verdicts.setdefault(check.target, []).append(passed)

    def verified(self, *targets: str) -> bool:
        """Every correctness check of each of `targets` ran and passed."""
        return all(self._verdicts.get(t) and all(self._verdicts[t]) for t in targets)

    def over_budget(self) -> str:
        return (f"not run: grading this submission used up its budget of "
                f"{self.rubric.budget.submission_seconds:g} s of wall-clock time (the "
                "reference solution takes a fraction of it); the code checked earlier is "
                "far too slow or does not return")

    def failed_before(self, subject: str) -> str | None:
        """The error that made `subject` unusable for good (a timeout, a crash), if any."""
        out = self._broken.get(subject)
        return out.error if out is not None and fatal(out.error) else None

    def failure(self, subject: str, error: str | None) -> str:
        """failure_message, with the notebooks the assignment's subjects live in."""
        return failure_message(subject, error, self.notebooks)

    @property
    def notebooks(self) -> Mapping[str, str]:
        """subject -> the notebook it is written in (for the messages); none by default."""
        return {}


def run(checks: list[Check], known: Iterable[str], grading: Grading,
        targets: Iterable[str] | None = None, budget_s: float | None = None,
        probes: Probes | None = None) -> list[CheckResult]:
    """Score `checks` (an assignment's list, every target among `known`) against the
    student's session in `grading`, those of `targets` only (default: all).

    A check that needs the CIFAR-10 data ('data') or the reference's session
    ('reference') is left out when `grading` has none. `budget_s`: wall-clock seconds for
    the whole run; each call into student code gets at most what is left, and the checks
    left when it is spent score 0, saying so. `probes`: the assignment's class-common
    probe calls (autograder/probes.py), made within what is left of that budget to
    fingerprint the targets whose checks failed without naming a bug.
    """
    known = tuple(known)
    wanted = set(known if targets is None else targets)
    unknown = wanted - set(known)
    if unknown:
        raise ValueError(f"unknown check targets {sorted(unknown)}; known: {list(known)}")
    available = {"data": grading.data is not None,
                 "reference": grading.reference_session is not None}
    if budget_s is not None:
        grading.deadline = time.monotonic() + budget_s
    results = []
    for check in checks:
        if check.target not in wanted or not all(available[n] for n in check.needs):
            continue
        if grading.deadline is not None and time.monotonic() >= grading.deadline:
            verdict = failed(grading.over_budget())
        else:
            verdict = check.evaluate(grading)
        result = check.result(grading.rubric, verdict)
        grading.record(check, result.passed)
        results.append(result)
    if probes is not None:
        results = with_fingerprints(results, checks, grading, probes)
    return results
