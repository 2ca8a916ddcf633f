"""The PyTorch edition's corpus, graded through the same engine as the NumPy one.

Every entry of tests/corpus_torch/ is built as a real submission (the release notebook
with the entry's cells, models trained with the source notebook's functions on the real
CIFAR-10) and graded end to end: intake (and its rules on the source), the sandbox with
the torch operations, the hidden checks, CIFAR-10. Its expected.toml has the NumPy
corpus's format; `cifar = false` grades it without the 28 CIFAR-10 points.
"""

from __future__ import annotations

import numpy as np
import pytest
from corpus_asserts import assert_graded, traces
from corpus_cells import entry_spec
from torch_submissions import CORPUS, SPEC, build_entry, reference_cells

from autograder import rules
from autograder.grade import grade_submission

# honest/: the honest twins of attacks, the same work spelled the normal way (full points).
KINDS = ("buggy", "broken", "hostile", "honest")
ENTRIES = ["correct"] + sorted(f"{kind}/{path.name}" for kind in KINDS
                               for path in (CORPUS / kind).iterdir()
                               if (path / "expected.toml").is_file())
TARGETS = SPEC.check_module.TARGETS
WITHOUT_CIFAR = [t for t in TARGETS if t not in SPEC.data_targets]
CIFAR_POINTS = 28.0


def test_the_torch_corpus_has_its_bugs_and_attacks():
    buggy = {e.split("/")[1] for e in ENTRIES if e.startswith("buggy/")}
    assert len(buggy) >= 8
    assert len([e for e in ENTRIES if e.startswith("hostile/")]) >= 5


def test_the_reference_solution_breaks_no_rule():
    # A rule that flags the instructor's own solution would cost every honest student.
    assert rules.scan(reference_cells(), SPEC.rules) == {}


@pytest.mark.cifar
@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES)
def test_torch_corpus_entry_gets_its_score_and_messages(entry, torch_grading_data,
                                                        torch_models, tmp_path):
    spec = entry_spec(entry, CORPUS)
    submission = build_entry(entry, tmp_path, torch_models)
    cifar = spec.get("cifar", True)
    reference = torch_grading_data.reference_timing
    reference.call("loss", fn="svm_loss_vectorized", W=np.zeros((2, 2)), X=np.ones((1, 2)),
                   y=np.zeros(1, dtype=np.int64), reg=0.0)
    keep = {reference._live.uid}
    before = traces(keep)
    result = grade_submission(submission, data=torch_grading_data, spec=SPEC,
                              targets=None if cifar else WITHOUT_CIFAR)
    left = {kind: found - before[kind] for kind, found in traces(keep).items()}
    assert not any(left.values()), f"{entry} left behind {left}"
    # A hostile model file's payload (hostile/pickle_model) leaves this mark if it ever runs.
    assert not list(tmp_path.rglob("*.pwned")), f"{entry}: a model file ran code"
    assert_graded(entry, spec, result, 100.0 if cifar else 100.0 - CIFAR_POINTS)
