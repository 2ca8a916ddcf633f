"""What the SOI1010 checks share: `Grading`, a grading run of these checks (the two-layer
edition's: memoized calls, the inputs each call changed, the oracle's answers cached), told
where this edition's functions are written. `compare` and `no_mutation` are that edition's
too: the same relative error against the oracle, the same mutation verdict. `bug`: the
failure whose message names a bug in words alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from autograder.assignments.two_layer_net import grading as shared
from autograder.assignments.two_layer_net.grading import (
    TORCH_IN_PLACE,
    compare,
    no_mutation,
    value_of,
)
from autograder.checks import Verdict, failed

__all__ = ["Grading", "bug", "compare", "no_mutation", "value_of", "NOTEBOOK", "SUBJECTS",
           "TORCH_IN_PLACE"]

NOTEBOOK = "svm_softmax.ipynb"
SUBJECTS = ("split_train_val", "normalize_splits", "binary_subset", "hinge_loss", "train_svm",
            "one_vs_all_labels", "one_vs_all_predict", "softmax_cross_entropy",
            "train_softmax")


@dataclass
class Grading(shared.Grading):
    """A grading run of this edition's checks."""

    @property
    def notebooks(self) -> Mapping[str, str]:
        return dict.fromkeys(SUBJECTS, NOTEBOOK)


def bug(message: str) -> Verdict:
    """A failure whose `message` names a bug and holds no number of the hidden inputs: the
    message is its own diagnosis (CheckResult.diagnosis), shared by every student with it."""
    return failed(message, diagnosis=message)
