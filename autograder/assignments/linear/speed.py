"""The speed checks of the vectorized losses: CPU time against your naive version and
against the reference, measured in the same rounds (`Grading.speed`)."""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable

from autograder.assignments.linear import diagnose, inputs
from autograder.assignments.linear.grading import NAIVE_OF, Grading, loss_value
from autograder.assignments.linear.oracle import kind_of
from autograder.checks import Check, Verdict, failed
from cs231n_data.gradient_check import rel_error


def _band(value: float, bands: Iterable[tuple[float, float]], higher_is_better: bool) -> float:
    """The fraction of points at `value`, on the line through the bands' (threshold,
    fraction) anchors, best first: the best fraction from the first threshold on, the last
    fraction past the last one. Continuous, so a measurement near a threshold moves the
    score by as little as it moves itself (timing noise is ~10% per grading here)."""
    anchors = [(t if higher_is_better else -t, f) for t, f in bands]
    x = value if higher_is_better else -value
    if x >= anchors[0][0]:
        return anchors[0][1]
    for (t_hi, f_hi), (t_lo, f_lo) in itertools.pairwise(anchors):
        if t_lo <= x < t_hi:
            return f_lo + (f_hi - f_lo) * (x - t_lo) / (t_hi - t_lo)
    return anchors[-1][1]


def _correct_on_dev(g: Grading, fn: str) -> str | None:
    """None when `fn` is correct on the dev-set shape; else why speed is not scored."""
    case = g.cases(fn)[-1]
    out = g.loss(fn, case)
    if not out.ok:
        return g.failure(fn, out.error)
    loss, dW, problem = loss_value(out)
    expected_loss, expected_dW = g.oracle(fn, case)
    correct = (dW is not None and dW.shape == expected_dW.shape
               and rel_error(loss, expected_loss) <= g.rubric.own.loss_tolerance
               and rel_error(dW, expected_dW) <= g.rubric.own.gradient_float32_tolerance)
    if correct:
        return None
    return (f"speed is scored only once {fn} is correct on {case.label}: see its loss and "
            "gradient checks")


def speedup_check(fn: str) -> Check:
    """CPU time of your naive version / CPU time of `fn`, on the dev-set shape, in bands
    that are fractions of the reference's own speedup measured in the same rounds (so the
    score does not depend on the machine, nor on its load)."""
    naive = NAIVE_OF[fn]

    def evaluate(g: Grading) -> Verdict:
        reason = _correct_on_dev(g, fn)
        if reason:
            return failed(reason)
        rounds, why = g.speed(fn)
        if why:
            return failed(why)
        if fn in g._naive_problem:
            return failed(g._naive_problem[fn])
        rule = g.rubric.own.speed
        speedup = statistics.median(r.speedup(rule.naive_cap) for r in rounds)
        own = statistics.median(r.own for r in rounds)
        own_naive = statistics.median(r.own_naive for r in rounds)
        bands = rule.speedup_bands[fn]
        shape = inputs.timing_case(kind_of(fn), g.seed, 0).shape_label
        message = (f"speedup {speedup:.1f}x over your {naive} on {shape} "
                   f"({own * 1e3:.1f} ms vs {own_naive * 1e3:.1f} ms of CPU per call, median "
                   f"of {len(rounds)} rounds of calls on fresh inputs")
        if rounds[0].ref is None:
            fraction = _band(speedup, bands, higher_is_better=True)
            message += f"; full credit from {bands[0][0]:g}x)"
        else:
            reference = statistics.median(r.ref_naive / max(r.ref, 1e-9) for r in rounds)
            # Scored on the ratio within each round (its four calls run back to back): load
            # that changes between rounds moves both speedups of a round alike.
            relative = statistics.median(
                r.speedup(rule.naive_cap) / max(r.ref_naive / max(r.ref, 1e-9), 1e-9)
                for r in rounds)
            fraction = _band(relative, bands, higher_is_better=True)
            message += (f"; the reference solution gets {reference:.1f}x in the same rounds, "
                        f"full credit from {bands[0][0]:g} of that, "
                        f"{bands[0][0] * reference:.1f}x)")
        if speedup <= rule.naive_cap:
            fraction = 0.0
        capped = [r for r in rounds if r.ref_naive is not None
                  and r.own_naive > rule.naive_cap * r.ref_naive]
        if len(capped) * 2 > len(rounds):
            message += (f"; your {naive} took more than {rule.naive_cap:g}x the reference "
                        "loop's time, so it counted as that")
        hint = diagnose.speed_hint(speedup)
        return Verdict(fraction, message + (f": {hint}" if hint else ""),
                       diagnosis=g.api.spell(hint))

    return Check(f"{fn}: speedup over your naive version", fn, "speedup", evaluate,
                 of_correctness=False)


def vs_reference_check(fn: str) -> Check:
    """CPU time of `fn` / CPU time of the reference vectorized version, in bands that are
    fractions of the reference's own naive/vectorized ratio (the loop's place)."""

    def evaluate(g: Grading) -> Verdict:
        reason = _correct_on_dev(g, fn)
        if reason:
            return failed(reason)
        rounds, why = g.speed(fn)
        if why:
            return failed(why)
        ratio = statistics.median(r.own / max(r.ref, 1e-9) for r in rounds)
        loop = statistics.median(r.ref_naive / max(r.ref, 1e-9) for r in rounds)
        own = statistics.median(r.own for r in rounds)
        ref = statistics.median(r.ref for r in rounds)
        rule = g.rubric.own.speed
        # Each band's limit in x of the reference's time: its share of the loop's place,
        # but never below the floor (load can squeeze the loop's place on a busy machine).
        bands = [(max(rule.vs_reference_floor, share * loop), fraction)
                 for share, fraction in rule.vs_reference_bands[fn]]
        fraction = _band(ratio, bands, higher_is_better=False)
        shape = inputs.timing_case(kind_of(fn), g.seed, 0).shape_label
        return Verdict(fraction, f"{ratio:.1f}x the reference's CPU time on {shape} "
                                 f"({own * 1e3:.1f} ms vs {ref * 1e3:.1f} ms per call, "
                                 f"median of {len(rounds)} rounds; a loop takes {loop:.1f}x "
                                 f"here, full credit up to {bands[0][0]:.1f}x)")

    return Check(f"{fn}: speed vs the reference", fn, "vs_reference", evaluate,
                 needs=("reference",), of_correctness=False)
