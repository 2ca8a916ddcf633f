"""The SOI1010 edition's hidden checks, as a TA reads their results: the source notebook's
solution earns every point of the checks that need no CIFAR-10, realistic bugs are each
caught and named, the rules find a library loss however it is reached, and the settings
file is read as JSON numbers only.

The checks run against the edition's own child operations (child.py), served in this
process on the solution's names by the in-kernel session (inputs cross as copies, and the
parent compares what it sent with what is left after the call).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

from autograder import assignment, rubric, rules
from autograder.assignments import samples as shared
from autograder.assignments.soi1010 import checks, child
from autograder.inkernel import OperationsSession
from autograder.sandbox import oplib

SPEC = assignment.load("soi1010")
RUBRIC = rubric.load(spec=SPEC)
NOT_DATA = [t for t in checks.TARGETS if t not in SPEC.data_targets]
SOURCE = Path(__file__).resolve().parents[1] / "source" / SPEC.source / "svm_softmax.ipynb"
SEED = 2026


def solution() -> dict[str, str]:
    return shared.notebook_cells(SOURCE, SPEC.definitions)


def grade(cells: Mapping[str, str], targets: list[str] | None = None) -> dict[str, object]:
    """check name -> result, for the functions the cells define."""
    names: dict[str, object] = {"torch": torch, "nn": nn, "np": np}
    for source in cells.values():
        exec(compile(source, "<cell>", "exec"), names)  # noqa: S102 - the kit's own cells
    session = OperationsSession(names, SPEC)
    results = checks.run_checks(session, SEED, RUBRIC, targets=targets or NOT_DATA)
    return {r.name: r for r in results}


def edited(grade_id: str, old: str, new: str) -> dict[str, str]:
    cells = solution()
    assert old in cells[grade_id], f"{old!r} is not in the solution's {grade_id}"
    cells[grade_id] = cells[grade_id].replace(old, new)
    return cells


def failing(results: Mapping[str, object]) -> dict[str, str]:
    return {name: r.output for name, r in results.items() if not r.passed}


def test_the_source_solution_earns_every_point_without_cifar10() -> None:
    results = grade(solution())
    assert failing(results) == {}
    points = sum(r.max_score for r in results.values())
    data_points = sum(RUBRIC.points_of(t, "test_accuracy") for t in SPEC.data_targets)
    assert points + data_points == 100


@pytest.mark.parametrize(("grade_id", "old", "new", "check", "says"), [
    ("binary_subset", "torch.where(y[keep] == positive, 1.0, -1.0)",
     "(y[keep] == positive).float()", "binary_subset: labels", "labels in {0, 1}"),
    ("hinge_loss", "lam * torch.sum(w ** 2)", "lam * torch.sqrt(torch.sum(w ** 2))",
     "hinge_loss: loss (N=64", "a square root"),
    ("hinge_loss", "scores = scores.reshape(-1)  # (N,)", "pass",
     "hinge_loss: loss (N=64", "(N, N)"),
    ("normalize_splits", "X_train_n, X_val_n, X_test_n = ((X - mean) / std for X in "
     "(X_train, X_val, X_test))",
     "X_train_n, X_val_n, X_test_n = ((X - X.mean(dim=dims, keepdim=True)) / "
     "X.std(dim=dims, keepdim=True) for X in (X_train, X_val, X_test))",
     "normalize_splits: validation uses", "its own mean and std"),
    ("normalize_splits", "mean = X_train.mean(dim=dims, keepdim=True)  # (1, 3, 1, 1) for "
     "images\n    std = X_train.std(", "pooled = torch.cat([X_train, X_test])\n"
     "    mean = pooled.mean(dim=dims, keepdim=True)\n    std = pooled.std(",
     "normalize_splits: the training split standardized", "torch.cat([X_train, X_test])"),
])
def test_a_realistic_bug_is_caught_and_named(grade_id: str, old: str, new: str, check: str,
                                             says: str) -> None:
    results = grade(edited(grade_id, old, new), targets=[grade_id])
    failed = failing(results)
    named = [output for name, output in failed.items() if name.startswith(check)]
    assert named, f"no failing check starts with {check!r}: {failed}"
    assert says in named[0]


def test_a_cross_entropy_without_the_max_subtraction_fails_only_on_large_logits() -> None:
    cells = solution()
    body = cells["softmax_cross_entropy"]
    start = body.index("### BEGIN SOLUTION") + len("### BEGIN SOLUTION\n")
    end = body.index("    ### END SOLUTION")
    unstable = ("    rows = torch.arange(logits.shape[0])\n"
                "    probs = logits.exp() / logits.exp().sum(dim=1, keepdim=True)\n"
                "    loss = -probs[rows, y].log().mean()\n")
    cells["softmax_cross_entropy"] = body[:start] + unstable + body[end:]
    failed = failing(grade(cells, targets=["softmax_cross_entropy"]))
    assert list(failed) == ["softmax_cross_entropy: equals nn.CrossEntropyLoss, value and "
                            "gradient (N=40, C=10, logits around 1e3)"]
    assert "subtract each row's max" in next(iter(failed.values()))


def test_one_vs_all_over_per_model_probabilities_is_named() -> None:
    cells = edited("one_vs_all_predict", "y_pred = scores.argmax(dim=1)",
                   "y_pred = scores.softmax(dim=0).argmax(dim=1)")
    failed = failing(grade(cells, targets=["one_vs_all_predict"]))
    assert "per-model rescaled scores" in failed["one_vs_all_predict: argmax of raw scores"]


def test_training_that_ignores_lam_loses_only_the_checks_with_a_penalty() -> None:
    cells = edited("train_svm", "hinge_loss(model(xb), yb, model.weight, lam)",
                   "hinge_loss(model(xb), yb, model.weight, 0.0)")
    failed = failing(grade(cells, targets=["train_svm"]))
    assert sorted(failed) == ["train_svm: lam shrinks the weights",
                              "train_svm: one full-batch step is W0 - lr * gradient",
                              "train_svm: two epochs take two steps"]
    assert "lam is not applied" in failed["train_svm: two epochs take two steps"]


@pytest.mark.parametrize(("grade_id", "old", "new", "check", "says"), [
    ("train_svm", "optimizer = torch.optim.SGD(model.parameters(), lr=lr)",
     "optimizer = torch.optim.SGD(model.parameters(), lr=0.001)",
     "train_svm: one full-batch step", "lr is not used"),
    ("train_svm", "for _ in range(epochs):", "for _ in range(3):",
     "train_svm: two epochs take two steps", "not W0 - lr * (gradient"),
    ("train_softmax", "for _ in range(epochs):", "for _ in range(1):",
     "train_softmax: two epochs take two steps", "epochs is not used"),
    ("train_softmax", "for start in range(0, X.shape[0], batch_size):",
     "for start in range(0, X.shape[0], X.shape[0]):",
     "train_softmax: one step per batch_size rows", "batch_size is not used"),
    ("train_svm", "for start in range(0, X.shape[0], batch_size):",
     "for start in range(0, X.shape[0], 32):",
     "train_svm: one step per batch_size rows", "takes 2 steps, expected 5"),
])
def test_training_that_ignores_lr_epochs_or_batch_size_is_caught(
        grade_id: str, old: str, new: str, check: str, says: str) -> None:
    # Each of these still learns the separable problem: only the exact steps show that
    # the grader's CIFAR-10 training with the student's settings would not be theirs.
    failed = failing(grade(edited(grade_id, old, new), targets=[grade_id]))
    named = [output for name, output in failed.items() if name.startswith(check)]
    assert named and says in named[0], failed


def test_plain_sgd_variants_pass_the_step_checks() -> None:
    # Another shuffling order and a weight decay on the weight alone are the contract's
    # SGD too.
    cells = edited("train_softmax", "optimizer = torch.optim.SGD(model.parameters(), lr=lr, "
                   "weight_decay=weight_decay)", "optimizer = torch.optim.SGD([{'params': "
                   "[model.weight], 'weight_decay': weight_decay}, {'params': [model.bias]}], "
                   "lr=lr)")
    cells = {**cells, "train_softmax": cells["train_softmax"].replace(
        "rows = order[start:start + batch_size]",
        "rows = order.flip(0)[start:start + batch_size]")}
    assert failing(grade(cells, targets=["train_softmax"])) == {}


@pytest.mark.parametrize("body", [
    "import torch.nn.functional as F\n\ndef softmax_cross_entropy(logits, y):\n"
    "    return F.cross_entropy(logits, y)\n",
    "def softmax_cross_entropy(logits, y):\n    ce = nn.CrossEntropyLoss()\n"
    "    return ce(logits, y)\n",
    "def softmax_cross_entropy(logits, y):\n"
    "    f = getattr(torch.nn.functional, 'cross' + '_entropy')\n    return f(logits, y)\n",
    "from torch.nn.functional import log_softmax as lsm\n\n"
    "def softmax_cross_entropy(logits, y):\n"
    "    return -lsm(logits, 1)[torch.arange(len(y)), y].mean()\n",
    "def softmax_cross_entropy(logits, y):\n"
    "    return (logits.logsumexp(1) - logits[torch.arange(len(y)), y]).mean()\n",
    "import torch.special\n\ndef softmax_cross_entropy(logits, y):\n"
    "    return -torch.special.log_softmax(logits, 1)[torch.arange(len(y)), y].mean()\n",
])
def test_a_library_loss_is_found_however_it_is_reached(body: str) -> None:
    found = rules.scan({**solution(), "softmax_cross_entropy": body}, SPEC.rules)
    assert "softmax_cross_entropy" in found.get("losses", {})


def test_the_solution_breaks_no_rule() -> None:
    assert rules.scan(solution(), SPEC.rules) == {}


def _settings_file(tmp_path: Path, content: object) -> str:
    path = tmp_path / "soi1010_settings.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return str(path)


GOOD = {"binary": {"positive": 0, "negative": 8, "lam": 1e-3, "lr": 1e-3, "batch_size": 64,
                   "epochs": 10},
        "one_vs_all": {"lam": [1e-3] * 10, "lr": [1e-3] * 10, "batch_size": 64, "epochs": 10},
        "softmax": {"lr": 1e-3, "batch_size": 64, "epochs": 10, "weight_decay": 0.0}}


def test_the_settings_file_is_read_as_numbers(tmp_path: Path) -> None:
    path = _settings_file(tmp_path, GOOD)
    ova = child.read_section(path, "s.json", "one_vs_all", oplib.StudentError)
    assert ova["lam"].shape == (10,) and ova["epochs"] == 10.0


@pytest.mark.parametrize(("content", "says"), [
    ({**GOOD, "binary": {**GOOD["binary"], "lr": "0.001"}}, "expected a finite number"),
    ({**GOOD, "binary": {**GOOD["binary"], "lam": 10**400}}, "expected a finite number"),
    ({k: v for k, v in GOOD.items() if k != "binary"}, "has no object 'binary'"),
    ("[" * 100_000, "is not a JSON file"),
])
def test_a_bad_settings_file_is_named(tmp_path: Path, content: object, says: str) -> None:
    with pytest.raises(oplib.StudentError, match=says.replace("(", r"\(")):
        child.read_section(_settings_file(tmp_path, content), "s.json", "binary",
                           oplib.StudentError)


def test_a_bad_section_of_the_settings_file_costs_only_its_own_target(tmp_path: Path) -> None:
    # The binary section's lr is a string: the binary SVM is not trained, and saying so
    # must not keep the one-vs-all and softmax settings (valid) from being read.
    from autograder.assignments.soi1010.accuracy import settings_of
    from autograder.assignments.soi1010.grading import Grading

    content = {**GOOD, "binary": {**GOOD["binary"], "lr": "0.001"}}
    names: dict[str, object] = {"torch": torch, "nn": nn, "np": np}
    session = OperationsSession(names, SPEC)
    session.model_files = {"soi1010_settings.json": _settings_file(tmp_path, content)}
    g = Grading(session, SEED, RUBRIC)
    read = {target: settings_of(g, RUBRIC.own.accuracy[target])
            for target in ("binary_svm", "one_vs_all", "softmax")}
    assert read["binary_svm"][0] is None and "binary.lr" in read["binary_svm"][1]
    assert read["one_vs_all"][0] is not None and read["one_vs_all"][0]["lam_9"] == 1e-3
    assert read["softmax"][0] is not None and read["softmax"][0]["epochs"] == 10


def test_training_at_its_own_rate_and_length_fails_every_step_check() -> None:
    # The red team's "full batch, fixed lr, 300 steps": trained at lr=0 it is already far
    # from its initialization (where the hinge loss is flat), so no step may pass on a
    # model that simply does not move.
    cells = edited("train_svm", "optimizer = torch.optim.SGD(model.parameters(), lr=lr)",
                   "optimizer = torch.optim.SGD(model.parameters(), lr=0.1)")
    cells["train_svm"] = cells["train_svm"].replace("for _ in range(epochs):",
                                                    "for _ in range(epochs + 100):")
    failed = failing(grade(cells, targets=["train_svm"]))
    steps = [name for name in failed if "step" in name or "epochs" in name]
    assert len(steps) == 3, failed
    assert all("lr is not used" in failed[name] for name in steps)
