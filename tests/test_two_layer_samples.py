"""The two-layer network edition's sample builders (autograder/assignments/two_layer_net/
samples.py): what they build is what a student hands in, and the corpus they build from
(tests/corpus_two_layer/) follows the source notebook. tests/test_corpus.py grades every
entry of that corpus end to end.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from autograder import rules
from autograder.assignments import samples as shared
from autograder.assignments.two_layer_net import samples
from cs231n_data import get_cifar10_images

CORPUS = samples.CORPUS
ENTRIES = shared.corpus_entries(CORPUS)
SPEC = samples.SPEC


@pytest.fixture(scope="module")
def images(cifar10_path: Path, cifar10_cache: Path) -> dict[str, np.ndarray]:
    """The first 2,000 training images (the samples' quick training) and the evaluation
    splits, as the notebook loads them."""
    with pytest.MonkeyPatch.context() as env:
        env.setenv("CS231N_CACHE_DIR", str(cifar10_cache))
        return get_cifar10_images(cifar10_path, num_training=2000)


@pytest.fixture(scope="module")
def models(images, tmp_path_factory: pytest.TempPathFactory) -> samples.ModelStore:
    return samples.ModelStore(images, tmp_path_factory.mktemp("two-layer-models"))


def test_the_reference_solution_breaks_no_rule():
    # A rule that flags the instructor's own solution (its course-given save/load methods
    # included) would cost every honest student.
    assert rules.scan(samples.reference_cells(), SPEC.rules) == {}


def test_every_bug_is_an_edit_that_applies_to_the_reference():
    # An edit whose text is not found once in the reference cells raises: the corpus
    # follows the source notebook when it changes.
    for entry in ENTRIES:
        cells = shared.entry_cells(entry, CORPUS, samples.reference_cells)
        build = shared.entry_spec(entry, CORPUS).get("build", {})
        if build.get("cells", "reference") == "reference":
            assert set(SPEC.definitions) <= set(cells), entry


@pytest.mark.cifar
def test_a_notebook_sample_holds_the_release_notebook_and_a_loadable_model(models, tmp_path):
    from autograder.assignments.two_layer_net.child import load_params, read_settings

    folder = samples.write_notebook_submission(tmp_path / "alice", samples.reference_cells(),
                                               models.get())
    nb = json.loads((folder / samples.NOTEBOOK).read_text())
    sources = ["".join(c["source"]) for c in nb["cells"]]
    assert any("def relu_backward" in s and "x > 0" in s for s in sources)
    assert not any("BEGIN SOLUTION" in s for s in sources)
    params = load_params(str(folder / samples.MODEL_FILE), "the model", ValueError)
    assert params["W1"].shape == (3072, samples.REFERENCE.hidden_size)
    assert params["b2"].shape == (10,)
    settings = read_settings(str(folder / samples.SETTINGS_FILE), "the settings", ValueError)
    assert settings["reg"] == samples.REFERENCE.reg


@pytest.mark.cifar
def test_a_starter_sample_imports_as_cs231n_s_package(models, tmp_path):
    folder = samples.write_starter_submission(tmp_path / "bob", samples.reference_cells(),
                                              models.get())
    script = ("import numpy as np\nfrom cs231n.classifiers.fc_net import TwoLayerNet\n"
              "from cs231n.solver import Solver\n"
              "net = TwoLayerNet(input_dim=12, hidden_dim=5, num_classes=3)\n"
              "loss, grads = net.loss(np.ones((2, 3, 2, 2)), np.array([0, 2]))\n"
              "print(sorted(grads), round(float(loss), 4))\n")
    run = subprocess.run([sys.executable, "-c", script], cwd=folder, capture_output=True,
                         text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == f"['W1', 'W2', 'b1', 'b2'] {round(float(np.log(3)), 4)}"
    assert (folder / samples.MODEL_FILE).is_file() and (folder / samples.SETTINGS_FILE).is_file()


def test_the_payload_model_runs_code_under_a_general_unpickler_and_not_under_the_grader(
        tmp_path):
    from autograder.assignments.two_layer_net.child import load_params

    mark = tmp_path / "ran.pwned"
    path = samples.write_payload_model(tmp_path / "best_two_layer_net.npy", str(mark))
    with pytest.raises(ValueError, match="best_two_layer_net.npy"):
        load_params(str(path), "best_two_layer_net.npy", ValueError)
    assert not mark.exists()
    # The attack is real: np.load with allow_pickle runs it (in a child process).
    subprocess.run([sys.executable, "-c", f"import numpy as np; np.load({str(path)!r}, "
                    "allow_pickle=True)"], capture_output=True, timeout=60)
    assert mark.exists()
