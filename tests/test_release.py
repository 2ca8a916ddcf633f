"""The student release: in sync with the source, free of solutions, and runnable up to the stubs."""

from __future__ import annotations

import filecmp
import json
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from autograder import assignment
from autograder.release import ROOT, build_student_bundle, generate_release

# Every edition's nbgrader assignment (source/ and release/ folder) -> its notebooks.
EDITIONS = {assignment.load(name).source: tuple(assignment.load(name).notebooks)
            for name in assignment.names()}
REGION = re.compile(
    r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END (SOLUTION|HIDDEN TESTS)", re.DOTALL
)


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _source(cell: dict) -> str:
    src = cell["source"]
    return "".join(src) if isinstance(src, list) else src


def _tree_diff(a: Path, b: Path) -> list[str]:
    cmp = filecmp.dircmp(a, b)
    out = [f"only in {a}: {n}" for n in cmp.left_only]
    out += [f"only in {b}: {n}" for n in cmp.right_only]
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    out += [f"differs: {n}" for n in mismatch + errors]
    for sub in cmp.common_dirs:
        out += _tree_diff(a / sub, b / sub)
    return out


def test_every_assignment_has_its_release():
    assert {"linear", "linear_torch", "soi1010", "two_layer_net"} <= set(EDITIONS)
    for edition, notebooks in EDITIONS.items():
        for notebook in notebooks:
            assert (ROOT / "release" / edition / notebook).is_file(), f"{edition}/{notebook}"


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_committed_release_matches_a_fresh_generation(tmp_path: Path, edition: str) -> None:
    course = tmp_path / "course"
    shutil.copytree(ROOT / "source" / edition, course / "source" / edition,
                    ignore=shutil.ignore_patterns("*_best.npz", "*_best_model.pt"))
    shutil.copy(ROOT / "nbgrader_config.py", course)
    fresh = generate_release(course, edition)
    diff = _tree_diff(ROOT / "release" / edition, fresh)
    assert not diff, (
        "release/ is out of date with source/: run `python -m autograder release` and commit. "
        + "; ".join(diff)
    )


def _secret_lines(edition: str) -> set[str]:
    """Lines found only in the source's solution / hidden-test regions and answer cells."""
    secret: set[str] = set()
    given: set[str] = set()
    for name in EDITIONS[edition]:
        for cell in _cells(ROOT / "source" / edition / name):
            text = _source(cell)
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if cell["cell_type"] == "markdown" and meta.get("solution") \
                    and not REGION.search(text):
                # An answer cell without markers: nbgrader replaces all of it.
                secret.update(line.strip() for line in text.splitlines())
                continue
            inside = "".join(m.group(2) for m in REGION.finditer(text))
            outside = REGION.sub("", text)
            secret.update(line.strip() for line in inside.splitlines())
            given.update(line.strip() for line in outside.splitlines())
    # A line the students are given elsewhere (e.g. `return loss, dW`) is not a leak.
    return {line for line in secret - given if len(line) > 12}


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_release_holds_no_solution_and_no_hidden_test(edition: str) -> None:
    secret = _secret_lines(edition)
    # (A sanity check that the leak check below has something to look for: the NumPy
    # edition's two notebooks hide some 90 such lines, the torch edition's one 47.)
    assert len(secret) > 30, "the source notebooks should have solution code to protect"
    for name in EDITIONS[edition]:
        nb = nbformat.read(ROOT / "release" / edition / name, as_version=4)
        for index, cell in enumerate(nb.cells):
            text = cell.source
            for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "assert_checks",
                           "import autograder", "from autograder"):
                assert marker not in text, f"{name} cell {index} contains {marker!r}"
            leaked = [line for line in text.splitlines() if line.strip() in secret]
            assert not leaked, f"{name} cell {index} leaks solution lines: {leaked[:3]}"
            if cell.cell_type == "code":
                assert not cell.outputs, f"{name} cell {index} still has outputs"
        stubs = sum("raise NotImplementedError()" in c.source for c in nb.cells)
        answers = sum("YOUR ANSWER HERE" in c.source for c in nb.cells)
        assert stubs >= 3 and answers >= 2, f"{name}: {stubs} code stubs, {answers} answer cells"


@pytest.mark.parametrize("edition", sorted(EDITIONS))
def test_student_bundle_holds_exactly_what_a_student_needs(tmp_path: Path, edition: str
                                                           ) -> None:
    bundle = build_student_bundle(tmp_path / f"{edition}.zip", assignment=edition)
    with zipfile.ZipFile(bundle) as zf:
        names = set(zf.namelist())
        for name in EDITIONS[edition]:
            assert zf.read(f"{edition}/{name}") == (ROOT / "release" / edition / name
                                                    ).read_bytes()
    # The notebooks, the README and environment.yml, the course's own files (the two-layer
    # edition's cs231n/solver.py and optim.py); the data tools; never a model.
    given = {f"{edition}/{path.relative_to(ROOT / 'release' / edition).as_posix()}"
             for path in (ROOT / "release" / edition).rglob("*.py")}
    assert names == {f"{edition}/{name}" for name in EDITIONS[edition]} | given | {
        f"{edition}/README.md",
        f"{edition}/environment.yml",
        f"{edition}/cs231n_data/__init__.py",
        f"{edition}/cs231n_data/cifar10.py",
        f"{edition}/cs231n_data/download.py",
        f"{edition}/cs231n_data/gradient_check.py",
        f"{edition}/cs231n_data/images.py",
        f"{edition}/cs231n_data/notebook.py",
        f"{edition}/cs231n_data/submit.py",
        f"{edition}/cs231n_data/vis.py",
    } | {n for n in names if n.startswith(f"{edition}/cs231n_data/_check/")}
    assert not any(name.endswith((".npy", ".npz", ".pt")) for name in names)


def _run_until_error(path: Path) -> tuple[int, str]:
    """Execute a notebook in its folder; return (index of the failing cell, exception name)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    with pytest.raises(CellExecutionError) as failure:
        client.execute()
    failing = next(
        i for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and any(o.get("output_type") == "error" for o in c.outputs)
    )
    return failing, failure.value.ename


@pytest.mark.cifar
@pytest.mark.slow
@pytest.mark.parametrize("edition, name, first_call", [
    ("linear", "svm.ipynb", "loss, grad = svm_loss_naive(W, X_dev, y_dev, 0.000005)"),
    ("linear", "softmax.ipynb", "loss, grad = softmax_loss_naive(W, X_dev, y_dev, 0.0)"),
    ("linear_torch", "linear_classifier.ipynb",
     "loss, grad = svm_loss_naive(W, X_dev, y_dev, 0.000005)"),
    ("two_layer_net", "two_layer_net.ipynb", "out_t, _ = affine_forward(x_t, w_t, b_t)"),
    ("soi1010", "svm_softmax.ipynb", "tr_t, va_t = split_train_val(1000, 0.1, seed=3)"),
])
def test_bundle_notebook_runs_to_the_first_stub(
    tmp_path: Path, cifar10_env: Path, edition: str, name: str, first_call: str
) -> None:
    """A student who unzips the bundle and runs a notebook gets to their first task."""
    with zipfile.ZipFile(build_student_bundle(tmp_path / f"{edition}.zip",
                                              assignment=edition)) as zf:
        zf.extractall(tmp_path)
    failing, ename = _run_until_error(tmp_path / edition / name)
    cells = nbformat.read(tmp_path / edition / name, as_version=4).cells
    assert ename == "NotImplementedError", f"{name} stopped at cell {failing} with {ename}"
    assert first_call in cells[failing].source, (
        f"{name} stopped at cell {failing}, not at the first call of a stub:\n"
        + cells[failing].source
    )


def test_release_builds_every_assignment_and_its_bundle(tmp_path: Path) -> None:
    from autograder.release import release_all

    course = tmp_path / "course"
    for edition in EDITIONS:
        shutil.copytree(ROOT / "source" / edition, course / "source" / edition,
                        ignore=shutil.ignore_patterns("*_best.npz", "*_best_model.pt"))
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "cs231n_data", course / "cs231n_data",
                    ignore=shutil.ignore_patterns("cifar-10-*", "__pycache__"))
    done = release_all(tmp_path / "out", course)
    assert sorted(folder.name for folder, _ in done) == sorted(EDITIONS)
    for folder, bundle in done:
        assert bundle == tmp_path / "out" / f"{folder.name}-student.zip"
        with zipfile.ZipFile(bundle) as zf:
            for name in EDITIONS[folder.name]:
                assert zf.read(f"{folder.name}/{name}") == (folder / name).read_bytes()
