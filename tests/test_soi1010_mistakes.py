"""The class report's common mistakes for the SOI1010 edition, as an instructor reads them.

A small class graded for real (the sandbox, the hidden checks, no CIFAR-10), each student
built as a corpus entry is (samples.build_entry, its [build] edits): two with binary_subset's
labels in {0, 1} written two ways, two with the same hinge loss no diagnosis names (its
hinge term doubled, as `2 * mean` and as `mean + mean`), and one who normalizes each split
with its own statistics, which two checks find. Each named bug is one row with its
students; the two unnamed ones are one group of the class-common probes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from autograder.assignment import load as load_assignment
from autograder.assignments import samples as shared
from autograder.assignments.soi1010 import samples
from autograder.grade import grade_submission, seed_of
from autograder.mistakes import Behaviour, Mistake, common_mistakes, wrong_behaviours
from autograder.result import GradeResult
from autograder.store import GradeStore, Record

SPEC = load_assignment("soi1010")
HINGE = "torch.clamp(1 - y * scores, min=0).mean()"
LABELS = "torch.where(y[keep] == positive, 1.0, -1.0)"
# name -> (the corpus entry built on, more [build] edits, the targets graded).
STUDENTS: dict[str, tuple[str, list[list[str]], list[str]]] = {
    "ann": ("buggy/subset_labels_01", [], ["binary_subset"]),
    "ben": ("correct", [["binary_subset", LABELS, "torch.where(y[keep] == positive, 1.0, 0.0)"]],
            ["binary_subset"]),
    "cat": ("correct", [["hinge_loss", HINGE, f"2 * {HINGE}"]], ["hinge_loss"]),
    "dee": ("correct", [["hinge_loss", HINGE, f"{HINGE} + {HINGE}"]], ["hinge_loss"]),
    "eve": ("buggy/normalize_each_split", [], ["normalize_splits"]),
}


def write_entry(corpus: Path, name: str, base: str, edits: Sequence[Sequence[str]]) -> str:
    """A corpus entry `name` in `corpus`: the entry `base` of the SOI1010 corpus with its
    [build] edits and `edits` after them (JSON strings are TOML basic strings)."""
    every = [*shared.entry_spec(base, samples.CORPUS).get("build", {}).get("edit", []), *edits]
    (corpus / name).mkdir(parents=True)
    (corpus / name / "expected.toml").write_text(
        "[build]\nedit = [" + ", ".join(json.dumps(list(e)) for e in every) + "]\n",
        encoding="utf-8")
    return name


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GradeResult]:
    corpus, built = tmp_path_factory.mktemp("corpus"), tmp_path_factory.mktemp("class")
    results = {}
    for name, (base, edits, targets) in STUDENTS.items():
        folder = samples.build_entry(write_entry(corpus, name, base, edits), built, None,
                                     corpus=corpus)
        results[name] = grade_submission(folder, data=None, targets=targets, spec=SPEC)
    return results


@pytest.fixture(scope="module")
def records(graded: dict[str, GradeResult], tmp_path_factory: pytest.TempPathFactory
            ) -> list[Record]:
    with GradeStore(tmp_path_factory.mktemp("store") / "grades.sqlite") as store:
        for result in graded.values():
            store.record(result, rubric_hash="r")
        return store.records()


def failing(result: GradeResult) -> list[dict]:
    return [t for t in result.tests if t["score"] < t["max_score"]]


def of(rows: Sequence[Mistake | Behaviour], target: str) -> list[Mistake | Behaviour]:
    return [row for row in rows if row.target == target]


def test_labels_in_0_1_written_two_ways_are_one_row_of_two_students(
        graded: dict[str, GradeResult], records: list[Record]):
    assert seed_of(graded["ann"].content_hash) != seed_of(graded["ben"].content_hash)
    [labels] = of(common_mistakes(records), "binary_subset")
    assert labels.students == ("ann", "ben")
    assert labels.diagnosis.startswith("labels in {0, 1}: the SVM needs +1 for `positive`")


def test_a_hinge_loss_doubled_two_ways_is_one_probe_group(graded: dict[str, GradeResult],
                                                          records: list[Record]):
    # Their hidden inputs differ (each drawn from its own content); the probes do not.
    assert seed_of(graded["cat"].content_hash) != seed_of(graded["dee"].content_hash)
    for name in ("cat", "dee"):
        wrong = failing(graded[name])
        assert wrong and all(t["name"].startswith("hinge_loss: ") for t in wrong)
        assert all(t.get("diagnosis") is None and t.get("fingerprint") for t in wrong)
    [group] = wrong_behaviours(records)
    assert group.target == "hinge_loss" and group.students == ("cat", "dee")
    assert of(common_mistakes(records), "hinge_loss") == []


def test_each_split_with_its_own_statistics_is_one_row_though_two_checks_find_it(
        graded: dict[str, GradeResult], records: list[Record]):
    wrong = failing(graded["eve"])
    assert [t["name"] for t in wrong] == ["normalize_splits: validation uses the training "
                                          "statistics", "normalize_splits: a shifted test split"]
    [own] = of(common_mistakes(records), "normalize_splits")
    assert own.students == ("eve",)
    assert own.diagnosis.startswith("each split is normalized with its own mean and std")
