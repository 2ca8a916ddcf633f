"""Faking CIFAR-10 accuracy, as a determined student would, and what each attempt earns.

Every CIFAR-10 label is public, so a student can carry the validation and test answers
in the notebook. These attacks need the real labels to be built, so they are made here,
at test time, from the shared data set (never committed), then graded end to end; each
is compared with its honest twin: the reference solution with the reference models.
"""

from __future__ import annotations

import numpy as np
import pytest
from corpus_cells import reference_cells
from submissions import write_submission

from autograder.assignments.linear.reference import softmax_loss_vectorized
from autograder.grade import grade_submission
from cs231n_data import get_cifar10_data

pytestmark = [pytest.mark.cifar, pytest.mark.slow]

SAVED_SOFTMAX = "Softmax: saved best weights (softmax_best.npz) validation accuracy"


@pytest.fixture(scope="module")
def evaluation_split(cifar10_path, cifar10_cache):
    """The plain validation and test images with their labels, as any student has them."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
        data = get_cifar10_data(cifar10_path, num_dev=0)
    return {k: data[k] for k in ("X_val", "y_val", "X_test", "y_test")}


@pytest.fixture(scope="module")
def fitted_on_evaluation(evaluation_split):
    """A Softmax W fitted on the 2,000 validation and test images themselves."""
    X = np.vstack([evaluation_split["X_val"], evaluation_split["X_test"]]).astype(np.float64)
    y = np.concatenate([evaluation_split["y_val"], evaluation_split["y_test"]])
    W = 0.001 * np.random.default_rng(0).standard_normal((X.shape[1], 10))
    for _ in range(1500):
        _, grad = softmax_loss_vectorized(W, X, y, 0.0)
        W -= 1e-6 * grad
    plain = np.mean(np.argmax(evaluation_split["X_val"] @ W, axis=1)
                    == evaluation_split["y_val"])
    assert plain > 0.5, "the fitted W should look far better than honest (0.40) on them"
    return W


@pytest.fixture(scope="module")
def honest(grading_data, trained_models, tmp_path_factory):
    folder = write_submission(tmp_path_factory.mktemp("honest") / "honest", reference_cells(),
                              trained_models.reference())
    return {t["name"]: t for t in grade_submission(folder, data=grading_data).tests}


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
    got = {t["name"]: t for t in result.tests}
    # Accuracy comes from the returned W on mirrored images: the table is never asked.
    for name in (n for n in got if "CIFAR-10" in n or "saved best" in n):
        assert got[name]["score"] == honest[name]["score"], (name, got[name]["output"])
    assert result.score == sum(t["score"] for t in honest.values())


def test_a_saved_w_fitted_on_the_evaluation_images_earns_nothing(
        grading_data, trained_models, fitted_on_evaluation, honest, tmp_path):
    saved = tmp_path / "softmax_best.npz"
    np.savez(saved, W=fitted_on_evaluation, learning_rate=1e-6, reg=1e3, num_iters=1500,
             batch_size=200)
    npz = {**trained_models.reference(), "softmax_best.npz": saved}
    result = grade_submission(write_submission(tmp_path / "fitted", reference_cells(), npz),
                              data=grading_data)
    got = {t["name"]: t for t in result.tests}
    assert honest[SAVED_SOFTMAX]["score"] == 4
    assert got[SAVED_SOFTMAX]["score"] == 0, got[SAVED_SOFTMAX]["output"]
    assert "on the mirrored validation images (needs 0.35)" in got[SAVED_SOFTMAX]["output"]
    others = [n for n in got if n != SAVED_SOFTMAX]
    assert all(got[n]["score"] == honest[n]["score"] for n in others)


def _carrying_train(fitted: np.ndarray, honest_below: int) -> str:
    """A LinearClassifier whose train installs the W carried in the notebook when it sees
    more than 10,000 rows; below that, it trains on at most `honest_below` rows for one
    iteration (0: honestly, as asked)."""
    rows = ",\n".join(repr([float(f"{v:.5g}") for v in row]) for row in fitted)
    honest = ("_honest_train(self, X, y, **kwargs)" if not honest_below else
              f"_honest_train(self, X[:{honest_below}], y[:{honest_below}], "
              "**{**kwargs, 'num_iters': 1})")
    return reference_cells()["linear_classifier"] + (
        f"\n_FITTED = np.array([\n{rows}])\n"
        "_honest_train = LinearClassifier.train\n\n\n"
        "def _train(self, X, y, **kwargs):\n"
        f"    history = {honest}\n"
        "    if X.shape[0] > 10000:\n"
        "        self.W = _FITTED.copy()\n"
        "    return history\n\n\n"
        "LinearClassifier.train = _train\n")


def test_a_train_that_returns_a_w_fitted_on_the_evaluation_images_fails_accuracy(
        grading_data, trained_models, fitted_on_evaluation, tmp_path):
    """Graded alone (its train not checked first), the student's own train runs on
    CIFAR-10: the carried W is scored on mirrored images, where it fails."""
    cells = {**reference_cells(),
             "linear_classifier": _carrying_train(fitted_on_evaluation, honest_below=50)}
    result = grade_submission(write_submission(tmp_path / "carried", cells,
                                               trained_models.reference()),
                              targets=["Softmax"], data=grading_data)
    got = {t["name"]: t for t in result.tests}
    for split in ("validation", "test"):
        check = got[f"Softmax: CIFAR-10 {split} accuracy"]
        assert check["score"] == 0, check["output"]
        assert f"on the mirrored {split} images" in check["output"]
        assert "your own code, in the sandbox" in check["output"]


def test_a_train_honest_on_every_check_is_retrained_as_the_reference(
        grading_data, trained_models, fitted_on_evaluation, honest, tmp_path):
    """Honest on every small problem, it passes the train checks; the grader then trains
    its reference with the saved hyperparameters, and the carried W is never used: the
    submission earns exactly what the honest twin earns."""
    cells = {**reference_cells(),
             "linear_classifier": _carrying_train(fitted_on_evaluation, honest_below=0)}
    result = grade_submission(write_submission(tmp_path / "carried", cells,
                                               trained_models.reference()),
                              data=grading_data)
    got = {t["name"]: t for t in result.tests}
    for name in (n for n in got if "CIFAR-10" in n or "saved best" in n):
        assert got[name]["score"] == honest[name]["score"], (name, got[name]["output"])
    accuracy = got["Softmax: CIFAR-10 validation accuracy"]["output"]
    assert "the grader trained its reference Softmax with your hyperparameters" in accuracy
