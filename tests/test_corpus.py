"""The corpus, graded as a TA would check it: each submission gets its score and its messages.

Every entry of tests/corpus/{correct,buggy,broken}/ is built as a real submission (the
release notebooks with the entry's cells, weights trained on the real CIFAR-10) and graded
through the real pipeline: intake, the sandbox, the hidden checks, CIFAR-10 retraining.
Its expected.toml says the total it must get, exactly which checks fail (`fail`: name
prefixes), and what their messages must say (`says`: for each name prefix, words every
failing check's message contains; a list inside means one of those words). Entries whose
bug lies outside what CIFAR-10 training runs set `cifar = false` and are graded without
the 30 CIFAR-10 points, which keeps the corpus affordable on two cores (the reference,
the training bugs and the hyperparameter bug all go through CIFAR-10).

The NumPy edition's source rules (no automatic differentiation, imports from an allow-list)
refuse most sandbox attacks before the child runs them. A hostile entry is therefore graded
without the rules, so that it shows the sandbox containing it, unless its expected.toml
says `rules = true` (an attack on the rules themselves); every other entry is graded as a
course grades it, rules included.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from corpus_asserts import assert_graded, traces
from corpus_cells import CORPUS, entry_spec
from submissions import build_entry

from autograder.assignment import load as load_assignment
from autograder.assignments.linear.checks import TARGETS
from autograder.grade import grade_submission

# honest/: the honest twins of attacks, the same work spelled the normal way (full points).
KINDS = ("buggy", "broken", "hostile", "honest")
ENTRIES = ["correct"] + sorted(f"{kind}/{path.name}" for kind in KINDS
                               for path in (CORPUS / kind).iterdir()
                               if (path / "expected.toml").is_file())
WITHOUT_CIFAR = [t for t in TARGETS if t not in load_assignment().data_targets]


def test_the_corpus_has_a_dozen_buggy_submissions_and_the_broken_cases():
    buggy = [e for e in ENTRIES if e.startswith("buggy/")]
    broken = {e.split("/")[1] for e in ENTRIES if e.startswith("broken/")}
    assert len(buggy) >= 12
    assert {"invalid_json", "deleted_cell", "syntax_error", "renamed_function",
            "infinite_loop", "huge_allocation", "stubs_unchanged"} <= broken


@pytest.mark.cifar
@pytest.mark.slow
@pytest.mark.parametrize("entry", ENTRIES)
def test_corpus_entry_gets_its_score_and_messages(entry, grading_data, trained_models,
                                                  tmp_path):
    spec = entry_spec(entry)
    submission = build_entry(entry, tmp_path, trained_models)
    cifar = spec.get("cifar", True)
    reference = grading_data.reference_timing
    reference.call("loss", fn="svm_loss_vectorized", W=np.zeros((2, 2)), X=np.ones((1, 2)),
                   y=np.zeros(1, dtype=np.int64), reg=0.0)
    keep = {reference._live.uid}
    before = traces(keep)
    assignment = load_assignment()
    if entry.startswith("hostile/") and not spec.get("rules", False):
        assignment = dataclasses.replace(assignment, rules={})
    result = grade_submission(submission, data=grading_data, spec=assignment,
                              targets=None if cifar else WITHOUT_CIFAR)
    # Nothing the submission started or made outlives its grade.
    left = {kind: found - before[kind] for kind, found in traces(keep).items()}
    assert not any(left.values()), f"{entry} left behind {left}"

    assert_graded(entry, spec, result, 100.0 if cifar else 70.0)
