"""The layer checks: affine_forward / affine_backward, relu_forward / relu_backward,
softmax_loss and layer_utils' affine_relu pair, each against the oracle on hidden inputs
(multi-dimensional x, exact zeros, scores of about 1e3), values and gradients by relative
error, and each function's inputs left unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from autograder.assignments.two_layer_net import diagnose, inputs, oracle
from autograder.assignments.two_layer_net.grading import Grading, compare, no_mutation, value_of
from autograder.assignments.two_layer_net.inputs import LayerCase
from autograder.checks import Check, Verdict, failed, named, passed
from autograder.outcome import Outcome
from autograder.probes import Probe
from cs231n_data.gradient_check import rel_error


def _affine(g: Grading, case: LayerCase) -> tuple:
    return g.cached(("affine", case.label),
                    lambda: oracle.affine(case.x, case.w, case.b, case.dout))


def _relu(g: Grading, case: LayerCase) -> tuple:
    return g.cached(("relu", case.label), lambda: oracle.relu(case.x, case.dout))


def _softmax(g: Grading, case: LayerCase) -> tuple:
    return g.cached(("softmax", case.label), lambda: oracle.softmax_loss(case.x, case.y))


# The arrays each function's operation takes, and the reply fields that hold its answer.
ARRAYS = {"affine_forward": ("x", "w", "b"), "affine_backward": ("x", "w", "b", "dout"),
          "relu_forward": ("x",), "relu_backward": ("x", "dout"),
          "softmax_loss": ("x", "y"), "affine_relu": ("x", "w", "b", "dout")}
ANSWERS = {"affine_forward": ("out",), "affine_backward": ("dx", "dw", "db"),
           "relu_forward": ("out",), "relu_backward": ("dx",), "softmax_loss": ("loss", "dx")}


def _call(g: Grading, fn: str, case: LayerCase) -> Outcome:
    """`fn`'s operation on `case`: the forward functions alone, a backward one after the
    student's own forward (for the cache it receives)."""
    return g.op(fn, fn, case.label, **{k: getattr(case, k) for k in ARRAYS[fn]})


def probes(seed: int) -> dict[str, list[Probe]]:
    """The class-common probe calls (autograder/probes.py) of each layer function: its
    hidden cases drawn from `seed`; the answer is what it returns."""
    cases = {"affine": inputs.affine_cases(seed), "relu": inputs.relu_cases(seed),
             "softmax": inputs.softmax_cases(seed)}
    return {fn: [Probe(fn, fn, {k: getattr(case, k) for k in ARRAYS[fn]}, fields)
                 for case in cases[fn.split("_")[0]]]
            for fn, fields in ANSWERS.items()}


FORWARD_OF = {"affine_backward": "affine_forward", "relu_backward": "relu_forward",
              "affine_relu": "affine_relu_forward"}


def _failure(g: Grading, fn: str, error: str | None, case: LayerCase | None = None) -> str:
    """Why a call of `fn`'s operation on `case` produced nothing, naming the function that
    failed (a backward operation runs the student's forward first, which may be the one)
    and, for a multi-dimensional input, that it was not flattened."""
    forward = FORWARD_OF.get(fn)
    subject = forward if forward and (error or "").startswith(forward + " ") else \
        {"affine_relu": "affine_relu_backward"}.get(fn, fn)
    hint = diagnose.unflattened_hint(case.x, error) if case is not None else None
    return g.failure(subject, error) + (f": {hint}" if hint else "")


def _failed_call(g: Grading, fn: str, error: str | None, case: LayerCase) -> Verdict:
    """`_failure` as a verdict, whose diagnosis is the unflattened input when it is that."""
    return failed(_failure(g, fn, error, case),
                  diagnosis=named(diagnose.unflattened_hint(case.x, error), diagnose.MEASURED))


def _array_check(fn: str, key: str, field: str, case: LayerCase, what: str,
                 expected: Callable[[Grading], np.ndarray],
                 hint: Callable[[LayerCase, np.ndarray], str | None] | None = None,
                 gradient: bool = False) -> Check:
    """`fn` on `case`: the reply's `field` equals expected(g) within the tolerance."""

    def evaluate(g: Grading) -> Verdict:
        out = _call(g, fn, case)
        if not out.ok:
            return _failed_call(g, fn, out.error, case)
        tolerance = g.own.gradient_tolerance if gradient else g.own.value_tolerance
        return compare(what, value_of(out, field), expected(g), g, tolerance,
                       (lambda got: hint(case, got)) if hint else None)

    return Check(f"{fn}: {what}, {case.label}", fn, key, evaluate)


def _mutation_check(fn: str, target: str, cases: list[LayerCase], inputs_text: str) -> Check:
    def evaluate(g: Grading) -> Verdict:
        for case in cases:
            _call(g, fn, case)
        return no_mutation(g, fn, lambda: _call(g, fn, cases[0]), inputs_text,
                           FORWARD_OF.get(fn))

    return Check(f"{fn}: does not modify its inputs", target, "no_mutation", evaluate)


def affine_checks(seed: int) -> list[Check]:
    cases = inputs.affine_cases(seed)
    checks = []
    for case in cases:
        checks.append(_array_check("affine_forward", "value", "out", case, "out",
                                   lambda g, c=case: _affine(g, c)[0], diagnose.affine_out_hint))
    checks.append(_mutation_check("affine_forward", "affine_forward", cases, "x, w and b"))
    for case in cases:
        for i, (name, hint) in enumerate((("dx", diagnose.affine_dx_hint),
                                          ("dw", diagnose.affine_dw_hint),
                                          ("db", diagnose.affine_db_hint)), start=1):
            checks.append(_array_check("affine_backward", name, name, case, name,
                                       lambda g, c=case, i=i: _affine(g, c)[i], hint,
                                       gradient=True))
    checks.append(_mutation_check("affine_backward", "affine_backward", cases,
                                  "x, w, b and dout"))
    return checks


def relu_checks(seed: int) -> list[Check]:
    cases = inputs.relu_cases(seed)
    checks = [_array_check("relu_forward", "value", "out", case, "out",
                           lambda g, c=case: _relu(g, c)[0], diagnose.relu_out_hint)
              for case in cases]
    checks.append(_mutation_check("relu_forward", "relu_forward", cases, "x"))
    checks += [_array_check("relu_backward", "dx", "dx", case, "dx",
                            lambda g, c=case: _relu(g, c)[1], diagnose.relu_dx_hint,
                            gradient=True)
               for case in cases]
    checks.append(relu_at_zero_check(seed))
    checks.append(_mutation_check("relu_backward", "relu_backward", cases, "x and dout"))
    return checks


def relu_at_zero_check(seed: int) -> Check:
    """Where x is exactly 0, relu_backward passes no gradient (CS231n's dout * (x > 0))."""
    case = inputs.relu_zero_case(seed)

    def evaluate(g: Grading) -> Verdict:
        out = _call(g, "relu_backward", case)
        if not out.ok:
            return _failed_call(g, "relu_backward", out.error, case)
        dx = value_of(out, "dx")
        if not isinstance(dx, np.ndarray) or dx.shape != case.x.shape:
            got = dx.shape if isinstance(dx, np.ndarray) else type(dx).__name__
            return failed(f"dx has shape {got}, expected x's {case.x.shape}")
        at_zero = case.x == 0
        if np.any(dx[at_zero] != 0):
            return failed(f"dx is not 0 where x is exactly 0 ({int(np.sum(dx[at_zero] != 0))} "
                          f"of those entries): {diagnose.MASK_AT_ZERO}",
                          diagnosis=f"dx is not 0 where x is exactly 0: {diagnose.MASK_AT_ZERO}")
        return compare("dx", dx, _relu(g, case)[1], g, g.own.gradient_tolerance,
                       lambda got: diagnose.relu_dx_hint(case, got))

    return Check("relu_backward: no gradient where x is exactly 0", "relu_backward", "at_zero",
                 evaluate)


def _softmax_loss_check(case: LayerCase) -> Check:
    def evaluate(g: Grading) -> Verdict:
        out = _call(g, "softmax_loss", case)
        if not out.ok:
            return failed(g.failure("softmax_loss", out.error))
        loss = value_of(out, "loss")
        expected = _softmax(g, case)[0]
        if not isinstance(loss, float) or not math.isfinite(loss):
            return failed(f"the loss is {loss}: {diagnose.OVERFLOW}",
                          diagnosis=diagnose.OVERFLOW)
        error = rel_error(loss, expected)
        if error <= g.own.value_tolerance:
            return passed(f"loss {loss:.6g} is correct (relative error {error:.1e})")
        hint = diagnose.softmax_loss_hint(case, loss)
        return failed(f"loss {loss:.6g}, expected {expected:.6g} (relative error "
                      f"{error:.1e})" + (f": {hint}" if hint else ""), diagnosis=hint)

    return Check(f"softmax_loss: loss, {case.label}", "softmax_loss", "loss", evaluate)


def large_scores_check(seed: int) -> Check:
    """Scores of about 1e3: loss and dx finite and equal to the oracle's."""
    case = inputs.large_scores_case(seed)

    def evaluate(g: Grading) -> Verdict:
        out = _call(g, "softmax_loss", case)
        if not out.ok:
            return failed(g.failure("softmax_loss", out.error))
        loss, dx = value_of(out, "loss"), value_of(out, "dx")
        expected_loss, expected_dx = _softmax(g, case)
        if not isinstance(loss, float) or not math.isfinite(loss) or \
                not isinstance(dx, np.ndarray) or not np.all(np.isfinite(dx)):
            return failed(f"the loss or dx is not finite: {diagnose.OVERFLOW}",
                          diagnosis=diagnose.OVERFLOW)
        if rel_error(loss, expected_loss) > g.own.value_tolerance:
            return failed(f"loss {loss:.6g}, expected {expected_loss:.6g} on scores of about "
                          "1e3")
        return compare("dx", dx, expected_dx, g, g.own.gradient_tolerance)

    return Check("softmax_loss: large scores (overflow)", "softmax_loss", "large_scores",
                 evaluate)


def softmax_checks(seed: int) -> list[Check]:
    cases = inputs.softmax_cases(seed)
    checks = []
    for case in cases:
        checks.append(_softmax_loss_check(case))
        checks.append(_array_check("softmax_loss", "dx", "dx", case, "dx",
                                   lambda g, c=case: _softmax(g, c)[1],
                                   diagnose.softmax_dx_hint, gradient=True))
    checks.append(large_scores_check(seed))
    checks.append(_mutation_check("softmax_loss", "softmax_loss", cases, "x and y"))
    return checks


def layer_utils_checks(seed: int) -> list[Check]:
    """affine_relu_forward's out and affine_relu_backward's dx, dw, db (one check)."""
    case = inputs.affine_relu_case(seed)

    def expected(g: Grading) -> tuple:
        return g.cached(("affine_relu", case.label),
                        lambda: oracle.affine_relu(case.x, case.w, case.b, case.dout))

    def gradients(g: Grading) -> Verdict:
        out = _call(g, "affine_relu", case)
        if not out.ok:
            return _failed_call(g, "affine_relu", out.error, case)
        for i, name in enumerate(("dx", "dw", "db"), start=1):
            verdict = compare(f"{name} from affine_relu_backward", value_of(out, name),
                              expected(g)[i], g, g.own.gradient_tolerance)
            if verdict.fraction < 1:
                return verdict
        return passed("dx, dw and db from affine_relu_backward are correct")

    value = _array_check("affine_relu", "value", "out", case, "out",
                         lambda g: expected(g)[0])
    return [Check(f"affine_relu_forward: out, {case.label}", "layer_utils", "value",
                  value.evaluate),
            Check(f"affine_relu_backward: dx, dw, db, {case.label}", "layer_utils",
                  "gradients", gradients)]
