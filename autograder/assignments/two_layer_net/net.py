"""TwoLayerNet's checks: its initialization (shapes, weights N(0, weight_scale^2), biases
zero, self.reg kept), its scores at test time, its loss and every parameter's gradient at
reg 0 and reg > 0, against the oracle; and the arrays it is given left unchanged.
"""

from __future__ import annotations

import math

import numpy as np

from autograder.assignments.two_layer_net import diagnose, inputs, oracle
from autograder.assignments.two_layer_net.grading import Grading, compare, no_mutation, value_of
from autograder.assignments.two_layer_net.inputs import InitCase, NetCase
from autograder.checks import Check, Verdict, failed, passed
from autograder.outcome import Outcome
from cs231n_data.gradient_check import rel_error

NET = "TwoLayerNet"
PARAMS = oracle.PARAMS


def _init(g: Grading, case: InitCase) -> Outcome:
    return g.op(NET, "net_init", "init", input_dim=case.input_dim,
                hidden_dim=case.hidden_dim, num_classes=case.num_classes,
                weight_scale=case.weight_scale, reg=case.reg, seed=case.seed)


def _shapes(case: InitCase) -> dict[str, tuple[int, ...]]:
    D, H, C = case.input_dim, case.hidden_dim, case.num_classes
    return {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}


def init_shapes_check(seed: int) -> Check:
    """TwoLayerNet(input_dim, hidden_dim, num_classes, weight_scale, reg): W1 (D, H),
    b1 (H,), W2 (H, C), b2 (C,) in self.params, and self.reg == reg."""
    case = inputs.init_case(seed)

    def evaluate(g: Grading) -> Verdict:
        out = _init(g, case)
        if not out.ok:
            return failed(g.failure(NET, out.error))
        for name, shape in _shapes(case).items():
            got = value_of(out, name)
            if not isinstance(got, np.ndarray) or got.shape != shape:
                have = got.shape if isinstance(got, np.ndarray) else type(got).__name__
                return failed(f"self.params['{name}'] has shape {have}, expected {shape} for "
                              f"TwoLayerNet(input_dim={case.input_dim}, hidden_dim="
                              f"{case.hidden_dim}, num_classes={case.num_classes}): use the "
                              "arguments, not the defaults")
        reg = value_of(out, "reg")
        if reg is None or math.isnan(reg):
            return failed("TwoLayerNet keeps no self.reg: __init__ stores self.reg = reg")
        if reg != case.reg:
            return failed(f"self.reg is {reg}, expected the reg={case.reg} given to __init__")
        return passed(f"W1, b1, W2, b2 have shapes {', '.join(map(str, _shapes(case).values()))}"
                      " and self.reg is kept")

    return Check(f"{NET}: __init__ makes parameters of the right shapes", NET, "init_shapes",
                 evaluate)


def _weights_problem(name: str, W: np.ndarray, scale: float, rule: object) -> str | None:
    std, mean = float(np.std(W)), float(np.mean(W))
    if not math.isfinite(std) or abs(std - scale) > rule.init_std * scale:
        return (f"self.params['{name}'] has standard deviation {std:.3g}, expected "
                f"weight_scale = {scale:g}: weight_scale * np.random.randn(...)")
    if abs(mean) > rule.init_mean * scale:
        return (f"self.params['{name}'] has mean {mean:.3g}, expected about 0: draw it "
                "from a Gaussian, weight_scale * np.random.randn(...)")
    return None


def init_statistics_check(seed: int) -> Check:
    """Weights of standard deviation weight_scale and mean 0 (within the rubric's [init]
    fractions), biases exactly zero."""
    case = inputs.init_case(seed)

    def evaluate(g: Grading) -> Verdict:
        out = _init(g, case)
        if not out.ok:
            return failed(g.failure(NET, out.error))
        shapes = _shapes(case)
        params = {k: value_of(out, k) for k in PARAMS}
        if any(not isinstance(params[k], np.ndarray) or params[k].shape != shapes[k]
               for k in PARAMS):
            return failed("the parameters do not have the right shapes (see the check of "
                          "__init__'s shapes)")
        for name in ("b1", "b2"):
            if np.any(params[name] != 0):
                return failed(f"self.params['{name}'] is not all zeros: biases start at "
                              "np.zeros(...)")
        for name in ("W1", "W2"):
            problem = _weights_problem(name, params[name], case.weight_scale, g.own)
            if problem:
                return failed(problem)
        return passed(f"weights of standard deviation about weight_scale = "
                      f"{case.weight_scale:g} and mean about 0; biases zero")

    return Check(f"{NET}: __init__ draws weights N(0, weight_scale^2), biases zero", NET,
                 "init_statistics", evaluate)


def _sizes(case: NetCase) -> dict[str, object]:
    return {"input_dim": case.input_dim, "hidden_dim": case.hidden_dim,
            "num_classes": case.num_classes, **case.params}


def _failure(g: Grading, case: NetCase, error: str | None) -> str:
    hint = diagnose.unflattened_hint(case.X, error, "X (images of several dimensions)")
    return g.failure(NET, error) + (f": {hint}" if hint else "")


def _loss(g: Grading, case: NetCase) -> Outcome:
    return g.op(NET, "net_loss", f"loss, {case.label}", reg=case.reg, X=case.X, y=case.y,
                **_sizes(case))


def _expected(g: Grading, case: NetCase) -> tuple[float, dict[str, np.ndarray]]:
    return g.cached(("net", case.label),
                    lambda: oracle.two_layer_loss(case.params, case.X, case.y, case.reg))


def scores_check(seed: int) -> Check:
    """loss(X) without y: the scores (N, C) of affine - ReLU - affine."""
    case = inputs.net_cases(seed)[0]

    def evaluate(g: Grading) -> Verdict:
        out = g.op(NET, "net_scores", "scores", X=case.X, **_sizes(case))
        if not out.ok:
            return failed(_failure(g, case, out.error))
        expected = g.cached(("scores",), lambda: oracle.two_layer_scores(case.params, case.X))
        return compare("the scores array from loss(X)", value_of(out, "scores"), expected, g,
                       g.own.value_tolerance, lambda got: diagnose.net_scores_hint(case, got))

    return Check(f"{NET}: loss(X) returns the scores", NET, "scores", evaluate)


def loss_check(case: NetCase) -> Check:
    """loss(X, y): softmax loss plus 0.5 * reg * (sum(W1**2) + sum(W2**2))."""

    def evaluate(g: Grading) -> Verdict:
        out = _loss(g, case)
        if not out.ok:
            return failed(_failure(g, case, out.error))
        loss, expected = value_of(out, "loss"), _expected(g, case)[0]
        if not isinstance(loss, float) or not math.isfinite(loss):
            return failed(f"the loss is {loss}, expected {expected:.6g}")
        error = rel_error(loss, expected)
        if error <= g.own.value_tolerance:
            return passed(f"loss {loss:.6g} is correct (relative error {error:.1e})")
        hint = diagnose.net_loss_hint(case, loss)
        return failed(f"loss {loss:.6g}, expected {expected:.6g} (relative error {error:.1e})"
                      + (f": {hint}" if hint else " (the loss is the softmax loss of the "
                         "scores plus 0.5 * reg * (sum(W1**2) + sum(W2**2)))"), diagnosis=hint)

    return Check(f"{NET}: loss(X, y), {case.label}", NET, "loss", evaluate)


def gradients_check(case: NetCase) -> Check:
    """loss(X, y)'s grads: W1, b1, W2, b2, each against the oracle."""

    def evaluate(g: Grading) -> Verdict:
        out = _loss(g, case)
        if not out.ok:
            return failed(_failure(g, case, out.error))
        expected = _expected(g, case)[1]
        wrong = [verdict for verdict in (
            compare(f"grads['{name}']", value_of(out, f"d{name}"), expected[name], g,
                    g.own.gradient_tolerance,
                    lambda got, n=name: diagnose.net_gradient_hint(case, n, got))
            for name in PARAMS) if verdict.fraction < 1]
        if wrong:
            named = [v.diagnosis for v in wrong if v.diagnosis]
            return failed("; ".join(v.message for v in wrong),
                          diagnosis="; ".join(named) if len(named) == len(wrong) else None)
        return passed("grads of W1, b1, W2 and b2 are correct")

    return Check(f"{NET}: gradients of W1, b1, W2, b2, {case.label}", NET, "gradients",
                 evaluate)


def net_mutation_check(seed: int) -> Check:
    cases = inputs.net_cases(seed)

    def evaluate(g: Grading) -> Verdict:
        for case in cases:
            _loss(g, case)
        return no_mutation(g, NET, lambda: _loss(g, cases[0]),
                           "the parameters W1, b1, W2, b2 and X, y")

    return Check(f"{NET}: loss does not modify its parameters or inputs", NET, "no_mutation",
                 evaluate)


def net_checks(seed: int) -> list[Check]:
    cases = inputs.net_cases(seed)
    checks = [init_shapes_check(seed), init_statistics_check(seed), scores_check(seed)]
    for case in cases:
        checks += [loss_check(case), gradients_check(case)]
    return [*checks, net_mutation_check(seed)]
