"""The class report's common mistakes, as an instructor reads them after grading a class.

A small class graded for real (the sandbox, the hidden checks, no CIFAR-10): two students
with the same named bug (the regularization gradient without its factor 2), one with
another named bug under a name that is HTML, two with the same bug no diagnosis names
written two ways (the loss halved), and one correct student. The report lists each
named bug with its students, groups the two unnamed ones by their answers to the
class-common probe inputs, and leaves the correct student out of both.
"""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pytest
from corpus_cells import reference_cells
from submissions import write_submission
from test_cluster import result_doc
from test_export import CLASS, make_store
from test_report import chromium

from autograder import rubric
from autograder.assignment import load as load_assignment
from autograder.assignments.two_layer_net import samples as two_layer
from autograder.cluster import MAX_DIAGNOSIS, expected_checks, validated
from autograder.grade import grade_submission, seed_of
from autograder.ids import submission_id
from autograder.mistakes import common_mistakes, wrong_behaviours
from autograder.report import write_report
from autograder.result import GradeResult
from autograder.store import GradeStore, open_store

FN = "svm_loss_naive"
HOSTILE = submission_id('<img src=x onerror="document.body.dataset.pwned=1">')
REG_GRAD = ("    dW += 2 * reg * W", "    dW += reg * W")
# The loss halved, written two ways: 0.5 * (data + reg), and data / 2N + reg / 2.
HALF_AT_THE_END = ("    loss += reg * np.sum(W * W)\n",
                   "    loss += reg * np.sum(W * W)\n    loss = 0.5 * loss\n")
HALF_IN_EACH_TERM = [("    loss /= num_train\n", "    loss /= (2 * num_train)\n"),
                     ("    loss += reg * np.sum(W * W)\n",
                      "    loss += reg * np.sum(W * W) / 2\n")]
NOT_AVERAGED = [("    loss /= num_train\n", ""), ("    dW /= num_train\n", "")]
STUDENTS = {"alice": [REG_GRAD], "bob": [REG_GRAD], HOSTILE: NOT_AVERAGED,
            "carol": [HALF_AT_THE_END], "dave": HALF_IN_EACH_TERM, "erin": []}


def edited(source: str, edits: list[tuple[str, str]]) -> str:
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    return source


def grade(folder: Path, cells: dict[str, str], target: str = FN, **options) -> GradeResult:
    return grade_submission(write_submission(folder, cells), data=None, targets=[target],
                            **options)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GradeResult]:
    root = tmp_path_factory.mktemp("class")
    cells = reference_cells()
    return {name: grade(root / name, {**cells, FN: edited(cells[FN], edits)})
            for name, edits in STUDENTS.items()}


@pytest.fixture(scope="module")
def index(graded: dict[str, GradeResult], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    with GradeStore(folder / "grades.sqlite") as store:
        for result in graded.values():
            store.record(result, rubric_hash="r")
        records = store.records()
    return write_report(records, folder / "report")


def rows(page: str, kind: str) -> list[dict[str, object]]:
    """The rows of the mistakes (kind 'mistake') or behaviours table: function, count, the
    students linked, the text."""
    found = []
    for attributes, body in re.findall(rf'<tr class="{kind}"([^>]*)>(.*?)</tr>', page, re.S):
        found.append({"target": re.search(r'data-target="([^"]*)"', attributes).group(1),
                      "count": int(re.search(r'data-count="(\d+)"', attributes).group(1)),
                      "links": re.findall(r'href="([^"]*)"', body), "text": body})
    return found


def test_a_named_bug_lists_its_count_and_both_students_most_frequent_first(index: Path):
    mistakes = rows(index.read_text(), "mistake")
    assert [(m["target"], m["count"]) for m in mistakes] == [(FN, 2), (FN, 1), (FN, 1)]
    assert "regularization gradient is missing the factor 2" in mistakes[0]["text"]
    assert mistakes[0]["links"] == ["students/alice.html", "students/bob.html"]
    assert (index.parent / mistakes[0]["links"][0]).is_file()
    # One student's two named bugs: the loss and the gradient not averaged.
    assert "the data loss is not averaged" in mistakes[1]["text"]
    assert "the gradient is not averaged" in mistakes[2]["text"]
    assert mistakes[1]["links"] == mistakes[2]["links"] and "students/%3Cimg" in \
        mistakes[1]["links"][0]


def test_an_unnamed_bug_written_two_ways_is_one_group(graded: dict[str, GradeResult],
                                                      index: Path):
    # Their hidden inputs differ (each drawn from its own content); the probes do not.
    assert seed_of(graded["carol"].content_hash) != seed_of(graded["dave"].content_hash)
    groups = rows(index.read_text(), "behaviour")
    assert [(g["target"], g["count"]) for g in groups] == [(FN, 2)]
    assert groups[0]["links"] == ["students/carol.html"]
    failing = [t for t in graded["dave"].tests if t["score"] < t["max_score"]]
    assert failing and all(t.get("diagnosis") is None for t in failing)


def test_the_correct_student_appears_in_neither_table(graded: dict[str, GradeResult],
                                                      index: Path):
    assert graded["erin"].score == graded["erin"].max_score
    page = index.read_text()
    tables = page[page.index('id="mistakes"'):page.index("<h2>Students</h2>")]
    assert "erin" not in tables
    assert 'data-student="erin"' in page   # still in the class list


def test_the_page_renders_in_chromium_with_the_students_name_as_text(index: Path,
                                                                     tmp_path: Path):
    dom = chromium(tmp_path, index.as_uri(), "--dump-dom")
    assert "data-pwned" not in dom
    mistakes = dom[dom.index('id="mistakes"'):dom.index('id="behaviours"')]
    assert "&lt;img src=x onerror=" in mistakes
    assert dom.count('class="mistake"') == 3 and dom.count('class="behaviour"') == 1
    assert 'data-images="ok"' in re.search(r"<body[^>]*>", dom).group(0)


def test_a_diagnosis_holds_none_of_a_submissions_numbers(tmp_path: Path):
    """An epsilon in the log is named with the change it makes on the student's own
    inputs; two students with it (two contents, two seeds) share one diagnosis."""
    cells = reference_cells()
    buggy = edited(cells["softmax_loss_naive"], [("loss -= np.log(probs[y[i]])",
                                                  "loss -= np.log(probs[y[i]] + 1e-10)")])
    found = []
    for name, source in (("one", buggy), ("two", buggy + "\n# my own comment\n")):
        result = grade(tmp_path / name, {**cells, "softmax_loss_naive": source},
                       "softmax_loss_naive")
        test = next(t for t in result.tests if t["name"].endswith("large scores (overflow)"))
        assert "changes the loss by" in test["output"]
        found.append((test["output"], test["diagnosis"]))
    (said_one, one), (said_two, two) = found
    assert said_one != said_two and one == two
    assert one.startswith("a clamp or epsilon inside the log") and "…" in one
    assert not re.search(r"\d\.\d", one)


def test_train_sampling_labels_apart_from_rows_is_one_mistake_of_two_students(tmp_path: Path):
    """Labels drawn apart from the rows, two ways: one diagnosis (without the losses each
    student's own inputs gave), counted twice."""
    cells = reference_cells()
    unpaired = {"again": "y[np.random.choice(num_train, batch_size)]", "first": "y[:batch_size]"}
    with GradeStore(tmp_path / "grades.sqlite") as store:
        for name, labels in unpaired.items():
            source = edited(cells["linear_classifier"],
                            [("y_batch = y[idx]", f"y_batch = {labels}")])
            store.record(grade(tmp_path / name, {**cells, "linear_classifier": source},
                               "linear_classifier"), rubric_hash="r")
        records = store.records()
    [mistake] = common_mistakes(records)
    assert mistake.target == "linear_classifier" and mistake.students == ("again", "first")
    assert mistake.diagnosis.startswith("loss_history[…] is …, but any minibatch of rows with "
                                        "their own labels has loss … there")


def test_no_probe_is_called_once_the_budget_is_spent(tmp_path: Path):
    cells = reference_cells()
    spent = dataclasses.replace(rubric.load(),
                                budget=rubric.Budget(submission_seconds=1e-9))
    result = grade(tmp_path / "carol", {**cells, FN: edited(cells[FN], [HALF_AT_THE_END])},
                   rubric=spent)
    assert all("used up its budget" in t["output"] for t in result.tests)
    assert not any("fingerprint" in t for t in result.tests)


def test_the_layers_of_the_two_layer_net_are_grouped_too(tmp_path: Path):
    """A leaky ReLU, written with np.maximum or with np.where: one group of two."""
    cells = two_layer.reference_cells()
    leaky = {"max": "np.maximum(0.01 * x, x)", "where": "np.where(x > 0, x, 0.01 * x)"}
    prints = []
    for name, code in leaky.items():
        source = edited(cells["relu_forward"], [("out = np.maximum(0, x)", f"out = {code}")])
        folder = two_layer.write_notebook_submission(tmp_path / name,
                                                     {**cells, "relu_forward": source})
        result = grade_submission(folder, data=None, targets=["relu_forward"],
                                  spec=load_assignment("two_layer_net"))
        failing = [t for t in result.tests if t["score"] < t["max_score"]]
        assert failing
        prints.append({t.get("fingerprint") for t in failing})
    assert prints[0] == prints[1] and None not in prints[0] and len(prints[0]) == 1


def test_an_unflattened_input_is_one_diagnosis_whatever_its_drawn_shape(tmp_path: Path):
    cells = two_layer.reference_cells()
    source = edited(cells["affine_forward"], [("out = rows.dot(w) + b", "out = x.dot(w) + b")])
    found = set()
    for name, comment in (("one", ""), ("two", "\n# mine\n")):
        folder = two_layer.write_notebook_submission(
            tmp_path / name, {**cells, "affine_forward": source + comment})
        result = grade_submission(folder, data=None, targets=["affine_forward"],
                                  spec=load_assignment("two_layer_net"))
        test = next(t for t in result.tests if t["name"].startswith(
            "affine_forward: out, x of shape (N, d1, d2)"))
        assert re.search(r"here has shape \(\d+, 3, 5\)", test["output"])
        found.add(test["diagnosis"])
    assert len(found) == 1
    diagnosis = found.pop()
    assert "here has shape …: affine_forward reshapes it" in diagnosis


def test_the_pytorch_editions_losses_are_named_and_grouped_in_torch(tmp_path: Path):
    """The loss halved two ways shares one fingerprint; the missing factor 2 is named as
    torch code."""
    import torch_submissions

    cells = torch_submissions.reference_cells()
    halves = {"end": [("    loss += reg * torch.sum(W * W)\n",
                       "    loss += reg * torch.sum(W * W)\n    loss = loss * 0.5\n")],
              "terms": [("    loss /= num_train\n", "    loss /= 2 * num_train\n"),
                        ("    loss += reg * torch.sum(W * W)\n",
                         "    loss += reg * torch.sum(W * W) / 2\n")],
              "factor": [("    dW += 2 * reg * W\n", "    dW += reg * W\n")]}
    failing = {}
    for name, edits in halves.items():
        folder = torch_submissions.write_submission(
            tmp_path / name, {**cells, FN: edited(cells[FN], edits)})
        result = grade_submission(folder, data=None, targets=[FN],
                                  spec=load_assignment("linear_torch"))
        failing[name] = [t for t in result.tests if t["score"] < t["max_score"]]
    prints = [{t.get("fingerprint") for t in failing[name]} for name in ("end", "terms")]
    assert prints[0] == prints[1] and None not in prints[0] and len(prints[0]) == 1
    named = {t.get("diagnosis") for t in failing["factor"]}
    assert len(named) == 1 and "reg * torch.sum(W * W) is 2 * reg * W" in named.pop()


def test_a_store_from_before_has_no_mistakes_and_its_report_still_renders(tmp_path: Path):
    store = make_store(tmp_path / "grades.sqlite", CLASS)
    with open_store(store) as s:
        records = s.records()
    assert common_mistakes(records) == [] and wrong_behaviours(records) == []
    page = write_report(records, tmp_path / "report").read_text()
    assert "No check named a bug." in page


def test_the_dask_relay_keeps_a_diagnosis_and_a_fingerprint_within_bounds():
    spec = load_assignment("linear")
    expected = expected_checks(rubric.load(spec=spec), spec)
    checks = expected[0]
    doc = result_doc(checks, 0.5)
    doc["tests"][0].update(diagnosis="x" * (MAX_DIAGNOSIS + 50), fingerprint="0123abcd" * 2)
    kept = validated(json.dumps(doc), "alice", "c0ffee", expected).tests[0]
    assert len(kept["diagnosis"]) == MAX_DIAGNOSIS and kept["fingerprint"] == "0123abcd" * 2
    for forged in ("<script>alert(1)</script>", "0" * 64, 12345):
        doc["tests"][0]["fingerprint"] = forged
        with pytest.raises(ValueError):
            validated(json.dumps(doc), "alice", "c0ffee", expected)
