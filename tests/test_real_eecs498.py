"""Real EECS 498-007 A2 code, graded as committed (tests/real_eecs498/README.md names each
file's repository and commit): the course's own starter and template code never costs a
point, and a rule finds only what a student really wrote against it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from autograder import intake
from autograder.assignment import load
from autograder.grade import grade_submission

SPEC = load("linear_torch")
FOLDER = Path(__file__).parent / "real_eecs498"
FILES = sorted(p.name.split(".")[0] for p in FOLDER.glob("*.linear_classifier.py.txt"))
# The students' own violations, by file: rule -> function -> words of the finding.
REAL_VIOLATIONS = {
    "Kodp": {"device": {"svm_loss_vectorized": "device other than an input's (device=X.device) "
                                               "(line 336)"}},
}
RULE_WORDS = ("uses autograd", "would fail on a GPU")


def as_submitted(name: str, target: Path) -> Path:
    """A starter-layout submission folder holding the file as linear_classifier.py."""
    folder = target / name
    folder.mkdir()
    shutil.copyfile(FOLDER / f"{name}.linear_classifier.py.txt", folder / "linear_classifier.py")
    return folder


def test_the_folder_holds_the_starter_and_several_students():
    assert "starter" in FILES and len(FILES) >= 4


@pytest.mark.parametrize("name", FILES)
def test_the_rules_find_only_what_the_student_wrote_against_them(name, tmp_path):
    submission = intake.load_submission(as_submitted(name, tmp_path), SPEC)
    assert submission.layout == intake.STARTER
    expected = REAL_VIOLATIONS.get(name, {})
    assert set(submission.findings) == set(expected), submission.findings
    for rule, functions in expected.items():
        assert set(submission.findings[rule]) == set(functions), submission.findings[rule]
        for function, words in functions.items():
            assert any(words in f for f in submission.findings[rule][function])
    # No blocking rule turned into a problem: every function reaches the child.
    assert not [p for p in submission.problems if "uses autograd" in p.message]


# What each student's own code costs outside CIFAR-10, by check: words of its message.
# Xecades and cyrus28214 left a num_iters of their own in test_one_param_set (50 trainings
# of `num_iters = 50`; `num_iters = 100`); cyrus28214 never filled softmax_get_search_params;
# Kodp's loss makes a tensor on 'cuda', so nothing that trains through it runs here.
ONE = "test_one_param_set: trains cls and reports its accuracies"
KODP_TRAIN = "Torch not compiled with CUDA enabled"
REAL_VERDICTS = {
    "Xecades": {ONE: "about 2500 iterations of that lr"},
    "cyrus28214": {ONE: "about 100 iterations of that lr",
                   "softmax_get_search_params: at least 2 of each, at most 25 combinations":
                   "is an empty list"},
    "Kodp": {ONE: KODP_TRAIN, **{f"train_linear_classifier: {check}": KODP_TRAIN for check in (
        "train returns one loss per iteration", "W initialised when None",
        "train samples minibatches at random, rows with their labels",
        "train steps W by -learning_rate * gradient")}},
}
WITHOUT_CIFAR = ["sample_batch", "train_linear_classifier", "svm_get_search_params",
                 "softmax_get_search_params", "test_one_param_set"]


@pytest.mark.parametrize("name", [n for n in FILES if n != "starter"])
def test_a_real_submission_is_graded_on_what_the_starter_asks(name, tmp_path):
    # Nothing beyond the starter's words (sampling without replacement, 25 combinations),
    # nothing less (the num_iters test_one_param_set is given, two values of each).
    result = grade_submission(as_submitted(name, tmp_path), spec=SPEC, targets=WITHOUT_CIFAR)
    failing = {t["name"]: t["output"] for t in result.tests if t["score"] < t["max_score"]}
    expected = REAL_VERDICTS.get(name, {})
    assert set(failing) == set(expected), failing
    for check, words in expected.items():
        assert words in failing[check], failing[check]


@pytest.mark.cifar
@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in FILES if n != "starter"])
def test_a_real_submission_loses_no_point_to_the_course_s_own_code(name, torch_grading_data,
                                                                   tmp_path):
    result = grade_submission(as_submitted(name, tmp_path), data=torch_grading_data, spec=SPEC)
    by_rule = [t for t in result.tests if t["score"] < t["max_score"]
               and any(w in t["output"] for w in RULE_WORDS)]
    # Only a student's own violation may cost a point to a rule (Kodp's loss, which makes a
    # tensor on 'cuda', fails on the grader's CPU before its device check is read).
    expected = {f"{fn}: device-agnostic" for fns in REAL_VIOLATIONS.get(name, {}).values()
                for fn in fns}
    assert {t["name"] for t in by_rule} <= expected, [t["output"] for t in by_rule]
    assert not any("uses autograd" in t["output"] for t in result.tests)
