"""The loss functions' checks: loss and gradient against the oracle on each hidden case,
large scores, and inputs left unchanged."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable

import numpy as np

from autograder.assignments.linear import diagnose, inputs
from autograder.assignments.linear.grading import Grading, loss_value, wrong_answer
from autograder.assignments.linear.inputs import LossCase
from autograder.checks import Check, Verdict, failed, named, passed
from cs231n_data.gradient_check import rel_error


def _explained(g: Grading, fn: str, case: LossCase, hint: Callable[[], str | None]
               ) -> tuple[str, str | None]:
    """Why `fn` is wrong on `case`, said once: the other regularization convention when
    `fn` follows it throughout, else the bug `hint` names (in the rubric's convention),
    else the course's term where reg plays a part; and the diagnosis, when a bug is named."""
    other = g.other_convention(fn)
    found = g.api.spell(diagnose.convention_hint(other, g.rubric.own.reg_factor)) \
        if other is not None else hint()
    if found:
        return ": " + found, _diagnosis(g, found)
    return (g.convention() if case.reg else ""), None


def _diagnosis(g: Grading, hint: str | None) -> str | None:
    """The bug `hint` names, without the numbers measured on this submission's inputs."""
    return named(hint, [g.api.spell(template) for template in diagnose.MEASURED])


def _failed(g: Grading, message: str, hint: str | None) -> Verdict:
    """A failure whose message ends with `hint`, which names the bug."""
    return failed(message + (hint or ""), diagnosis=_diagnosis(g, hint))


def _call_failed(g: Grading, fn: str, case: LossCase, error: str | None) -> Verdict:
    # A function whose first call failed is not called again: the error may be that case's.
    hint = next(filter(None, (g.api.spell(diagnose.loss_shape_hint(
        error, c.W.shape, g.rubric.own.reg_factor)) for c in (case, g.cases(fn)[0]))), "")
    return failed(g.failure(fn, error) + hint,
                  diagnosis=_diagnosis(g, hint.removeprefix(": ")))


def loss_check(fn: str, case: LossCase, tolerance: float) -> Check:
    """`fn` on `case`: its loss equals the oracle's within `tolerance`."""

    def evaluate(g: Grading) -> Verdict:
        out = g.loss(fn, case)
        if not out.ok:
            return _call_failed(g, fn, case, out.error)
        loss, _, problem = loss_value(out)
        if loss is None:
            return failed(f"{fn} {problem}")
        expected, _ = g.oracle(fn, case)
        if not math.isfinite(loss):
            return _failed(g, f"loss is {loss}: ",
                           g.api.spell(diagnose.nonfinite_hint(fn, large_scores=False)))
        error = rel_error(loss, expected)
        if error <= tolerance:
            return passed(f"loss {loss:.6g} is correct (relative error {error:.1e})")
        factor = g.rubric.own.reg_factor
        said, diagnosis = _explained(
            g, fn, case, lambda: g.api.spell(diagnose.loss_hint(fn, case, loss, factor)))
        return failed(f"loss {loss:.6g}, expected {expected:.6g} (relative error {error:.1e} "
                      f"> {tolerance:g})" + said, diagnosis=diagnosis)

    return Check(f"{fn}: loss, {case.label}", fn, "loss", evaluate)


def _compare_gradient(fn: str, case: LossCase, dW: np.ndarray, expected: np.ndarray,
                      g: Grading) -> Verdict:
    rubric = g.rubric
    if dW.shape != case.W.shape:
        return _failed(g, "", g.api.spell(diagnose.shape_hint(dW.shape, case.W.shape)))
    if not np.all(np.isfinite(dW)):
        return _failed(g, "dW contains nan or inf: ",
                       g.api.spell(diagnose.nonfinite_hint(fn, False)))
    tolerance = (rubric.own.gradient_float32_tolerance if dW.dtype == np.float32
                 else rubric.own.gradient_tolerance)
    error = rel_error(dW, expected)
    if error <= tolerance:
        return passed(f"gradient is correct (relative error {error:.1e})")
    student = dW.astype(np.float64)
    said, diagnosis = _explained(g, fn, case, lambda: g.api.spell(
        diagnose.gradient_hint(fn, case, student, rubric.own.reg_factor)))
    return failed(f"gradient wrong: relative error {error:.1e} > {tolerance:g}" + said,
                  diagnosis=diagnosis)


def gradient_check(fn: str, case: LossCase) -> Check:
    """`fn` on `case`: dW has W's shape and equals the oracle's gradient within tolerance."""

    def evaluate(g: Grading) -> Verdict:
        out = g.loss(fn, case)
        if not out.ok:
            return _call_failed(g, fn, case, out.error)
        _, dW, problem = loss_value(out)
        if dW is None:
            return failed(f"{fn} {problem}")
        return _compare_gradient(fn, case, dW, g.oracle(fn, case)[1], g)

    return Check(f"{fn}: gradient, {case.label}", fn, "gradient", evaluate)


def _right_on_rows_near_the_maximum(g: Grading, fn: str, case: LossCase) -> bool:
    """Whether `fn` is right on `case` with every row's scores near +1e3: code that
    subtracts one maximum over the whole matrix is (no row lies far below it), code that
    subtracts none is not. One more call, made only to name the bug."""
    X = case.X.copy()
    X[:, -1] = 1.0  # the bias column picks each row's offset (inputs.large_scores_case)
    near = dataclasses.replace(case, label="large scores, every row near +1e3", X=X)
    out = g.loss(fn, near)
    return out.ok and wrong_answer(g, fn, near, out) is None


def _unstable(g: Grading, fn: str, case: LossCase) -> str:
    if _right_on_rows_near_the_maximum(g, fn, case):
        return g.api.spell(diagnose.UNDERFLOW)
    return g.api.spell(diagnose.nonfinite_hint(fn, large_scores=True))


def large_scores_check(fn: str) -> Check:
    """`fn` on scores of about +-1e3: loss and gradient finite and equal to the oracle's."""

    def evaluate(g: Grading) -> Verdict:
        case = inputs.large_scores_case(g.seed)
        out = g.loss(fn, case)
        if not out.ok:
            return _call_failed(g, fn, case, out.error)
        loss, dW, problem = loss_value(out)
        if loss is None or dW is None:
            return failed(f"{fn} {problem}")
        expected_loss, expected_dW = g.oracle(fn, case)
        if not math.isfinite(loss):
            return _failed(g, f"loss is {loss}: ", _unstable(g, fn, case))
        error = rel_error(loss, expected_loss)
        if error > g.rubric.own.loss_tolerance:
            hint = g.api.spell(diagnose.loss_hint(fn, case, loss, g.rubric.own.reg_factor) or (
                diagnose.UNDERFLOW if _right_on_rows_near_the_maximum(g, fn, case) else None))
            return failed(f"loss {loss:.6g}, expected {expected_loss:.6g} on scores of about "
                          f"1e3 (relative error {error:.1e})" + (f": {hint}" if hint else ""),
                          diagnosis=_diagnosis(g, hint))
        if dW.shape == case.W.shape and not np.all(np.isfinite(dW)):
            return _failed(g, "dW contains nan or inf: ", _unstable(g, fn, case))
        return _compare_gradient(fn, case, dW, expected_dW, g)

    return Check(large_scores_name(fn), fn, "large_scores", evaluate)


def large_scores_name(fn: str) -> str:
    """The name of `fn`'s large-scores check."""
    return f"{fn}: large scores (overflow)"


def no_mutation_check(fn: str) -> Check:
    """Every call of `fn` made by the checks left W, X and y as they were sent: compared
    by the grader in the memory it sent them in, not taken from the child's word."""

    def evaluate(g: Grading) -> Verdict:
        first = g.loss(fn, g.cases(fn)[0])
        calls = g.mutations(fn)
        if not calls:
            return _call_failed(g, fn, g.cases(fn)[0], first.error)
        for label, changed in calls:
            if changed:
                names = " and ".join(changed)
                fix = ("work on a copy, and avoid in-place operations such as X -= ... or "
                       "W[...] = ... on the arguments")
                return failed(f"{fn} modified its input {names} (on {label}): {fix}",
                              diagnosis=f"modifies its input {names}: {fix}")
        return passed(f"W, X and y unchanged after {len(calls)} calls")

    return Check(f"{fn}: does not modify its inputs", fn, "no_mutation", evaluate)
