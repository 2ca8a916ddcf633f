"""The checks of the two losses the students write by hand: the hinge loss and the softmax
cross-entropy. Each calls the student's function through `Grading.op` on hidden inputs
(inputs.py); the child runs backward() through it, and the parent compares the value and
the gradients with the oracle (oracle.py: torch autograd in float64, nn.CrossEntropyLoss
for the cross-entropy); a failure names the likely bug (diagnose.py).
"""

from __future__ import annotations

import numpy as np

from autograder.assignments.soi1010 import diagnose, inputs, oracle
from autograder.assignments.soi1010.grading import (
    TORCH_IN_PLACE,
    Grading,
    compare,
    no_mutation,
    value_of,
)
from autograder.checks import Check, Verdict, failed


def hinge_checks(seed: int) -> list[Check]:
    checks = []
    for i, case in enumerate(inputs.hinge_cases(seed)):
        label = f"case {i}"

        def call(g: Grading, case: inputs.HingeCase = case, label: str = label) -> object:
            return g.op("hinge_loss", "hinge_loss", label, margin_scores=case.scores, y=case.y,
                        w=case.w, lam=case.lam)

        def loss(g: Grading, case: inputs.HingeCase = case, call=call) -> Verdict:
            out = call(g)
            if not out.ok:
                return failed(g.failure("hinge_loss", out.error))
            expected = g.cached(("hinge", case.label), lambda: oracle.hinge(
                case.scores, case.y, case.w, case.lam))
            got = value_of(out, "loss")
            return compare("the loss", np.array(got), np.array(expected[0]), g,
                           g.own.value_tolerance, hint=lambda v: diagnose.hinge_loss_bug(
                               float(v), case.scores, case.y, case.w, case.lam))

        def gradient(g: Grading, case: inputs.HingeCase = case, call=call) -> Verdict:
            out = call(g)
            if not out.ok:
                return failed(g.failure("hinge_loss", out.error))
            _, dscores, dw = g.cached(("hinge", case.label), lambda: oracle.hinge(
                case.scores, case.y, case.w, case.lam))
            verdict = compare("the gradient of the loss with respect to the scores",
                              value_of(out, "dscores"), dscores, g, g.own.gradient_tolerance)
            if verdict.fraction < 1:
                return verdict
            return compare("the gradient of the loss with respect to w",
                           value_of(out, "dw"),
                           dw, g, g.own.gradient_tolerance)

        checks += [Check(f"hinge_loss: loss ({case.label})", "hinge_loss", "loss", loss),
                   Check(f"hinge_loss: gradient by autograd ({case.label})", "hinge_loss",
                         "gradient", gradient)]
    first = inputs.hinge_cases(seed)[0]
    checks.append(Check("hinge_loss: inputs unchanged", "hinge_loss", "no_mutation",
                        lambda g: no_mutation(g, "hinge_loss", lambda: g.op(
                            "hinge_loss", "hinge_loss", "case 0", margin_scores=first.scores,
                            y=first.y, w=first.w, lam=first.lam), "scores, y and w",
                            fix=TORCH_IN_PLACE)))
    return checks


def cross_entropy_checks(seed: int) -> list[Check]:
    checks = []
    cases = inputs.logits_cases(seed)
    for i, case in enumerate(cases):
        label = f"case {i}"

        def call(g: Grading, case: inputs.LogitsCase = case, label: str = label) -> object:
            return g.op("softmax_cross_entropy", "cross_entropy", label, logits=case.logits,
                        y=case.y)

        def compared(g: Grading, what: str, case: inputs.LogitsCase = case, call=call
                     ) -> Verdict:
            out = call(g)
            if not out.ok:
                return failed(g.failure("softmax_cross_entropy", out.error))
            loss, dlogits = g.cached(("ce", case.label),
                                     lambda: oracle.cross_entropy(case.logits, case.y))
            if what == "gradient":
                return compare("the gradient with respect to the logits",
                               value_of(out, "dlogits"), dlogits, g, g.own.gradient_tolerance)
            verdict = compare("the loss", np.array(value_of(out, "loss")), np.array(loss), g,
                              g.own.value_tolerance, hint=lambda v: diagnose.cross_entropy_bug(
                                  float(v), case.logits, case.y))
            if what == "loss" or verdict.fraction < 1:
                return verdict
            return compare("the gradient with respect to the logits",
                           value_of(out, "dlogits"), dlogits, g, g.own.gradient_tolerance)

        if case.large:
            checks.append(Check(f"softmax_cross_entropy: equals nn.CrossEntropyLoss, value "
                                f"and gradient ({case.label})", "softmax_cross_entropy",
                                "large_logits", lambda g, c=compared: c(g, "both")))
        else:
            checks += [Check(f"softmax_cross_entropy: equals nn.CrossEntropyLoss "
                             f"({case.label})", "softmax_cross_entropy", "loss",
                             lambda g, c=compared: c(g, "loss")),
                       Check(f"softmax_cross_entropy: gradient by autograd ({case.label})",
                             "softmax_cross_entropy", "gradient",
                             lambda g, c=compared: c(g, "gradient"))]
    first = cases[0]
    checks.append(Check("softmax_cross_entropy: inputs unchanged", "softmax_cross_entropy",
                        "no_mutation", lambda g: no_mutation(g, "softmax_cross_entropy",
                                                             lambda: g.op(
                            "softmax_cross_entropy", "cross_entropy", "case 0",
                            logits=first.logits, y=first.y), "logits and y",
                            fix=TORCH_IN_PLACE)))
    return checks
