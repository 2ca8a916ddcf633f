"""Grade one submission: intake -> sandbox session -> hidden checks -> GradeResult.

    with GradingData() as data:              # CIFAR-10 prepared once per grading run
        for path in submissions:
            result = grade_submission(path, data=data)

What a grading run shares between submissions (CIFAR-10 as the assignment prepares it,
the reference timing and training, the grader's secret) lives in `GradingData`
(autograder/grading_data.py, re-exported here).

A submission that cannot be parsed (invalid JSON, a deleted or broken cell, a missing
model file, whatever its layout) still gets every check of the rubric: what intake could
not read scores 0 with the reason, so totals and maxima stay comparable across students.
Nothing here raises for a bad submission; a missing data set or a broken installation is
an error for the instructor.
"""

from __future__ import annotations

import sys
import textwrap
import time
from collections.abc import Iterable
from pathlib import Path

from autograder import intake
from autograder import rubric as rubric_module
from autograder.assignment import Assignment, dumps
from autograder.assignment import load as load_assignment
from autograder.checks import CheckResult, Verdict
from autograder.grading_data import (  # noqa: F401 - the grading API, re-exported
    DATA_PREFIX,
    GradingData,
    GradingError,
    ReferenceTiming,
    ReferenceTraining,
    grader_secret,
    limits_for,
    prepare_training_data,
    probe_seed,
    reference_seed,
    remove_stale_folders,
    seed_of,
)
from autograder.probes import class_common
from autograder.result import GradeResult
from autograder.rubric import Rubric
from autograder.sandbox import Limits, SandboxSession, probe_isolation, refusal
from autograder.text import clean_text


def check_isolation(spec: Assignment) -> None:
    """`--require-isolation`: GradingError, before any submission is graded, unless the
    sandbox fully confines student code on this machine (found out by starting a child
    that holds no student code)."""
    isolation = probe_isolation(dumps(spec))
    if isolation.gaps():
        raise GradingError(refusal(isolation))


# --------------------------------------------------------------------------- grading


def blocked_targets(submission: intake.Submission,
                    spec: Assignment) -> dict[str, list[str]]:
    """Check target -> the intake problems (as text) that keep it from being graded.

    A cell's problem blocks only its own checks; checks that merely use it (the train
    checks use svm_loss_vectorized) still run and say in their own message that the code
    they need is unavailable. A model file
    holds what all the checks of its classifier need (`Assignment.blocks`)."""
    blocked: dict[str, list[str]] = {}
    for problem in submission.problems:
        for target in problem.targets:
            for check_target in spec.blocks(target):
                reasons = blocked.setdefault(check_target, [])
                if str(problem) not in reasons:
                    reasons.append(str(problem))
    return blocked


def missing_models(submission: intake.Submission, spec: Assignment) -> dict[str, str]:
    """Check target -> why its checks score 0, for each model file the submission lacks
    that intake did not already report. Whatever the layout: a missing file costs the
    points that need it and never changes the checks or the maximum score."""
    reported = {target for problem in submission.problems for target in problem.targets}
    missing: dict[str, str] = {}
    for name, target in spec.model_targets.items():
        if name not in submission.model_files and name not in reported:
            why = (f"{name} is missing from the submission: it is written by "
                   f"{spec.saved_by[name]}; submit it with your code")
            missing[target] = f"{missing[target]}; {why}" if target in missing else why
    return missing


def open_session(submission: intake.Submission, spec: Assignment,
                 limits: Limits) -> SandboxSession:
    """A sandbox session for a parsed submission: its definition cells, its model files
    and its starter modules, with the assignment handed to the door as plain data."""
    return SandboxSession(submission.cells, assignment=dumps(spec),
                          model_files=submission.model_files, limits=limits,
                          modules=submission.modules, origins=submission.origins)


def grade_submission(path: str | Path, *, data: GradingData | None = None,
                     rubric: Rubric | None = None,
                     reference_timing: ReferenceTiming | None = None,
                     targets: Iterable[str] | None = None,
                     spec: Assignment | None = None) -> GradeResult:
    """Grade the submission at `path` (folder or .zip) and return its GradeResult.

    - `data`: the run's CIFAR-10 (`GradingData`); without it the CIFAR-10 checks appear
      with 0 points and say they were not graded.
    - `reference_timing`: defaults to `data.reference_timing`, else a session started for
      this submission alone.
    - `targets`: grade only the checks of these targets (default: all); for tests.
    - `spec`: the assignment (default: the NumPy one); its rubric unless `rubric` is given.

    The hidden inputs' seed comes from the submission's content hash, so regrading gives
    the same inputs. Never raises for anything in the submission; raises RuntimeError only
    when the sandbox cannot start at all (a broken installation, before student code runs).
    """
    started = time.monotonic()
    spec = spec or (data.spec if data is not None else load_assignment())
    if data is not None and data.spec.name != spec.name:
        raise GradingError(f"the grading data was prepared for {data.spec.name}, not for "
                           f"{spec.name}")
    checks = spec.check_module
    rubric = rubric or rubric_module.load(spec=spec)
    wanted = list(checks.TARGETS if targets is None else targets)
    unknown = set(wanted) - set(checks.TARGETS)
    if unknown:
        raise ValueError(f"unknown check targets {sorted(unknown)}; known: "
                         f"{list(checks.TARGETS)}")
    submission = intake.load_submission(path, spec)
    seed = seed_of(submission.content_hash)
    blocked = blocked_targets(submission, spec)
    for cls, reason in missing_models(submission, spec).items():
        blocked.setdefault(cls, []).append(reason)
    runnable = [t for t in wanted if t not in blocked]
    if data is None:
        runnable = [t for t in runnable if t not in spec.data_targets]

    results: dict[str, CheckResult] = {}
    confinement = ""
    if runnable:
        timing = reference_timing or (data.reference_timing if data else None)
        own_timing = ReferenceTiming(limits_for(rubric), spec) if timing is None else None
        try:
            with open_session(submission, spec, limits_for(rubric)) as session, \
                    class_common(probe_seed()):
                for result in checks.run_checks(session, seed, rubric, targets=runnable,
                                         data=data.parent if data else None,
                                         reference_session=timing or own_timing,
                                         reference_train=(data.reference_training
                                                          if data else None),
                                         submission=submission,
                                         budget_s=rubric.budget.submission_seconds):
                    results[result.name] = result
                confinement = session.confinement
        finally:
            if own_timing is not None:
                own_timing.close()

    ordered = list(results.values())
    if runnable != wanted:
        # Some targets were not run: list their checks too, in the rubric's order, at 0.
        ordered = []
        for check in checks.build_checks(seed, rubric):
            if check.target not in wanted:
                continue
            result = results.get(check.name)
            if result is None:
                if check.target in blocked:
                    output = "not graded: " + "; ".join(blocked[check.target])
                else:
                    output = "not graded: the grader ran without the CIFAR-10 data set"
                result = check.result(rubric, Verdict(0.0, output))
            ordered.append(result)
    # Messages carry text from the submission (exceptions, file names): cleaned once here,
    # so the store, the exports, the pages and the terminal can all show them.
    tests = [{"name": r.name, "score": r.score, "max_score": r.max_score,
              "output": clean_text(r.output), "visibility": r.visibility, "target": r.target,
              **({} if r.value is None else {"value": r.value}),
              **({} if r.leaderboard is None else {"leaderboard": r.leaderboard}),
              **({} if r.diagnosis is None else {"diagnosis": clean_text(r.diagnosis)}),
              **({} if r.fingerprint is None else {"fingerprint": r.fingerprint})}
             for r in ordered]
    return GradeResult(
        submission=submission.name,
        content_hash=submission.content_hash,
        score=round(sum(t["score"] for t in tests), 4),
        max_score=round(sum(t["max_score"] for t in tests), 4),
        tests=tests,
        problems=[clean_text(str(p)) for p in submission.problems],
        elapsed_s=time.monotonic() - started,
        limits=checks.limits_note(rubric),
        confinement=confinement,
    )


# --------------------------------------------------------------------------- report


def format_table(result: GradeResult, width: int = 100) -> str:
    """A readable per-check table and the total, as a TA reads it in a terminal."""
    lines = [f"{result.submission}  (content {result.content_hash[:12]})"]
    if result.problems:
        lines.append("Problems found in the submission:")
        lines += [f"  - {p}" for p in result.problems]
    score_width = max(len(_points(t["score"], t["max_score"])) for t in result.tests) \
        if result.tests else 0
    for test in result.tests:
        mark = "ok  " if test["score"] >= test["max_score"] else "FAIL"
        points = _points(test["score"], test["max_score"]).rjust(score_width)
        lines.append(f"{mark} {points}  {test['name']}")
        if test["score"] < test["max_score"]:
            lines.append(_indent(test["output"], width))
    if result.limits:
        lines.append(textwrap.fill(result.limits, width=width))
    lines.append(f"Total: {_number(result.score)} / {_number(result.max_score)} "
                 f"({result.elapsed_s:.1f} s)")
    return "\n".join(lines)


def _points(score: float, max_score: float) -> str:
    return f"{_number(score)}/{_number(max_score)}"


def _number(value: float) -> str:
    return f"{value:g}"


def _indent(text: str, width: int) -> str:
    return textwrap.fill(text, width=width, initial_indent="       ",
                         subsequent_indent="       ")


def log(message: str) -> None:
    """Progress for the person at the terminal: stderr, so stdout stays one JSON document."""
    print(message, file=sys.stderr, flush=True)
