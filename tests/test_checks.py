"""The hidden checks, as a TA would check them: the reference solution gets full marks,
and each common bug costs the checks it should, with a message naming the bug."""

from __future__ import annotations

import dataclasses
import json
import time
from pathlib import Path

import numpy as np
import pytest
from inprocess import InProcessSession

from autograder import assignment
from autograder import rubric as rubric_module
from autograder.assignments.linear import checks, inputs, reference
from autograder.inkernel import assert_checks
from autograder.outcome import Outcome

SOURCE = Path(__file__).resolve().parent.parent / "source" / "linear"
# The instructor notebooks' definition cells (and the given subclasses), as plain Python.
SOLUTION_CELLS = {
    "svm.ipynb": ("svm_loss_naive", "svm_loss_vectorized", "linear_classifier", "linear_svm"),
    "softmax.ipynb": ("softmax_loss_naive", "softmax_loss_vectorized"),
}


def _solution_text() -> str:
    parts = ["import numpy as np  # the notebooks' first cell"]
    for notebook, grade_ids in SOLUTION_CELLS.items():
        cells = {
            cell["metadata"].get("nbgrader", {}).get("grade_id"): "".join(cell["source"])
            for cell in json.loads((SOURCE / notebook).read_text())["cells"]
        }
        parts += [cells[grade_id] for grade_id in grade_ids]
    # softmax.ipynb's Softmax cell loads LinearClassifier from svm.ipynb: use the grader's text.
    parts.append(assignment.load().trusted["Softmax"]["source"])
    return "\n\n".join(parts)


SOLUTION_TEXT = _solution_text()
SEED = 20240917
RUBRIC = rubric_module.load()
# Timing as in the grader but shorter: these tests check the logic, not the machine.
FAST = dataclasses.replace(RUBRIC, own=dataclasses.replace(RUBRIC.own, speed=dataclasses.replace(
    RUBRIC.own.speed, samples=3, budget_seconds=2.0)))
NON_CIFAR = [t for t in checks.TARGETS if t not in ("LinearSVM", "Softmax")]


def solution(*edits: tuple[str, str]) -> dict:
    """The solution's definitions, with each (old, new) text edit applied (a planted bug)."""
    source = SOLUTION_TEXT
    for old, new in edits:
        assert source.count(old) == 1, f"edit target not found exactly once: {old!r}"
        source = source.replace(old, new)
    namespace: dict = {}
    exec(compile(source, "<source notebooks>", "exec"), namespace)
    return namespace


def grade(namespace: dict, *targets: str, rubric=FAST, **kwargs) -> dict[str, checks.CheckResult]:
    results = checks.run_checks(InProcessSession(namespace), SEED, rubric,
                                targets=targets or None, **kwargs)
    return {r.name: r for r in results}


def failing(results: dict[str, checks.CheckResult]) -> dict[str, str]:
    return {name: r.output for name, r in results.items() if not r.passed}


class CountingSession:
    """A real in-process session that also counts the calls made through it."""

    def __init__(self, namespace: dict) -> None:
        self.inner = InProcessSession(namespace)
        self.calls: list[tuple[str, str | None]] = []

    def call(self, op: str, **kwargs: object) -> Outcome:
        self.calls.append((op, kwargs.get("fn")))
        return self.inner.call(op, **kwargs)


# ---------------------------------------------------------------- the reference


def test_reference_solution_gets_full_marks():
    results = grade(solution(), rubric=RUBRIC,
                    reference_session=InProcessSession(vars(reference)))
    assert failing(results) == {}
    assert sum(r.score for r in results.values()) == sum(r.max_score for r in results.values())
    for name in [
        "svm_loss_vectorized: loss, N=500 D=3073 C=10, reg>0",
        "svm_loss_vectorized: gradient, N=7 D=5 C=2, reg=0",
        "softmax_loss_vectorized: large scores (overflow)",
        "svm_loss_naive: does not modify its inputs",
        "svm_loss_vectorized: speedup over your naive version",
        "svm_loss_vectorized: speed vs the reference",
        "linear_classifier: train samples minibatches at random, rows with their labels",
        "linear_classifier: train returns one loss per iteration",
        "linear_classifier: W initialised when None",
        "linear_classifier: predict returns argmax labels",
    ]:
        assert name in results
    assert all(r.name.startswith(f"{r.target}:") for r in results.values())


def test_rubric_totals_100_points():
    total = sum(check.points(RUBRIC) for check in checks.build_checks(SEED, RUBRIC))
    assert total == 100


def test_cifar_and_reference_checks_need_their_inputs():
    results = grade(solution(), "svm_loss_vectorized", "LinearSVM")
    assert "svm_loss_vectorized: speed vs the reference" not in results
    assert not any(name.startswith("LinearSVM") for name in results)


def test_unknown_target_is_an_error():
    with pytest.raises(ValueError, match="svm_loss_fast"):
        checks.run_checks(InProcessSession({}), SEED, FAST, targets=["svm_loss_fast"])


# ---------------------------------------------------------------- loss-function bugs


def test_loss_not_averaged_over_N():
    bugged = solution(
        ("loss = margins.sum() / num_train + reg", "loss = margins.sum() + reg"),
        ("dW = X.T.dot(coeff) / num_train + 2", "dW = X.T.dot(coeff) + 2"),
    )
    failed = failing(grade(bugged, "svm_loss_vectorized"))
    assert "svm_loss_vectorized: loss, N=7 D=5 C=10, reg=0" in failed
    assert "svm_loss_vectorized: gradient, N=500 D=3073 C=10, reg>0" in failed
    assert "svm_loss_vectorized: loss, N=1 D=3073 C=2, reg>0" not in failed
    assert "not averaged over the N examples" in failed[
        "svm_loss_vectorized: loss, N=7 D=5 C=10, large reg"]
    assert "not averaged" in failed["svm_loss_vectorized: gradient, N=7 D=5 C=2, reg=0"]
    speedup = failed["svm_loss_vectorized: speedup over your naive version"]
    assert "speed is scored only once" in speedup


def test_reg_gradient_missing_the_factor_2():
    bugged = solution(("    dW += 2 * reg * W\n", "    dW += reg * W\n"))
    failed = failing(grade(bugged, "svm_loss_naive"))
    assert set(failed) == {
        "svm_loss_naive: gradient, N=7 D=5 C=10, large reg",
        "svm_loss_naive: gradient, N=1 D=3073 C=2, reg>0",
        "svm_loss_naive: gradient, N=500 D=3073 C=10, reg>0",
    }
    assert all("missing the factor 2" in message for message in failed.values())


def test_margin_counted_for_the_correct_class():
    bugged = solution(("            if j == y[i]:\n                continue\n", ""))
    failed = failing(grade(bugged, "svm_loss_naive"))
    assert failed and all(name.startswith("svm_loss_naive: loss") for name in failed)
    assert all("too high by exactly 1 per example" in message for message in failed.values())


def test_correct_class_column_with_the_wrong_sign():
    bugged = solution(("dW[:, y[i]] -= X[i]", "dW[:, y[i]] += X[i]"))
    failed = failing(grade(bugged, "svm_loss_naive"))
    assert failed and all(name.startswith("svm_loss_naive: gradient") for name in failed)
    assert all("column of the correct class" in message for message in failed.values())


def test_softmax_gradient_without_the_minus_one():
    bugged = solution(("    dscores[rows, y] -= 1\n", ""))
    failed = failing(grade(bugged, "softmax_loss_vectorized"))
    assert "softmax_loss_vectorized: gradient, N=7 D=5 C=10, reg=0" in failed
    assert "subtract 1 from the correct class's probability" in failed[
        "softmax_loss_vectorized: gradient, N=7 D=5 C=10, reg=0"]


def test_unstable_softmax_fails_only_on_large_scores():
    bugged = solution(("    scores = scores - scores.max(axis=1, keepdims=True)\n", ""))
    with np.errstate(all="ignore"):
        failed = failing(grade(bugged, "softmax_loss_vectorized"))
    assert list(failed) == ["softmax_loss_vectorized: large scores (overflow)"]
    assert "subtract each row's maximum score before np.exp" in next(iter(failed.values()))


def test_transposed_gradient():
    bugged = solution(("    dW = X.T.dot(dscores) / num_train + 2 * reg * W\n",
                       "    dW = (X.T.dot(dscores) / num_train + 2 * reg * W).T\n"))
    failed = failing(grade(bugged, "softmax_loss_vectorized"))
    assert "the transpose of W's shape" in failed[
        "softmax_loss_vectorized: gradient, N=7 D=5 C=10, reg=0"]


def test_float32_gradient_is_fine():
    bugged = solution(("    dW = X.T.dot(coeff) / num_train + 2 * reg * W\n",
                       "    dW = (X.T.dot(coeff) / num_train + 2 * reg * W).astype(np.float32)\n"))
    results = grade(bugged, "svm_loss_vectorized")
    assert failing(results) == {}


def test_mutating_X_is_caught():
    namespace = solution()
    correct = namespace["softmax_loss_naive"]

    def softmax_loss_naive(W, X, y, reg):
        loss, dW = correct(W, X, y, reg)
        X[0, 0] = 0.0
        return loss, dW

    namespace["softmax_loss_naive"] = softmax_loss_naive
    failed = failing(grade(namespace, "softmax_loss_naive"))
    assert list(failed) == ["softmax_loss_naive: does not modify its inputs"]
    assert "modified its input X" in failed["softmax_loss_naive: does not modify its inputs"]


def test_stub_is_called_once_and_fails_every_check():
    namespace = solution()

    def svm_loss_naive(W, X, y, reg):
        raise NotImplementedError("fill in svm_loss_naive")

    namespace["svm_loss_naive"] = svm_loss_naive
    session = CountingSession(namespace)
    results = checks.run_checks(session, SEED, FAST, targets=["svm_loss_naive"])
    assert results and not any(r.passed for r in results)
    assert {r.output for r in results} == {
        "svm_loss_naive still raises NotImplementedError: fill in the stub in svm.ipynb"}
    assert session.calls == [("loss", "svm_loss_naive")]


def test_vectorized_copy_of_naive_is_no_faster():
    namespace = solution()
    namespace["svm_loss_vectorized"] = namespace["svm_loss_naive"]
    results = grade(namespace, "svm_loss_vectorized",
                    reference_session=InProcessSession(vars(reference)))
    speedup = results["svm_loss_vectorized: speedup over your naive version"]
    assert speedup.score == 0
    assert "no faster than your naive one: remove the loops over examples" in speedup.output
    assert results["svm_loss_vectorized: speed vs the reference"].score == 0
    assert results["svm_loss_vectorized: loss, N=500 D=3073 C=10, reg>0"].passed


def test_replaying_a_cached_answer_while_timed_earns_no_speed_points():
    """A 'vectorized' loss that is really the loop, made to look fast by answering repeat
    calls on the same data from a cache: every timed call gets a new W, so it is caught."""
    namespace = solution()
    naive, cache = namespace["svm_loss_naive"], {}

    def cached(W, X, y, reg):
        key = (X.shape, float(reg))
        if key not in cache:
            cache[key] = naive(W, X, y, reg)
        return cache[key]

    namespace["svm_loss_vectorized"] = cached
    results = grade(namespace, "svm_loss_vectorized",
                    reference_session=InProcessSession(vars(reference)))
    speedup = results["svm_loss_vectorized: speedup over your naive version"]
    assert speedup.score == 0
    assert "returned a wrong loss" in speedup.output and "timed calls" in speedup.output


# ---------------------------------------------------------------- LinearClassifier bugs

SAMPLING = "linear_classifier: train samples minibatches at random, rows with their labels"
DRAW = "idx = np.random.choice(num_train, batch_size)"


@pytest.mark.parametrize("edit", [
    (DRAW, "idx = np.arange(min(batch_size, num_train))"),
    ("            X_batch = X[idx]\n            y_batch = y[idx]\n",
     "            X_batch = X\n            y_batch = y\n"),
], ids=["first batch only", "never samples"])
def test_train_that_does_not_sample(edit):
    failed = failing(grade(solution(edit), "linear_classifier"))
    assert list(failed) == [SAMPLING]
    assert "uses the same examples every time" in failed[SAMPLING]


@pytest.mark.parametrize("draw", [
    "idx = np.random.choice(num_train, batch_size, replace=False)",
    "idx = np.random.permutation(num_train)[:batch_size]",
], ids=["choice without replacement", "permutation"])
def test_train_without_replacement_is_honest(draw):
    # CS231n's starter only says that sampling with replacement is faster: a batch that
    # fits the data, drawn without replacement, is a correct train.
    results = grade(solution((DRAW, draw)), "linear_classifier")
    assert failing(results) == {}
    assert results[SAMPLING].score == results[SAMPLING].max_score > 0


def test_train_sampling_rows_without_their_labels():
    edit = ("            y_batch = y[idx]\n",
            "            y_batch = y[np.random.choice(num_train, batch_size)]\n")
    failed = failing(grade(solution(edit), "linear_classifier"))
    assert list(failed) == [SAMPLING]
    assert "y_batch = y[idx]" in failed[SAMPLING]
    assert "own labels" in failed[SAMPLING]


def test_train_that_never_updates_W():
    edit = ("self.W -= learning_rate * grad", "pass")
    failed = failing(grade(solution(edit), "linear_classifier"))
    assert list(failed) == ["linear_classifier: train steps W by -learning_rate * gradient"]
    assert "did not change W" in next(iter(failed.values()))


def test_W_initialised_with_too_few_classes():
    edit = ("num_classes = np.max(y) + 1", "num_classes = len(np.unique(y))")
    failed = failing(grade(solution(edit), "linear_classifier"))
    assert list(failed) == ["linear_classifier: W initialised when None"]
    assert "C = np.max(y) + 1" in next(iter(failed.values()))


def test_predict_returning_scores():
    edit = ("y_pred = np.argmax(X.dot(self.W), axis=1)", "y_pred = X.dot(self.W)")
    failed = failing(grade(solution(edit), "linear_classifier"))
    assert list(failed) == ["linear_classifier: predict returns argmax labels"]
    assert "returned the scores" in next(iter(failed.values()))


def test_train_checks_name_a_broken_loss():
    namespace = solution()

    def svm_loss_vectorized(W, X, y, reg):
        raise NotImplementedError

    namespace["svm_loss_vectorized"] = svm_loss_vectorized
    failed = failing(grade(namespace, "linear_classifier"))
    train_checks = [name for name in failed if "train" in name or "initialised" in name]
    assert len(train_checks) == 4
    assert all("LinearSVM's loss uses your svm_loss_vectorized" in failed[n] for n in train_checks)
    assert "linear_classifier: predict returns argmax labels" not in failed


# ---------------------------------------------------------------- saved weights, accuracy


def _save(folder: Path, name: str, W: np.ndarray, **hyper: float) -> None:
    settings = {"learning_rate": 1e-7, "reg": 2.5e4, "num_iters": 1500, "batch_size": 200,
                **hyper}
    np.savez(folder / name, W=W, **settings)


def _small_data():
    W, X_val = inputs.predict_problem(SEED)
    y_val = np.argmax(X_val @ W, axis=1)
    return W, {"X_val": X_val, "y_val": y_val, "X_test": X_val, "y_test": y_val}


SAVED = "LinearSVM: saved best weights (svm_best.npz) load with valid hyperparameters"


def test_saved_weights_earn_what_the_grader_verifies_never_their_accuracy(tmp_path):
    """A W that classifies the evaluation images perfectly earns what a random one earns:
    the grader cannot tell how it was fitted. What it verifies is the file itself."""
    W, data = _small_data()

    def saved(W_saved: np.ndarray, **hyper: float) -> checks.CheckResult:
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        _save(folder, "svm_best.npz", W_saved, **hyper)
        results = checks.run_checks(InProcessSession({}, folder=folder), SEED, FAST,
                                    targets=["LinearSVM", "Softmax"], data=data)
        return {r.name: r for r in results}

    perfect, random = saved(W)[SAVED], saved(np.random.default_rng(1).normal(size=W.shape))[SAVED]
    assert perfect.passed and random.passed and perfect.score == random.score > 0
    assert "loads, its W has shape (6, 4) with finite values" in perfect.output
    missing = saved(W)["Softmax: saved best weights (softmax_best.npz) load with valid " \
                       "hyperparameters"]
    assert not missing.passed and "could not read softmax_best.npz" in missing.output
    assert "save_best_model(\"softmax_best.npz\"" in missing.output
    wide = saved(W, num_iters=20_000)[SAVED]
    assert not wide.passed and "num_iters=20000, outside the course's range [1, 5000]" \
        in wide.output
    costly = saved(W, num_iters=5000, batch_size=1000)[SAVED]
    assert not costly.passed and "over the course's cap of 1,000,000" in costly.output
    broken = saved(np.full(W.shape, np.nan))[SAVED]
    assert not broken.passed and "contains nan or inf" in broken.output


class Trainer:
    """A reference_train that records the settings it is asked for and returns `W`."""

    def __init__(self, W: np.ndarray) -> None:
        self.W, self.asked = W, []

    def __call__(self, cls: str, hyper: dict) -> np.ndarray:
        self.asked.append((cls, dict(hyper)))
        return self.W


def test_accuracy_is_the_references_trained_with_the_rounded_hyperparameters(tmp_path):
    W, data = _small_data()
    _save(tmp_path, "svm_best.npz", W, learning_rate=1.0000000000001e-7, reg=24_987.2,
          num_iters=1499)
    trainer = Trainer(W)
    results = {r.name: r for r in checks.run_checks(
        InProcessSession(solution(), folder=tmp_path), SEED, FAST,
        targets=["svm_loss_vectorized", "linear_classifier", "LinearSVM"], data=data,
        reference_train=trainer)}
    accuracy = results["LinearSVM: CIFAR-10 validation accuracy"]
    assert accuracy.passed and accuracy.value == 1.0
    assert trainer.asked == [("LinearSVM", {"learning_rate": 1e-7, "reg": 2.5e4,
                                            "num_iters": 1500, "batch_size": 200})]
    assert "of the grader's reference LinearSVM" in accuracy.output
    assert "rounded to 3 significant digits" in accuracy.output


def test_accuracy_needs_verified_code_and_never_asks_the_sandbox_to_train(tmp_path):
    """A train that fails its checks: the reference does not stand for it, and nothing is
    trained on CIFAR-10 in the student's session either: it is asked only to run the
    checks' own small problems and to hand over its saved file."""
    W, data = _small_data()
    _save(tmp_path, "svm_best.npz", W)
    trainer = Trainer(W)
    session = CountingSession(solution(("self.W -= learning_rate * grad",
                                        "self.W += learning_rate * grad")))
    session.inner.folder = tmp_path
    results = {r.name: r for r in checks.run_checks(
        session, SEED, FAST, targets=["svm_loss_vectorized", "linear_classifier",
                                      "LinearSVM"], data=data, reference_train=trainer)}
    accuracy = results["LinearSVM: CIFAR-10 validation accuracy"]
    assert not accuracy.passed and trainer.asked == []
    assert "stands for your training only once these checks pass: linear_classifier: train " \
        "steps W" in accuracy.output
    assert {op for op, _ in session.calls} <= {"loss", "train", "predict", "saved_weights"}
    assert results[SAVED].passed


@pytest.mark.parametrize("edit, keeps", [
    (("y_pred = np.argmax(X.dot(self.W), axis=1)", "y_pred = np.argmin(X.dot(self.W), axis=1)"),
     True),
    (("self.W -= learning_rate * grad", "self.W += learning_rate * grad"), False),
    (("idx = np.random.choice(num_train, batch_size)", "idx = np.arange(batch_size)"), False),
    # Rows with labels drawn apart from them: SGD on other labels than CIFAR-10's.
    (("            y_batch = y[idx]\n",
      "            y_batch = y[np.random.choice(num_train, batch_size)]\n"), False),
    # One real step, then a train that does not train; a history that is made up.
    (("self.W -= learning_rate * grad", "self.W -= learning_rate * grad * (it == 0)"), False),
    (("loss_history.append(loss)", "loss_history.append(loss + 1e-3)"), False),
])
def test_the_reference_stands_for_training_verified_by_its_own_checks(tmp_path, edit, keeps):
    """A bug outside what SGD computes on CIFAR-10 (predict) costs its own check only; a
    wrong step, a fixed minibatch or labels apart from their rows cost the accuracy."""
    W, data = _small_data()
    _save(tmp_path, "svm_best.npz", W)
    results = {r.name: r for r in checks.run_checks(
        InProcessSession(solution(edit), folder=tmp_path), SEED, FAST,
        targets=["svm_loss_vectorized", "linear_classifier", "LinearSVM"], data=data,
        reference_train=Trainer(W))}
    assert not all(r.passed for n, r in results.items() if n.startswith("linear_classifier"))
    assert results["LinearSVM: CIFAR-10 validation accuracy"].passed == keeps


class SlowTrainer(Trainer):
    """A reference training that takes `seconds` of wall-clock time, as a large one does."""

    def __init__(self, W: np.ndarray, seconds: float) -> None:
        super().__init__(W)
        self.seconds = seconds

    def __call__(self, cls: str, hyper: dict) -> np.ndarray:
        time.sleep(self.seconds)
        return super().__call__(cls, hyper)


def test_the_grader_s_own_training_is_not_charged_to_the_submission_s_budget(tmp_path):
    W, data = _small_data()
    for name in ("svm_best.npz", "softmax_best.npz"):
        _save(tmp_path, name, W)
    targets = ["svm_loss_vectorized", "softmax_loss_vectorized", "linear_classifier",
               "LinearSVM", "Softmax"]

    def run(trainer: Trainer, budget_s: float | None) -> dict[str, checks.CheckResult]:
        started = time.monotonic()
        results = checks.run_checks(InProcessSession(solution(), folder=tmp_path), SEED, FAST,
                                    targets=targets, data=data, reference_train=trainer,
                                    budget_s=budget_s)
        return {r.name: r for r in results}, time.monotonic() - started

    _, own = run(Trainer(W), None)
    # Two trainings of 5 s each, far more than the 4 s the budget leaves beyond the code's.
    results, _ = run(SlowTrainer(W, 5.0), own + 4.0)
    assert all(r.passed for r in results.values()), failing(results)
    assert not any("budget" in r.output for r in results.values())


def test_a_train_that_switches_on_large_input_fails_its_own_checks():
    """Honest on small problems, different from a CIFAR-10 row width or number of rows on:
    the train and predict checks meet those sizes, in both classifiers."""
    for condition in ("X.shape[1] > 1000", "X.shape[0] > 10000"):
        namespace = solution()
        honest = namespace["LinearClassifier"].train

        def train(self, X, y, *args, _honest=honest, _when=condition, **kwargs):
            history = _honest(self, X, y, *args, **kwargs)
            if eval(_when, {"X": X}):
                self.W = np.zeros_like(self.W)
            return history

        namespace["LinearClassifier"].train = train
        failed = failing(grade(namespace, "linear_classifier"))
        step = failed.get("linear_classifier: train steps W by -learning_rate * gradient")
        assert step and "N=" in step, (condition, failed)
    namespace = solution()
    honest_predict = namespace["LinearClassifier"].predict

    def predict(self, X, _honest=honest_predict):
        y = _honest(self, X)
        return y if type(self).__name__ == "LinearSVM" else np.zeros_like(y)

    namespace["LinearClassifier"].predict = predict
    failed = failing(grade(namespace, "linear_classifier"))
    assert "(Softmax)" in failed["linear_classifier: predict returns argmax labels"]


# ---------------------------------------------------------------- in-kernel mode


def test_assert_checks_passes_the_solution(capsys):
    assert_checks("softmax_loss_naive", solution(), rubric=FAST)
    assert capsys.readouterr().out.startswith("softmax_loss_naive: all ")


def test_assert_checks_of_the_classifier_run_in_svm_ipynb_s_kernel(capsys):
    # svm.ipynb defines no Softmax (softmax.ipynb does): the checks that run each
    # classifier take it from the grader's own class, as the sandbox does.
    namespace = {k: v for k, v in solution().items()
                 if k not in ("Softmax", "softmax_loss_naive", "softmax_loss_vectorized")}
    assert_checks("linear_classifier", namespace, rubric=FAST)
    assert capsys.readouterr().out.startswith("linear_classifier: all ")


def test_assert_checks_lists_the_failures():
    bugged = solution(("    dW += 2 * reg * W\n", "    dW += reg * W\n"))
    with pytest.raises(AssertionError) as info:
        assert_checks("svm_loss_naive", bugged, rubric=FAST)
    message = str(info.value)
    assert message.startswith("3 of 11 hidden checks failed for svm_loss_naive")
    assert "missing the factor 2" in message


# ---------------------------------------------------------------- the rubric file


def rubric_text() -> str:
    return rubric_module.DEFAULT_PATH.read_text()


@pytest.mark.parametrize("edit, words", [
    (("gradient = 1\nno_mutation = 1\n\n[points.svm_loss_vectorized]",
      "no_mutation = 1\n\n[points.svm_loss_vectorized]"),
     "[points.svm_loss_naive] is missing the key 'gradient'"),
    (("max_examples = 1_000_000\n\n[timeouts]", "max_example = 1_000_000\n\n[timeouts]"),
     "[accuracy.Softmax] is missing the key 'max_examples'"),
    (("\nnum_iters = [1, 5000]\n", "\nnum_iters = [0, 5000]\n"),
     "[accuracy.LinearSVM] num_iters must allow only whole numbers >= 1"),
    (("\nval = 0.37\n", "\nval = 38.5\n"), "[accuracy.LinearSVM] val must be between"),
    (("loss = 20", "loss = \"20 s\""), "[timeouts] loss must be a number"),
])
def test_rubric_errors_name_the_key(tmp_path, edit, words):
    text = rubric_text()
    assert edit[0] in text
    path = tmp_path / "rubric.toml"
    path.write_text(text.replace(edit[0], edit[1], 1))
    with pytest.raises(rubric_module.RubricError) as info:
        rubric_module.load(path)
    assert str(path) in str(info.value) and words in str(info.value)


def test_rubric_bands_must_be_ordered(tmp_path):
    path = tmp_path / "rubric.toml"
    path.write_text(rubric_text().replace("[[0.5, 1.0], [0.35, 0.6]",
                                          "[[0.35, 1.0], [0.5, 0.6]", 1))
    with pytest.raises(rubric_module.RubricError, match="speedup_bands: thresholds"):
        rubric_module.load(path)


def test_rubric_timeouts():
    assert RUBRIC.timeout("train") >= RUBRIC.timeout("loss") > 0


def test_rubric_refuses_a_timeout_for_an_operation_the_child_does_not_serve(tmp_path):
    # The child no longer trains on CIFAR-10: an old rubric's cifar_train line is a mistake.
    path = tmp_path / "rubric.toml"
    path.write_text(rubric_text().replace("[timeouts]\n", "[timeouts]\ncifar_train = 600\n", 1))
    with pytest.raises(rubric_module.RubricError, match="unknown key 'cifar_train'"):
        rubric_module.load(path)


@pytest.mark.parametrize(("ratio", "points"), [(1.0, 4.0), (0.5, 4.0), (0.425, 3.2),
                                               (0.35, 2.4), (0.225, 0.6), (0.2, 0.0)])
def test_speed_points_are_interpolated_between_bands(ratio, points):
    """A speedup between two thresholds earns points on the line between them, so a
    regrade that measures it 10% lower costs a fraction of a band, not a whole one."""
    fn = "svm_loss_vectorized"
    naive, ref_naive, ref = 30e-3, 30e-3, 5e-3  # the reference loop: 6x its vectorized loss
    own = naive / (ratio * ref_naive / ref)
    grading = checks.Grading(InProcessSession(solution()), SEED, FAST)
    grading._speed[fn] = ([checks.SpeedRound(naive, own, ref_naive, ref)] * 3, None)
    check = checks.speedup_check(fn)
    assert check.points(RUBRIC) * check.evaluate(grading).fraction == pytest.approx(points)


def test_speedup_is_scored_within_each_round_so_load_between_rounds_costs_nothing():
    """Code as fast as the reference, timed while a busy machine's load comes and goes:
    a loop timed under load looks 2.25x slower (45x instead of 20x its vectorized call).
    Round 1 is quiet, round 3 busy, and in round 2 the load arrives between the student's
    calls and the reference's. The medians of the two speedups come from different
    regimes (20x vs 45x: 0.44 of the reference's, which scored 0 before); each round's own
    ratio is 1 in two rounds of three: full credit."""
    fn = "svm_loss_vectorized"
    vectorized, quiet, busy = 5e-3, 20 * 5e-3, 45 * 5e-3
    rounds = [checks.SpeedRound(quiet, vectorized, quiet, vectorized),
              checks.SpeedRound(quiet, vectorized, busy, vectorized),
              checks.SpeedRound(busy, vectorized, busy, vectorized)]
    grading = checks.Grading(InProcessSession(solution()), SEED, FAST)
    grading._speed[fn] = (rounds, None)
    verdict = checks.speedup_check(fn).evaluate(grading)
    assert verdict.fraction == pytest.approx(1.0), verdict.message
    assert "45.0x in the same rounds" in verdict.message
