"""The Gradescope autograder bundle, as Gradescope would run it.

The bundle is built with the CLI, unpacked, and its run_autograder is run against a
simulated /autograder tree in a temporary folder (a real submission in submission/,
the real CIFAR-10, the kit's environment); results.json is then checked against the
fields of Gradescope's specification.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from corpus_cells import reference_cells
from submissions import write_submission

from cs231n_data.download import MD5, URL

# Gradescope's results.json: top-level keys and the keys of each test.
TOP_KEYS = {"score", "execution_time", "output", "stdout_visibility", "tests", "leaderboard"}
TEST_KEYS = {"name", "score", "max_score", "status", "output", "output_format", "visibility"}


def build(tmp_path: Path) -> Path:
    out = tmp_path / "autograder.zip"
    done = subprocess.run([sys.executable, "-m", "autograder", "gradescope", "--assignment",
                           "linear", "--out", str(out)], capture_output=True, text=True,
                          check=False)
    assert done.returncode == 0, done.stderr
    return out


def test_the_bundle_holds_setup_run_and_the_kit(tmp_path: Path) -> None:
    with zipfile.ZipFile(build(tmp_path)) as bundle:
        names = set(bundle.namelist())
        setup = bundle.read("setup.sh").decode()
        modes = {n: stat.S_IMODE(bundle.getinfo(n).external_attr >> 16)
                 for n in ("setup.sh", "run_autograder")}
    assert {"setup.sh", "run_autograder", "source/pyproject.toml",
            "source/autograder/sandbox/session.py", "source/autograder/sandbox/serve.py",
            "source/autograder/assignments/linear/rubric.toml",
            "source/autograder/assignments/linear/assignment.toml",
            "source/autograder/templates/student.html",
            "source/cs231n_data/download.py"} <= names
    assert not any("tests/" in n or n.endswith(".ipynb") for n in names)
    assert all(mode & 0o111 for mode in modes.values())
    # CIFAR-10 through the kit's downloader (official URL and MD5), the CPU build of torch.
    assert "python -m cs231n_data.download --dest /autograder/data" in setup
    assert "download.pytorch.org/whl/cpu" in setup
    assert URL.startswith("https://www.cs.toronto.edu/") and len(MD5) == 32
    assert subprocess.run(["bash", "-n", "-c", setup], check=False).returncode == 0


def test_the_zip_refuses_an_unknown_assignment(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "autograder", "gradescope", "--assignment",
                           "no_such_course", "--out", str(tmp_path / "x.zip")],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 2 and "unknown assignment 'no_such_course'" in done.stderr


@pytest.mark.cifar
@pytest.mark.slow
def test_run_autograder_writes_results_json_by_gradescopes_spec(
        tmp_path: Path, cifar10_path: Path, trained_models) -> None:
    root = tmp_path / "autograder"
    with zipfile.ZipFile(build(tmp_path)) as bundle:
        bundle.extractall(root)
    run = root / "run_autograder"
    run.chmod(0o755)
    write_submission(root / "submission", reference_cells(), trained_models.reference())
    # The sandbox's uid must be able to reach its scratch folder, as on Gradescope (/tmp).
    env = {**os.environ, "AUTOGRADER_ROOT": str(root), "PYTHON": sys.executable,
           "CIFAR10_DIR": str(cifar10_path), "AUTOGRADER_SECRET_FILE": str(tmp_path / "key"),
           "TMPDIR": "/tmp"}
    done = subprocess.run([str(run)], env=env, capture_output=True, text=True, timeout=900,
                          check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads((root / "results" / "results.json").read_text())
    assert set(doc) == TOP_KEYS
    assert doc["score"] == 100.0 and doc["execution_time"] > 0
    assert doc["stdout_visibility"] == "hidden"
    assert "Time limits:" in doc["output"]
    assert len(doc["tests"]) > 40
    for test in doc["tests"]:
        assert set(test) == TEST_KEYS, test
        assert test["status"] == "passed" and test["output_format"] == "text"
        assert test["visibility"] in ("visible", "hidden", "after_due_date", "after_published")
        assert 0 <= test["score"] <= test["max_score"]
    assert sum(t["max_score"] for t in doc["tests"]) == 100.0
    board = {entry["name"]: entry["value"] for entry in doc["leaderboard"]}
    assert set(board) == {"SVM val accuracy", "SVM test accuracy", "Softmax val accuracy",
                          "Softmax test accuracy"}
    assert all(0.3 < value < 0.5 for value in board.values())
