"""The two-layer network's hidden checks, as a TA reads their results: the source
notebook's solution earns every point of the checks that need no CIFAR-10, a handful of
realistic bugs are each named, the saved model is read only as a dict of arrays, and the
accuracy points come from the grader's own training, gated on TwoLayerNet's checks.

The checks run here against the assignment's own child operations (child.py) served in
this process on the solution's names, as the sandbox's child serves them: inputs cross as
copies, and the parent compares what it sent with what is left after the call.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pytest

from autograder import assignment, rubric, rules
from autograder.assignments.two_layer_net import checks, child, samples
from autograder.outcome import Outcome
from autograder.sandbox import oplib

SPEC = assignment.load("two_layer_net")
RUBRIC = rubric.load(spec=SPEC)
NOT_DATA = [t for t in checks.TARGETS if t not in SPEC.data_targets]
SEED = 2026


class ChildOperations:
    """The Session protocol over child.py's operations on the names of a namespace (what
    the sandbox's harness gives them: frozen functions, the trusted subclass, the shared
    input arrays, the model files)."""

    def __init__(self, namespace: Mapping[str, object], model_files: Mapping[str, str] = {}
                 ) -> None:
        self.namespace = namespace
        self.model_files = dict(model_files)
        self._inputs: dict[str, np.ndarray] = {}
        self.ops = child.operations(self, oplib)

    def frozen_or_missing(self, name: str, cell: str) -> object:
        if name not in self.namespace:
            raise oplib.StudentError(f"{name} is not available: run the cell `{cell}`")
        return self.namespace[name]

    def trusted_or_missing(self, name: str) -> object:
        names = dict(self.namespace)
        exec(SPEC.trusted[name]["source"], names)  # noqa: S102 - the assignment's own class
        return names[name]

    def shared_array(self, key: str) -> np.ndarray:
        return self._inputs[key]

    def call(self, op: str, *, timeout_s: float | None = None, **kwargs: object) -> Outcome:
        shared = SPEC.operations[op]["shared"]
        sent = {k: np.array(kwargs.pop(k)) for k in shared}
        self._inputs = {k: v.copy() for k, v in sent.items()}
        kwargs["inputs"] = {k: [k] for k in sent}
        try:
            value = self.ops[op](kwargs)
        except oplib.StudentError as exc:
            return Outcome(ok=False, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - student code may raise anything
            return Outcome(ok=False, error=oplib.describe(exc, op))
        if shared:
            value["mutated"] = [k for k, v in sent.items()
                                if not np.array_equal(self._inputs[k], v)]
        return Outcome(ok=True, value=value, cpu_seconds=0.0)


def namespace_of(cells: Mapping[str, str]) -> dict[str, object]:
    names: dict[str, object] = {"np": np, "os": os}
    for source in cells.values():
        exec(compile(source, "<cell>", "exec"), names)  # noqa: S102 - the kit's own cells
    return names


def solution_cells() -> dict[str, str]:
    return samples.reference_cells()


def graded(cells: Mapping[str, str], targets: list[str] | None = None, **kwargs: object
           ) -> dict[str, object]:
    session = ChildOperations(namespace_of(cells))
    results = checks.run_checks(session, SEED, RUBRIC, targets=targets or NOT_DATA, **kwargs)
    return {r.name: r for r in results}


def with_bug(cell: str, old: str, new: str) -> dict[str, str]:
    cells = solution_cells()
    assert old in cells[cell], f"the solution's {cell} no longer holds {old!r}"
    cells[cell] = cells[cell].replace(old, new)
    return cells


def test_solution_earns_every_point_without_cifar10():
    results = graded(solution_cells())
    failed = {name: r.output for name, r in results.items() if not r.passed}
    assert failed == {}
    assert sum(r.score for r in results.values()) == 65
    assert sum(r.max_score for r in results.values()) == 65


def test_rubric_totals_100_points():
    assert sum(c.points(RUBRIC) for c in checks.build_checks(SEED, RUBRIC)) == 100


BUGS = [
    # (cell, solution text, buggy text, a check that fails, what its message says)
    ("affine_backward", "dx = dout.dot(w.T).reshape(x.shape)", "dx = dout.dot(w.T)",
     "affine_backward: dx, x of shape (N, d1, d2)", "reshape it back to x's shape"),
    ("affine_forward", "rows = x.reshape(x.shape[0], -1)  # (N, D)", "rows = x",
     "affine_forward: out, x of shape (N, d1, d2)", "x.reshape(x.shape[0], -1)"),
    ("affine_backward", "db = dout.sum(axis=0)", "db = dout.mean(axis=0)",
     "affine_backward: db, x of shape (N, D)", "db is averaged over the batch"),
    ("affine_backward", "db = dout.sum(axis=0)", "db = dout",
     "affine_backward: db, x of shape (N, D)", "db is not summed over the batch"),
    ("relu_backward", "dx = dout * (x > 0)", "dx = dout * (dout > 0)",
     "relu_backward: dx, x of shape (N, D)", "the mask is taken from dout"),
    ("relu_backward", "dx = dout * (x > 0)", "dx = dout * (x >= 0)",
     "relu_backward: no gradient where x is exactly 0", "not x >= 0"),
    ("relu_forward", "out = np.maximum(0, x)", "out = np.maximum(0, x, out=x)",
     "relu_forward: does not modify its inputs", "modified the input x"),
    ("softmax_loss", "shifted = x - x.max(axis=1, keepdims=True)", "shifted = x",
     "softmax_loss: large scores (overflow)", "subtract each row's maximum"),
    ("TwoLayerNet", "loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
     "loss += self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
     "TwoLayerNet: loss(X, y), reg > 0", "lacks CS231n's 0.5"),
    ("TwoLayerNet", "loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2))",
     "loss += 0.5 * self.reg * (np.sum(W1 * W1) + np.sum(W2 * W2)"
     " + np.sum(self.params['b1'] ** 2) + np.sum(self.params['b2'] ** 2))",
     "TwoLayerNet: loss(X, y), reg > 0", "includes the biases"),
    ("TwoLayerNet", "loss, dscores = softmax_loss(scores, y)",
     "loss, dscores = softmax_loss(scores, y); loss = loss / X.shape[0]",
     "TwoLayerNet: loss(X, y), reg = 0", "averaged twice"),
    ("TwoLayerNet", 'grads["W2"] += self.reg * W2', 'grads["W2"] += 2 * self.reg * W2',
     "TwoLayerNet: gradients of W1, b1, W2, b2, reg > 0", "has 2 * reg * W2"),
    ("TwoLayerNet", 'self.params["W2"] = weight_scale * np.random.randn(hidden_dim, num_classes)',
     'self.params["W2"] = 1e-3 * np.random.randn(hidden_dim, num_classes)',
     "TwoLayerNet: __init__ draws weights N(0, weight_scale^2), biases zero",
     "expected weight_scale"),
]


@pytest.mark.parametrize(("cell", "old", "new", "check", "said"), BUGS,
                         ids=[f"{b[0]}:{b[4]}" for b in BUGS])
def test_bug_is_named(cell, old, new, check, said):
    results = graded(with_bug(cell, old, new))
    assert not results[check].passed
    assert said in results[check].output
    assert sum(r.score for r in results.values()) < 65


def test_backward_pass_of_an_unfilled_forward_says_so():
    cells = with_bug("affine_forward", "rows = x.reshape(x.shape[0], -1)  # (N, D)",
                     "raise NotImplementedError")
    results = graded(cells, targets=["affine_backward"])
    assert all(not r.passed for r in results.values())
    assert "affine_forward still raises NotImplementedError" in \
        results["affine_backward: dx, x of shape (N, D)"].output


# ------------------------------------------------------------------ through the sandbox


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("model")
    return samples.write_model(folder, params_of(SETTINGS["hidden_size"]), SETTINGS)


@pytest.mark.parametrize("layout", ["notebook", "starter"])
def test_sandboxed_solution_earns_every_point_without_cifar10(layout, saved_model, tmp_path):
    from autograder.grade import grade_submission

    if layout == "notebook":
        folder = samples.write_notebook_submission(tmp_path / "s", samples.solved_cells(),
                                                   saved_model)
    else:
        folder = samples.write_starter_submission(tmp_path / "s", solution_cells(),
                                                  saved_model)
    result = grade_submission(folder, spec=SPEC, targets=NOT_DATA)
    assert [t["name"] for t in result.tests if t["score"] < t["max_score"]] == []
    assert (result.score, result.max_score) == (65, 65)


def test_sandboxed_bug_is_named(saved_model, tmp_path):
    from autograder.grade import grade_submission

    cells = samples.solved_cells()
    cells["relu_backward"] = cells["relu_backward"].replace("dx = dout * (x > 0)",
                                                            "dx = dout * (dout > 0)")
    folder = samples.write_notebook_submission(tmp_path / "s", cells, saved_model)
    tests = {t["name"]: t for t in grade_submission(folder, spec=SPEC, targets=NOT_DATA).tests}
    assert "the mask is taken from dout" in tests["relu_backward: dx, x of shape (N, D)"]["output"]
    assert tests["relu_forward: out, x of shape (N, D)"]["score"] == 1


# ------------------------------------------------------------------ rules on the source


def test_rules_pass_the_solution_in_both_layouts():
    cells = solution_cells()
    assert rules.scan(cells, SPEC.rules) == {}
    # CS231n's starter files: layer_utils.py and fc_net.py import the others relatively.
    modules = {"cs231n/layers.py": "from builtins import range\nimport numpy as np\n\n\n",
               "cs231n/layer_utils.py": "from .layers import *\n\n\n",
               "cs231n/classifiers/fc_net.py": "import os\nimport numpy as np\n\n"
                                               "from ..layers import *\n"
                                               "from ..layer_utils import *\n\n\n"}
    starter, origins = {}, {}
    for path, grade_ids in SPEC.starter_modules.items():
        text = modules[path] + "\n\n".join(cells[g] for g in grade_ids)
        starter.update(dict.fromkeys(grade_ids, text))
        origins.update(dict.fromkeys(grade_ids, path))
    assert rules.scan(starter, SPEC.rules, origins) == {}


def test_rules_judge_the_methods_the_grader_calls_not_the_courses_load():
    # The course's TwoLayerNet.load unpickles (np.load(..., allow_pickle=True)); the grader
    # calls only __init__ and loss, so only what those run counts.
    cells = solution_cells()
    assert "allow_pickle=True" in cells["TwoLayerNet"]
    in_load = with_bug("TwoLayerNet", "self.params = np.load(path, allow_pickle=True).item()",
                       "import torch; self.params = np.load(path, allow_pickle=True).item()")
    assert rules.scan(in_load, SPEC.rules) == {}
    in_loss = with_bug("TwoLayerNet", "loss, dscores = softmax_loss(scores, y)",
                       "import torch; loss, dscores = softmax_loss(scores, y)")
    found = rules.scan(in_loss, SPEC.rules)["autograd"]["affine_forward"]
    assert any("`import torch`" in f and "TwoLayerNet.loss" in f for f in found)


# ------------------------------------------------------------------ the saved model


def model_files(folder: Path, params: object, settings: object) -> dict[str, str]:
    npy = folder / "best_two_layer_net.npy"
    np.save(npy, params, allow_pickle=True)
    settings_file = folder / "best_two_layer_net.json"
    settings_file.write_text(json.dumps(settings), encoding="utf-8")
    return {"cs231n/saved/best_two_layer_net.npy": str(npy),
            "cs231n/saved/best_two_layer_net.json": str(settings_file)}


SETTINGS = {"hidden_size": 20, "learning_rate": 1e-3, "lr_decay": 0.95, "reg": 0.1,
            "num_epochs": 2, "batch_size": 200}


def params_of(H: int = 20, D: int = 3072, C: int = 10) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"W1": rng.standard_normal((D, H)), "b1": np.zeros(H),
            "W2": rng.standard_normal((H, C)), "b2": np.zeros(C)}


def test_saved_model_reads_what_cs231n_save_writes(tmp_path):
    session = ChildOperations({}, model_files(tmp_path, params_of(), SETTINGS))
    out = session.call("saved_params", name="cs231n/saved/best_two_layer_net.npy")
    assert out.ok, out.error
    assert out.value["W1"].shape == (3072, 20) and out.value["b2"].shape == (10,)
    out = session.call("saved_settings", name="cs231n/saved/best_two_layer_net.json")
    assert out.ok and out.value["hidden_size"] == 20.0


class Payload:
    """What a hostile model file pickles: a call the unpickler would make on load."""

    def __reduce__(self):
        return (os.system, ("touch pwned",))


def test_saved_model_never_runs_what_a_pickle_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = model_files(tmp_path, {"W1": Payload()}, SETTINGS)
    out = ChildOperations({}, files).call("saved_params",
                                          name="cs231n/saved/best_two_layer_net.npy")
    assert not out.ok and "refuses" in out.error
    assert not (tmp_path / "pwned").exists()


def test_saved_model_refuses_a_plain_array(tmp_path):
    files = model_files(tmp_path, np.ones((3072, 20)), SETTINGS)
    out = ChildOperations({}, files).call("saved_params",
                                          name="cs231n/saved/best_two_layer_net.npy")
    assert not out.ok and "not the dict of parameters" in out.error


# ------------------------------------------------------------------ CIFAR-10


@pytest.fixture(scope="module")
def cifar(cifar10_path: Path, cifar10_cache: Path) -> tuple[dict, dict]:
    os.environ["CS231N_CACHE_DIR"] = str(cifar10_cache)
    return checks.prepare_data(cifar10_path, SPEC)


def accuracy_results(cells: Mapping[str, str], files: Mapping[str, str], parent: dict,
                     training: dict, trained: list) -> dict[str, object]:
    def train(target: str, settings: Mapping[str, float]) -> dict[str, np.ndarray]:
        params = checks.reference_train(target, settings, training, seed=7)
        trained.append((dict(settings), params))
        return params

    session = ChildOperations(namespace_of(cells), files)
    results = checks.run_checks(session, SEED, RUBRIC, targets=["TwoLayerNet", "best_model"],
                                data=parent, reference_train=train)
    return {r.name: r for r in results}


def test_accuracy_comes_from_the_graders_training_with_the_saved_settings(cifar, tmp_path):
    parent, training = cifar
    trained: list = []
    settings = {**SETTINGS, "hidden_size": 50, "num_epochs": 1, "learning_rate": 1.00049e-3}
    results = accuracy_results(solution_cells(), model_files(tmp_path, params_of(50), settings),
                               parent, training, trained)
    assert [s for s, _ in trained] == [{**settings, "learning_rate": 1e-3}]  # rounded, once
    val = results["TwoLayerNet: CIFAR-10 validation accuracy"]
    p = trained[0][1]
    hidden = np.maximum(parent["X_val"].reshape(1000, -1) @ p["W1"] + p["b1"], 0)
    expected = np.mean(np.argmax(hidden @ p["W2"] + p["b2"], axis=1) == parent["y_val"])
    assert val.value == pytest.approx(expected)
    # One epoch of a small net stays below CS231n's 48%.
    assert not val.passed and "needs 0.48" in val.output
    assert results["TwoLayerNet: the saved best model and its hyperparameters"].passed


def test_no_accuracy_points_until_twolayernet_passes(cifar, tmp_path):
    parent, training = cifar
    trained: list = []
    cells = with_bug("TwoLayerNet", 'grads["W1"] += self.reg * W1', "pass")
    results = accuracy_results(cells, model_files(tmp_path, params_of(), SETTINGS), parent,
                               training, trained)
    assert trained == []
    val = results["TwoLayerNet: CIFAR-10 validation accuracy"]
    assert not val.passed and "not trained" in val.output


def test_settings_over_the_cost_cap_are_not_trained(cifar, tmp_path):
    parent, training = cifar
    trained: list = []
    settings = {**SETTINGS, "hidden_size": 500, "num_epochs": 40}
    results = accuracy_results(solution_cells(), model_files(tmp_path, params_of(500),
                                                             settings), parent, training,
                               trained)
    assert trained == []
    assert "over the course's cap" in results["TwoLayerNet: CIFAR-10 test accuracy"].output


SETTINGS_TEXT = ('{"hidden_size": 10, "learning_rate": 1e-3, "lr_decay": 0.95, "reg": 0.1, '
                 '"num_epochs": 1, "batch_size": %s}')


@pytest.mark.parametrize("text", [SETTINGS_TEXT % ("9" * 400), "[" * 200_000])
def test_settings_files_too_large_or_too_deep_are_the_student_s_problem(tmp_path, text):
    """A number no float holds, or JSON nested past the parser's depth, is refused as the
    student's file (named), never raised as the grader's own error."""
    from autograder.assignments.two_layer_net.child import read_settings

    path = tmp_path / "best_two_layer_net.json"
    path.write_text(text)
    with pytest.raises(ValueError, match="best_two_layer_net.json"):
        read_settings(str(path), "best_two_layer_net.json", ValueError)
