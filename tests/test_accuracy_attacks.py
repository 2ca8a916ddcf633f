"""Faking CIFAR-10 accuracy, as a determined student would, and what each attempt earns.

Every CIFAR-10 label is public, so a student can fit W offline on the validation and test
images (0.58 on them here, up to 0.999 with more steps) and carry it in the notebook: in a
saved model, in a train that hands it back on CIFAR-sized input, in a predict that looks
answers up. These attacks need
the real images to be built, so they are made here, at test time, from the shared data
set (never committed), then graded end to end; each is compared with its honest twin, the
same honest work without the attack. The grader scores accuracy only on a W its own
reference trained with the saved hyperparameters, so no attack may score more than its
twin, and none of the fitted W's accuracy may show in any check.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch_submissions
from corpus_cells import reference_cells
from submissions import resaved, write_submission

from autograder.assignment import load as load_assignment
from autograder.assignments.linear.reference import softmax_loss_vectorized
from autograder.grade import grade_submission
from cs231n_data import get_cifar10_data

pytestmark = [pytest.mark.cifar, pytest.mark.slow]

SAVED_SOFTMAX = ("Softmax: saved best weights (softmax_best.npz) load with valid "
                 "hyperparameters")
ACCURACY = ("LinearSVM: CIFAR-10 validation accuracy", "LinearSVM: CIFAR-10 test accuracy",
            "Softmax: CIFAR-10 validation accuracy", "Softmax: CIFAR-10 test accuracy")
# The fitted W reaches about 0.58 on the images it was fitted on; an honest one about 0.40.
HONEST_AT_MOST = 0.45


def _split(path, cache, pixel_scale: float = 1.0) -> dict[str, np.ndarray]:
    """The plain validation and test images with their labels, as any student has them."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CS231N_CACHE_DIR", str(cache))
        data = get_cifar10_data(path, num_dev=0, pixel_scale=pixel_scale)
    return {k: data[k] for k in ("X_val", "y_val", "X_test", "y_test")}


def _fit(split: dict[str, np.ndarray], learning_rate: float, steps: int) -> np.ndarray:
    """A Softmax W fitted by full-batch gradient descent on the 2,000 evaluation images."""
    X = np.vstack([split["X_val"], split["X_test"]]).astype(np.float64)
    y = np.concatenate([split["y_val"], split["y_test"]])
    W = 0.001 * np.random.default_rng(0).standard_normal((X.shape[1], 10))
    for _ in range(steps):
        W -= learning_rate * softmax_loss_vectorized(W, X, y, 0.0)[1]
    fitted = np.mean(np.argmax(split["X_val"] @ W, axis=1) == split["y_val"])
    assert fitted > 0.5, "the fitted W should look far better than honest (0.40) on them"
    return W


@pytest.fixture(scope="module")
def evaluation_split(cifar10_path, cifar10_cache):
    return _split(cifar10_path, cifar10_cache)


@pytest.fixture(scope="module")
def fitted_on_evaluation(evaluation_split):
    return _fit(evaluation_split, 1e-6, 1500)


@pytest.fixture(scope="module")
def honest(grading_data, trained_models, tmp_path_factory):
    folder = write_submission(tmp_path_factory.mktemp("honest") / "honest", reference_cells(),
                              trained_models.reference())
    return grade_submission(folder, data=grading_data)


def _by_name(result) -> dict[str, dict]:
    return {t["name"]: t for t in result.tests}


def _no_fitted_accuracy(result) -> None:
    """No check reports an accuracy only the fitted W reaches."""
    assert all(t.get("value", 0.0) <= HONEST_AT_MOST for t in result.tests), [
        (t["name"], t.get("value")) for t in result.tests]


def _lookup_predict(evaluation_split) -> str:
    """A LinearClassifier whose predict answers from a table of the public labels."""
    table = {}
    for split in ("val", "test"):
        for row, label in zip(evaluation_split[f"X_{split}"], evaluation_split[f"y_{split}"],
                              strict=True):
            table[hash(row[:40].tobytes())] = int(label)
    cell = reference_cells()["linear_classifier"]
    return cell + (
        f"\n_ANSWERS = {table!r}\n"
        "_honest_predict = LinearClassifier.predict\n\n\n"
        "def _predict(self, X):\n"
        "    honest = _honest_predict(self, X)\n"
        "    found = [_ANSWERS.get(hash(np.asarray(r[:40], np.float32).tobytes())) for r in X]\n"
        "    return np.array([h if f is None else f for f, h in zip(found, honest)])\n\n\n"
        "LinearClassifier.predict = _predict\n")


def test_a_predict_that_looks_up_the_public_labels_earns_what_honest_code_earns(
        grading_data, trained_models, evaluation_split, honest, tmp_path):
    cells = {**reference_cells(), "linear_classifier": _lookup_predict(evaluation_split)}
    folder = write_submission(tmp_path / "lookup", cells, trained_models.reference())
    result = grade_submission(folder, data=grading_data)
    # Accuracy comes from the reference's W, scored here: the table is never asked.
    assert [(t["name"], t["score"]) for t in result.tests] == \
        [(t["name"], t["score"]) for t in honest.tests]
    _no_fitted_accuracy(result)


def test_a_saved_w_fitted_on_the_evaluation_images_earns_what_an_honest_one_earns(
        grading_data, trained_models, fitted_on_evaluation, honest, tmp_path):
    saved = tmp_path / "softmax_best.npz"
    np.savez(saved, W=fitted_on_evaluation, learning_rate=1e-6, reg=1e3, num_iters=1500,
             batch_size=200)
    npz = {**trained_models.reference(), "softmax_best.npz": saved}
    result = grade_submission(write_submission(tmp_path / "fitted", reference_cells(), npz),
                              data=grading_data)
    assert [(t["name"], t["score"]) for t in result.tests] == \
        [(t["name"], t["score"]) for t in honest.tests]
    assert result.score == honest.score == 100
    assert "the accuracy checks score those settings" in _by_name(result)[SAVED_SOFTMAX]["output"]
    _no_fitted_accuracy(result)


def test_a_fitted_w_without_any_code_earns_only_the_files_checks(
        grading_data, trained_models, fitted_on_evaluation, honest, tmp_path):
    """Never trained, never written: the release's stubs with a fitted softmax_best.npz."""
    saved = tmp_path / "softmax_best.npz"
    np.savez(saved, W=fitted_on_evaluation, learning_rate=1e-6, reg=1e3, num_iters=1500,
             batch_size=200)
    npz = {**trained_models.reference(), "softmax_best.npz": saved}
    result = grade_submission(write_submission(tmp_path / "stubs", {}, npz), data=grading_data)
    assert result.score == 8 < honest.score
    got = _by_name(result)
    assert all(got[name]["score"] == 0 for name in ACCURACY)
    _no_fitted_accuracy(result)


def _carrying_train(fitted: np.ndarray) -> str:
    """A LinearClassifier honest on every input but one with more than 10,000 rows, where
    train installs the W carried in the notebook."""
    rows = ",\n".join(repr([float(f"{v:.5g}") for v in row]) for row in fitted)
    return reference_cells()["linear_classifier"] + (
        f"\n_FITTED = np.array([\n{rows}])\n"
        "_honest_train = LinearClassifier.train\n\n\n"
        "def _train(self, X, y, **kwargs):\n"
        "    history = _honest_train(self, X, y, **kwargs)\n"
        "    if X.shape[0] > 10000:\n"
        "        self.W = _FITTED.copy()\n"
        "    return history\n\n\n"
        "LinearClassifier.train = _train\n")


def _scribbling_softmax() -> str:
    """softmax_loss_vectorized, correct but for a scribble on X: one cheap check fails."""
    return reference_cells()["softmax_loss_vectorized"].replace(
        "    return loss, dW", "    X[0, 0] += 1.0\n    return loss, dW")


def test_a_train_that_hands_back_a_fitted_w_earns_no_more_than_its_honest_twin(
        grading_data, trained_models, fitted_on_evaluation, tmp_path):
    """The issue's attack: fail a cheap check on purpose (a scribble on X), so that the
    student's own train once ran on CIFAR-10, and hand back the fitted W there. Its twin
    is the same honest work with the same scribble and no carried W."""
    twin_cells = {**reference_cells(), "softmax_loss_vectorized": _scribbling_softmax()}
    attack_cells = {**twin_cells, "linear_classifier": _carrying_train(fitted_on_evaluation)}
    twin = grade_submission(write_submission(tmp_path / "twin", twin_cells,
                                             trained_models.reference()), data=grading_data)
    attack = grade_submission(write_submission(tmp_path / "attack", attack_cells,
                                               trained_models.reference()), data=grading_data)
    assert attack.score < twin.score < 100
    got = _by_name(attack)
    assert "N=49000 D=8 C=10" in got["linear_classifier: train steps W by -learning_rate * "
                                     "gradient"]["output"]
    for name in ACCURACY:
        assert got[name]["score"] == 0, got[name]["output"]
        assert "never trained on CIFAR-10 for a score" in got[name]["output"]
    _no_fitted_accuracy(attack)


def test_hyperparameters_changed_in_the_13th_digit_score_the_same_accuracy(
        grading_data, trained_models, honest, tmp_path):
    """The seed of the grader's training is its secret's, and the settings are rounded to 3
    significant digits: a change far down a hyperparameter cannot fish for a lucky run."""
    npz = {name: resaved(path, {"learning_rate_factor": 1.0000000000001,
                                "reg_factor": 0.9999999999999}, tmp_path / name)
           for name, path in trained_models.reference().items()}
    nudged = grade_submission(write_submission(tmp_path / "nudged", reference_cells(), npz),
                              data=grading_data)
    values = {t["name"]: t.get("value") for t in honest.tests if "value" in t}
    assert {t["name"]: t.get("value") for t in nudged.tests if "value" in t} == values
    assert len(values) == 4 and nudged.score == honest.score == 100
    assert "rounded to 3 significant digits" in _by_name(nudged)[ACCURACY[0]]["output"]


# --------------------------------------------------------------------------- torch edition


@pytest.fixture(scope="module")
def torch_fitted(cifar10_path, cifar10_cache):
    """A Softmax W fitted on the evaluation images at the torch edition's pixel scale."""
    split = _split(cifar10_path, cifar10_cache, load_assignment("linear_torch").pixel_scale)
    return _fit(split, 1e-1, 1500)


def _hex_carrying_train(fitted: np.ndarray) -> str:
    """train_linear_classifier honest on every input but one with more than 10,000 rows,
    where it returns the W carried as a hex string (the rules see only a string)."""
    carried = fitted.astype(np.float32).tobytes().hex()
    cell = torch_submissions.reference_cells()["train_linear_classifier"]
    return (f"import numpy as np\n\n_CARRIED = {carried!r}\n\n\n" + cell.replace(
        "    return W, loss_history",
        "    if X.shape[0] > 10000:\n"
        "        carried = np.frombuffer(bytes.fromhex(_CARRIED), dtype=np.float32)\n"
        "        W = torch.tensor(carried.reshape(3073, 10), dtype=X.dtype, device=X.device)\n"
        "    return W, loss_history"))


def test_a_torch_train_that_hands_back_a_hex_w_earns_no_more_than_its_honest_twin(
        torch_grading_data, torch_models, torch_fitted, tmp_path):
    spec = load_assignment("linear_torch")
    cells = torch_submissions.reference_cells()
    attack_cells = {**cells, "train_linear_classifier": _hex_carrying_train(torch_fitted)}
    twin = grade_submission(torch_submissions.write_submission(
        tmp_path / "twin", cells, torch_models.reference()), data=torch_grading_data,
        spec=spec)
    attack = grade_submission(torch_submissions.write_submission(
        tmp_path / "attack", attack_cells, torch_models.reference()),
        data=torch_grading_data, spec=spec)
    assert twin.score == 100 and attack.score < twin.score
    got = _by_name(attack)
    assert all(got[name]["score"] == 0 for name in ACCURACY)
    _no_fitted_accuracy(attack)
