"""The sandbox as a TA relies on it: correct code is graded, and hostile code is contained.

Each hostile test runs one attack from tests/corpus/hostile/<attack>/cells.py (the reference
cells with the attack's cells swapped in) and checks three things: the grader survives, the
attack does not reach its goal, and the student is told clearly what happened.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import shutil
import socket
import stat
import subprocess
import sysconfig
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest
from corpus_cells import ROOT as CHECKOUT
from corpus_cells import attack_cells, reference_cells

from autograder.assignment import dumps
from autograder.assignment import load as load_assignment
from autograder.files import private_dir, write_private
from autograder.grade import prepare_training_data
from autograder.sandbox import (
    Isolation,
    IsolationRequired,
    Limits,
    SandboxSession,
    confinement_note,
)
from autograder.sandbox import session as session_module
from autograder.sandbox.channel import Channel
from autograder.sandbox.processes import _processes_of
from autograder.sandbox.scratch import CHILD_MODULES
from cs231n_data.gradient_check import rel_error

# Short limits keep the attacks quick; start-up needs a few seconds on a loaded machine.
FAST = Limits(call_timeout_s=20.0, start_timeout_s=20.0, op_timeouts={})
ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(
    not ROOT, reason="the sandbox switches the child to a dedicated uid only when the grader "
                     "runs as root (as in CI)")


def svm_reference(W, X, y, reg):
    """Multiclass SVM loss and gradient, written independently of the corpus."""
    n = X.shape[0]
    scores = X @ W
    margins = scores - scores[np.arange(n), y][:, None] + 1.0
    margins[np.arange(n), y] = 0.0
    active = (margins > 0).astype(float)
    active[np.arange(n), y] = -active.sum(axis=1)
    loss = np.maximum(margins, 0).sum() / n + reg * np.sum(W * W)
    return loss, X.T @ active / n + 2 * reg * W


def softmax_reference(W, X, y, reg):
    n = X.shape[0]
    scores = X @ W
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(probs[np.arange(n), y]).mean() + reg * np.sum(W * W)
    probs[np.arange(n), y] -= 1
    return loss, X.T @ probs / n + 2 * reg * W


@pytest.fixture
def problem():
    """A small loss problem: W (20, 4), X (15, 20), y (15,)."""
    rng = np.random.default_rng(7)
    return {"W": rng.standard_normal((20, 4)) * 0.1, "X": rng.standard_normal((15, 20)),
            "y": rng.integers(0, 4, 15), "reg": 0.1}


def session(cells, spec=None, **options) -> SandboxSession:
    options.setdefault("limits", FAST)
    return SandboxSession(cells, assignment=dumps(spec or load_assignment()), **options)


def error_json(outcome) -> dict:
    """The JSON report an attack smuggles out in its exception message."""
    assert not outcome.ok
    return json.loads(outcome.error.split("RuntimeError: ", 1)[1].rsplit(" (svm.ipynb", 1)[0])


# --------------------------------------------------------------------------- correct code


def test_correct_submission_gives_the_reference_losses_and_gradients(problem):
    with session(reference_cells()) as s:
        assert s.cell_errors == {}
        for fn, reference in (("svm_loss_naive", svm_reference),
                              ("svm_loss_vectorized", svm_reference),
                              ("softmax_loss_naive", softmax_reference),
                              ("softmax_loss_vectorized", softmax_reference)):
            out = s.call("loss", fn=fn, **problem)
            assert out.ok, out.error
            loss, dW = reference(**problem)
            assert abs(out.value["loss"] - loss) < 1e-10
            assert rel_error(out.value["dW"], dW) < 1e-10
            assert out.value["mutated"] == []
            assert out.cpu_seconds is not None and out.cpu_seconds > 0


def test_mutation_is_seen_in_the_grader_s_own_memory(problem):
    """The parent compares the inputs it wrote with what is there after the call; a
    harness patched to say otherwise has nothing to say it with."""
    cells = {**reference_cells(),
             "svm_loss_naive": "def svm_loss_naive(W, X, y, reg):\n    X -= 1.0\n"
                               "    y[0] = 99\n    return 1.0, np.zeros_like(W)\n"}
    with session(cells) as s:
        out = s.call("loss", fn="svm_loss_naive", **problem)
        clean = s.call("loss", fn="svm_loss_vectorized", **problem)
    assert out.ok and out.value["mutated"] == ["X", "y"]
    assert clean.ok and clean.value["mutated"] == []
    assert problem["X"].min() > -10  # the caller's own arrays were never shared


def test_loss_calls_tell_the_naive_loop_from_the_vectorized_loss():
    rng = np.random.default_rng(0)
    W = rng.standard_normal((3073, 10)) * 1e-3
    X = rng.standard_normal((500, 3073)).astype(np.float32)
    y = rng.integers(0, 10, 500)
    with session(reference_cells()) as s:
        times = {}
        for fn in ("svm_loss_naive", "svm_loss_vectorized"):
            outs = [s.call("loss", fn=fn, W=W, X=X, y=y, reg=0.1) for _ in range(3)]
            assert all(o.ok for o in outs), [o.error for o in outs]
            times[fn] = float(np.median([o.cpu_seconds for o in outs]))
            assert abs(outs[0].value["loss"] - svm_reference(W, X.astype(float), y, 0.1)[0]) < 1e-3
    # The reference's loop is 4-11x its vectorized loss, by machine and load.
    assert times["svm_loss_naive"] > 2 * times["svm_loss_vectorized"] > 0


def test_train_and_predict_are_seeded_and_reproducible():
    rng = np.random.default_rng(3)
    centers = rng.standard_normal((3, 10)) * 3
    y = rng.integers(0, 3, 300)
    X = np.hstack([centers[y] + rng.standard_normal((300, 10)), np.ones((300, 1))])
    args = {"X": X, "y": y, "learning_rate": 1e-2, "reg": 1e-4, "num_iters": 60,
            "batch_size": 50, "seed": 11}
    with session(reference_cells()) as s:
        first = s.call("train", cls="LinearSVM", **args)
        again = s.call("train", cls="LinearSVM", **args)
        assert first.ok, first.error
        history = first.value["loss_history"]
        assert history.shape == (60,) and history[-5:].mean() < history[:5].mean()
        assert np.array_equal(first.value["W"], again.value["W"])
        pred = s.call("predict", cls="LinearSVM", W=first.value["W"], X=X)
        assert pred.ok and (pred.value["y_pred"] == y).mean() > 0.9
        soft = s.call("train", cls="Softmax", **args)
        assert soft.ok and soft.value["W"].shape == (11, 3)


def test_saved_weights_are_read_without_pickles(tmp_path):
    good = tmp_path / "svm_best.npz"
    np.savez(good, W=np.ones((3073, 10)), learning_rate=np.array(1e-7), reg=np.array(2.5e4),
             num_iters=np.array(1500), batch_size=np.array(200), val_accuracy=np.array(0.39))
    bad = tmp_path / "softmax_best.npz"
    np.savez(bad, W=np.array([{"a": 1}], dtype=object), learning_rate=1, reg=1, num_iters=1,
             batch_size=1)
    with session(reference_cells(), model_files={"svm_best.npz": good,
                                                 "softmax_best.npz": bad}) as s:
        out = s.call("saved_weights", name="svm_best.npz")
        assert out.ok, out.error
        assert out.value["W"].shape == (3073, 10)
        assert out.value["learning_rate"] == 1e-7 and out.value["num_iters"] == 1500
        out = s.call("saved_weights", name="softmax_best.npz")
        assert not out.ok and "softmax_best.npz cannot be read" in out.error
    with session(reference_cells()) as s:
        out = s.call("saved_weights", name="svm_best.npz")
        assert not out.ok and "svm_best.npz is not in the submission" in out.error


def test_private_helpers_make_owner_only_files(tmp_path):
    folder = private_dir(tmp_path / "store")
    secret = write_private(folder / "grades.db", "scores")
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600


@needs_root
def test_isolation_in_effect_as_root():
    with session(reference_cells()) as s:
        iso = s.isolation
    assert iso.dedicated_uid and iso.uid != 0
    assert iso.netns and iso.mountns and iso.pidns and iso.ipcns and iso.seccomp
    # An allow-list: Python, the system libraries and its own folders, nothing of the kit.
    assert "/usr" in iso.root and "/sandbox/work" in iso.root
    assert not any(p.endswith(("/autograder", "/tests", "/source")) or p == "/tmp"
                   for p in iso.root)
    assert iso.hidden == () and confinement_note(iso) == ""


IMPORTS_CELL = """
import importlib


def svm_loss_naive(W, X, y, reg):
    found = {}
    for name in MODULES:
        try:
            importlib.import_module(name)
            found[name] = "imported"
        except BaseException as exc:
            found[name] = type(exc).__name__
    raise RuntimeError("FOUND" + json.dumps(found) + "FOUND")
"""


@needs_root
@pytest.mark.parametrize(("assignment", "modules"), [
    ("linear", {"numpy": "imported", "numpy.linalg": "imported", "statistics": "imported",
                "torch": "ModuleNotFoundError", "matplotlib": "ModuleNotFoundError",
                "pytest": "ModuleNotFoundError", "nbgrader": "ModuleNotFoundError",
                "autograder": "ModuleNotFoundError", "cs231n_data": "ModuleNotFoundError"}),
    ("linear_torch", {"numpy": "imported", "torch": "imported", "sympy": "imported",
                      "matplotlib": "ModuleNotFoundError", "nbgrader": "ModuleNotFoundError",
                      "autograder": "ModuleNotFoundError"}),
])
def test_student_code_imports_only_the_distributions_its_assignment_lists(assignment, modules):
    """The child's root holds the interpreter, its standard library and the assignment's
    child_distributions with their dependencies: nothing else installed beside them."""
    spec = load_assignment(assignment)
    cell = f"import json\nMODULES = {sorted(modules)!r}\n{IMPORTS_CELL}"
    zeros = {"W": np.zeros((2, 2)), "X": np.zeros((1, 2)), "y": np.zeros(1, dtype=np.int64)}
    with session({"svm_loss_naive": cell}, spec=spec) as s:
        out = s.call("loss", fn="svm_loss_naive", reg=0.0, **zeros)
        root = {os.path.basename(p) for p in s.isolation.root}
    found = json.loads(out.error.split("FOUND")[1])
    assert found == modules
    assert "numpy" in root and not root & {"matplotlib", "pytest", "autograder"}


@needs_root
def test_the_kit_inside_a_shown_folder_is_hidden_all_but_the_way_down(monkeypatch):
    """A checkout that lies inside a folder the child's root shows whole (a kit cloned
    under /usr, its venv inside it): the kit's files are masked, the venv stays."""
    folder = Path(tempfile.mkdtemp(prefix="autograder-shown-", dir="/tmp"))
    try:
        os.chmod(folder, 0o755)
        kit, venv = folder / "kit", folder / "kit" / "venv"
        (kit / "autograder").mkdir(parents=True)
        venv.mkdir()
        (kit / "autograder" / "checks.py").write_text("SECRET CHECKS")
        (kit / "notes.txt").write_text("SECRET NOTES")
        (venv / "keep.txt").write_text("KEEP")
        for path in (kit, kit / "autograder", venv):
            os.chmod(path, 0o755)
        plan = session_module.child_python(load_assignment().child_distributions)
        monkeypatch.setattr(session_module, "child_python", lambda _: dataclasses.replace(
            plan, show=(*plan.show, str(folder), str(venv)), hide=(str(kit),)))
        paths = [str(kit / "autograder" / "checks.py"), str(kit / "notes.txt"),
                 str(venv / "keep.txt")]
        X = np.frombuffer("\n".join(paths).encode(), dtype=np.uint8).reshape(1, -1)
        with session(attack_cells("read_secrets")) as s:
            out = s.call("loss", fn="svm_loss_naive", W=np.zeros((X.shape[1], 2)), X=X,
                         y=np.zeros(1, dtype=np.int64), reg=0.0)
            hidden = s.isolation.hidden
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report = error_json(out)
    assert "SECRET" not in out.error
    assert report[paths[0]] == "failed: FileNotFoundError"
    assert report[paths[1]] == "read: "
    assert report[paths[2]] == "read: KEEP"
    assert set(hidden) == {str(kit / "autograder"), str(kit / "notes.txt")}


def test_confinement_note_names_what_did_not_hold():
    full = dict(uid=1, dedicated_uid=True, netns=True, mountns=True, pidns=True, ipcns=True,
                seccomp=True, root=(), notes=())
    assert confinement_note(Isolation(**full)) == "" and confinement_note(None) == ""
    note = confinement_note(Isolation(**{**full, "mountns": False, "netns": False}))
    assert note.startswith("Sandbox only partly in effect")
    assert "no private file system" in note and "hidden checks" in note
    assert "no network namespace" in note and "run the grader as root" in note.lower()


def _sandbox_imports(path: Path) -> set[str]:
    """The modules of autograder/sandbox/ that `path` imports (relative or absolute)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level == 1:
                found |= {module} if module else {a.name for a in node.names}
            elif module.startswith("autograder.sandbox."):
                found.add(module.split(".")[2])
            elif module.startswith("autograder"):
                found.add(module)
    return found


def test_the_parent_imports_only_the_wire_format_of_the_child_s_side():
    """The child runs copies of its own modules (the kit is not in its root): they import
    one another only, and the parent's modules import nothing of them but the wire format."""
    folder = Path(session_module.__file__).parent
    child_side = set(CHILD_MODULES)
    for path in sorted(folder.glob("*.py")):
        imported = _sandbox_imports(path)
        if path.stem in child_side:
            assert imported <= child_side, (path.name, imported - child_side)
        else:
            assert not imported & (child_side - {"wire"}), (path.name, imported & child_side)


def _missing_seccomp(monkeypatch) -> None:
    """This machine, as if the kernel refused the seccomp filter: the gap probe says so."""
    held = Isolation.gaps
    monkeypatch.setattr(Isolation, "gaps", lambda self: [*held(self), "no seccomp filter"])


def test_require_isolation_refuses_before_any_student_code_runs(monkeypatch, problem):
    requests = []
    roundtrip = Channel.roundtrip
    monkeypatch.setattr(Channel, "roundtrip", lambda self, op, *a, **k:
                        requests.append(op) or roundtrip(self, op, *a, **k))
    strict = dataclasses.replace(FAST, require_isolation=True)
    if ROOT:
        # Fully confined (root, namespaces, seccomp): the flag changes nothing.
        with session(reference_cells(), limits=strict) as s:
            assert s.call("loss", fn="svm_loss_naive", **problem).ok
        assert requests[0] == "define"
        requests.clear()
    _missing_seccomp(monkeypatch)
    partial = session(reference_cells(), limits=strict)
    with pytest.raises(IsolationRequired) as refused:
        partial.start()
    assert "no seccomp filter" in str(refused.value) and "nothing was graded" in str(refused.value)
    assert "--require-isolation" in str(refused.value)
    assert requests == []  # not one definition cell was sent to the child
    # Without the flag the same machine grades, and says what did not hold.
    with session(reference_cells()) as s:
        assert s.call("loss", fn="svm_loss_naive", **problem).ok
        assert "no seccomp filter" in s.confinement


def test_batch_and_grade_with_require_isolation_refuse_up_front(monkeypatch, tmp_path, capsys):
    from submissions import write_submission

    from autograder import cli
    from autograder.release import ASSIGNMENT

    _missing_seccomp(monkeypatch)
    submitted = tmp_path / "submitted"
    write_submission(submitted / "alice" / ASSIGNMENT, reference_cells(), {})
    store = tmp_path / "grades.sqlite"
    code = cli.main(["batch", str(submitted), "--require-isolation", "--store", str(store),
                     "--workers", "1"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("error:") == 1 and "no seccomp filter" in err and "nothing was graded" in err
    assert not store.exists()  # no submission graded, not even a store opened
    code = cli.main(["grade", str(submitted / "alice" / ASSIGNMENT), "--require-isolation"])
    err = capsys.readouterr().err
    assert code == 1 and "no seccomp filter" in err and "preparing CIFAR-10" not in err


@needs_root
def test_a_grader_without_root_says_so_and_still_hides_the_kit(tmp_path):
    """The grader run by an ordinary user: the child cannot take a uid of its own, which
    the session's confinement says; the user namespace still keeps the kit out."""
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("no setpriv to run the grader as an ordinary user")
    # A venv the user can run: the system's python3 with this checkout and its
    # environment's distributions on its path.
    folder = Path(tempfile.mkdtemp(prefix="autograder-nobody-", dir="/tmp"))
    try:
        os.chmod(folder, 0o755)
        made = subprocess.run(["/usr/bin/python3", "-m", "venv", "--without-pip",
                               str(folder / "venv")], capture_output=True, check=False)
        site = sorted((folder / "venv" / "lib").glob("python3*/site-packages"))
        if made.returncode != 0 or not site or not _reachable(sysconfig.get_paths()["purelib"]):
            pytest.skip("no system python3 venv an ordinary user can run the kit with")
        (site[0] / "kit.pth").write_text(f"{sysconfig.get_paths()['purelib']}\n{CHECKOUT}\n")
        script = (f"import sys; sys.path.insert(0, {str(CHECKOUT / 'tests')!r})\n" + NOBODY)
        done = subprocess.run(
            [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups",
             str(folder / "venv" / "bin" / "python"), "-c", script],
            cwd=folder, env={"PATH": "/usr/bin:/bin", "HOME": str(folder), "TMPDIR": "/tmp"},
            capture_output=True, text=True, timeout=120, check=False)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if "ModuleNotFoundError" in done.stderr or "Permission denied" in done.stderr:
        pytest.skip(f"the checkout is not readable by an ordinary user: {done.stderr[-300:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "student code ran as the grader's own user" in report["confinement"]
    # Honest code keeps its points; the weakened sandbox is said in every result.
    assert report["graded"] == report["confinement"] and report["score"] > 0
    assert report["confinement"] in report["results"]
    assert f"warning: {report['confinement']}" in report["table"]
    assert 'id="confinement">Sandbox only partly in effect' in report["page"]
    if report["mountns"]:
        assert report["read"] == "FileNotFoundError"


# Run as an ordinary user: a session's confinement, and whether the kit can be read.
NOBODY = """
import json
import numpy as np
from corpus_cells import attack_cells
from autograder.assignment import dumps, load
from autograder.sandbox import SandboxSession
import autograder.assignments.linear as kit

path = kit.__path__[0] + "/rubric.toml"
X = np.frombuffer(path.encode(), dtype=np.uint8).reshape(1, -1)
with SandboxSession(attack_cells("read_secrets"), assignment=dumps(load())) as s:
    out = s.call("loss", fn="svm_loss_naive", W=np.zeros((X.shape[1], 2)), X=X,
                 y=np.zeros(1, dtype=np.int64), reg=0.0)
    report = json.loads(out.error.split("RuntimeError: ", 1)[1].rsplit(" (svm.ipynb", 1)[0])

# The same machine grading a whole submission: the note reaches the result, results.json,
# the student's feedback page and the batch summary a TA reads.
import os, tempfile
from pathlib import Path
from corpus_cells import entry_cells
from submissions import write_submission
from autograder.batch import Attempt, BatchRun, Found, format_table
from autograder.grade import grade_submission
from autograder.report import student_page
from autograder.store import GRADED, GradeStore
base = Path(tempfile.mkdtemp())
os.environ["AUTOGRADER_SECRET_FILE"] = str(base / "secret")
graded = grade_submission(write_submission(base / "alice", entry_cells("correct")),
                          targets=["svm_loss_naive"])
with GradeStore(base / "grades.sqlite") as store:
    store.record(graded, rubric_hash="rubric")
    table = format_table(BatchRun(attempts=[Attempt(Found("alice", base / "alice", None),
                                                    "", GRADED)]), store)
    page = student_page(store.records()[0])
print(json.dumps({"confinement": s.confinement, "mountns": s.isolation.mountns,
                  "read": report[path].split(": ")[-1], "graded": graded.confinement,
                  "score": graded.score, "results": graded.to_gradescope()["output"],
                  "table": table, "page": page}))
"""


def _reachable(folder: str) -> bool:
    path = Path(folder).resolve()
    return all(os.stat(p).st_mode & 0o005 == 0o005 for p in (path, *path.parents))


# --------------------------------------------------------------------------- student mistakes


@pytest.mark.parametrize(("body", "message"), [
    ("return 'a lot', W", "the loss from svm_loss_naive is a str, expected a float"),
    ("return (1.0,)", "svm_loss_naive returned a tuple of 1 items, expected (loss, dW)"),
    ("return None", "svm_loss_naive returned None, expected (loss, dW)"),
    ("return 1.0, 'dW'", "is a str, expected a numpy array"),
    ("raise NotImplementedError('write svm_loss_naive')",
     "svm_loss_naive raised NotImplementedError: write svm_loss_naive (svm.ipynb, cell "
     "svm_loss_naive, line 3)"),
])
def test_wrong_returns_are_explained(problem, body, message):
    cells = {**reference_cells(),
             "svm_loss_naive": f"def svm_loss_naive(W, X, y, reg):\n    x = 1\n    {body}\n"}
    with session(cells) as s:
        out = s.call("loss", fn="svm_loss_naive", **problem)
    assert not out.ok
    assert message in out.error


def test_numpy_scalars_and_0d_arrays_count_as_floats(problem):
    cells = {**reference_cells(),
             "svm_loss_naive": "def svm_loss_naive(W, X, y, reg):\n"
                               "    return np.array(2.0), np.zeros_like(W)\n",
             "svm_loss_vectorized": "def svm_loss_vectorized(W, X, y, reg):\n"
                                    "    return np.float32(3.0), np.zeros(W.shape, np.float32)\n"}
    with session(cells) as s:
        assert s.call("loss", fn="svm_loss_naive", **problem).value["loss"] == 2.0
        out = s.call("loss", fn="svm_loss_vectorized", **problem)
        assert out.value["loss"] == 3.0 and out.value["dW"].dtype == np.float32


def test_cell_errors_at_definition_name_the_cell(problem):
    cells = {**reference_cells(),
             "svm_loss_naive": "def svm_loss_naive(W, X, y, reg):\n    return 0.0, W\n"
                               "print(undefined_name)\n",
             "linear_classifier": "LinearClassifier = 3\n"}
    with session(cells) as s:
        assert "NameError: name 'undefined_name' is not defined (svm.ipynb, cell " \
               "svm_loss_naive, line 3)" in s.cell_errors["svm_loss_naive"]
        # Defined before the error: still callable, as in the notebook.
        assert s.call("loss", fn="svm_loss_naive", **problem).ok
        out = s.call("train", cls="LinearSVM", X=problem["X"], y=problem["y"],
                     learning_rate=1e-3, reg=0.0, num_iters=2, batch_size=5, seed=0)
        assert not out.ok and "LinearClassifier must stay a class" in out.error


def test_missing_cells_are_reported_per_target(problem):
    cells = reference_cells()
    del cells["softmax_loss_vectorized"]
    with session(cells) as s:
        out = s.call("loss", fn="softmax_loss_vectorized", **problem)
        assert not out.ok and "the cell `softmax_loss_vectorized` of softmax.ipynb is " \
                              "missing" in out.error
        out = s.call("train", cls="Softmax", X=problem["X"], y=problem["y"],
                     learning_rate=1e-3, reg=0.0, num_iters=2, batch_size=5, seed=0)
        assert not out.ok
        assert "Softmax cannot train, since its loss uses softmax_loss_vectorized" in out.error
        assert s.call("loss", fn="softmax_loss_naive", **problem).ok


def test_read_only_subclasses_come_from_the_grader_not_the_submission(problem):
    cheat = reference_cells()["linear_classifier"] + (
        "\n\nclass LinearSVM(LinearClassifier):\n"
        "    def loss(self, X_batch, y_batch, reg):\n"
        "        return 0.0, np.zeros_like(self.W)\n")
    with session({**reference_cells(), "linear_classifier": cheat}) as s:
        out = s.call("train", cls="LinearSVM", X=problem["X"], y=problem["y"],
                     learning_rate=1e-3, reg=0.1, num_iters=3, batch_size=5, seed=0)
    assert out.ok and out.value["loss_history"].min() > 0.5


# --------------------------------------------------------------------------- hostile code


def test_monkeypatched_numpy_does_not_reach_the_grader(problem):
    with session(attack_cells("monkeypatch_numpy")) as s:
        out = s.call("loss", fn="svm_loss_vectorized", **problem)
        naive = s.call("loss", fn="svm_loss_naive", **problem)
    assert out.ok and out.value["loss"] == 0.0
    true_loss, true_dW = svm_reference(**problem)
    assert not np.allclose(out.value["loss"], true_loss)
    assert rel_error(out.value["dW"], true_dW) == 1.0
    assert np.linalg.norm(np.ones(4)) == 2.0 and abs(-1) == 1
    # The naive loss, run in the patched child, is still computed correctly.
    assert abs(naive.value["loss"] - true_loss) < 1e-10


def test_frozen_clocks_do_not_fake_the_timing():
    W, X, y = np.zeros((5, 3)), np.ones((4, 5)), np.zeros(4, dtype=np.int64)
    with session(attack_cells("patch_timers")) as s:
        out = s.call("loss", fn="svm_loss_vectorized", W=W, X=X, y=y, reg=0.0)
    assert out.ok
    assert out.cpu_seconds >= 0.25


def test_a_forged_harness_cannot_return_the_right_loss(problem):
    with session(attack_cells("forge_harness")) as s:
        out = s.call("loss", fn="svm_loss_vectorized", **problem)
    # The forged reply is fast but wrong: checks compare each timed call's loss with the oracle.
    assert out.ok and out.value["loss"] == 0.0
    assert abs(svm_reference(**problem)[0] - out.value["loss"]) > 1.0


@needs_root
def test_grader_files_and_other_sessions_stay_unreadable(tmp_path):
    planted = Path(f"/tmp/autograder-planted-{os.getpid()}")
    planted.mkdir(mode=0o755, exist_ok=True)
    try:
        secret = write_private(planted / "secret.txt", "TOP-SECRET-ANSWERS")
        other_npz = tmp_path / "svm_best.npz"
        np.savez(other_npz, W=np.full((2, 2), 42.0))
        with session(reference_cells(), model_files={"svm_best.npz": other_npz}) as other:
            other.start()
            other_copy = other._scratch / "submission" / "svm_best.npz"
            paths = f"{secret}\n{other_copy}\n{other_npz}"
            X = np.frombuffer(paths.encode(), dtype=np.uint8).reshape(1, -1)
            with session(attack_cells("read_secrets")) as s:
                out = s.call("loss", fn="svm_loss_naive", W=np.zeros((X.shape[1], 2)), X=X,
                             y=np.zeros(1, dtype=np.int64), reg=0.0)
    finally:
        (planted / "secret.txt").unlink(missing_ok=True)
        planted.rmdir()
    report = error_json(out)
    assert "TOP-SECRET" not in out.error
    # Not refused: not there. The child's file system holds none of the host's folders.
    assert report[str(secret)] == "failed: FileNotFoundError"
    assert report[str(other_copy)] == "failed: FileNotFoundError"
    assert report[str(other_npz)].startswith("failed")
    stolen = [p for p, result in report.items() if result.startswith("read")]
    assert stolen == []


def test_kit_sources_are_hidden_from_the_child(problem):
    X = np.frombuffer(b"/nonexistent", dtype=np.uint8).reshape(1, -1)
    with session(attack_cells("read_secrets")) as s:
        if not s.isolation.mountns:
            pytest.skip(f"no mount namespace here: {s.isolation.notes}")
        out = s.call("loss", fn="svm_loss_naive", W=np.zeros((X.shape[1], 2)), X=X,
                     y=np.zeros(1, dtype=np.int64), reg=0.0)
    report = error_json(out)
    kit = {p: r for p, r in report.items() if "/autograder/" in p or "/tests/" in p
           or "/source/" in p or "/.git/" in p}
    assert kit and all(r == "failed: FileNotFoundError" for r in kit.values()), kit


def test_hidden_folders_cannot_be_uncovered(problem):
    with session(attack_cells("unmount_hidden")) as s:
        if not s.isolation.mountns:
            pytest.skip(f"no mount namespace here: {s.isolation.notes}")
        out = s.call("loss", fn="svm_loss_naive", **problem)
    steps = out.error.split("RuntimeError: ", 1)[1]
    assert "umount: Operation not permitted" in steps
    assert "read" not in steps and steps.count("FileNotFoundError") == 2
    assert "bind the checkout: done" not in steps


def test_the_child_sees_no_cifar10_at_all(tmp_path, monkeypatch):
    """The grader trains and scores on CIFAR-10 in the parent: no split of it, prepared or
    raw, and no path to one reaches the child (the attack tries its own /sandbox, a data
    folder the harness might name, the grader's prepared training split and the raw set)."""
    raw = tmp_path / "cifar-10-batches-py"
    raw.mkdir()
    (raw / "test_batch").write_text("LABELS-OF-THE-TEST-SET")
    os.chmod(raw / "test_batch", 0o644)
    monkeypatch.setenv("CIFAR10_DIR", str(raw))
    data = {"X_train": np.full((4, 3), 7.0, np.float32), "y_train": np.arange(4)}
    prepared = tmp_path / "train"
    prepare_training_data(data, prepared)
    targets = [str(raw / "test_batch"), str(prepared / "X_train.npy")]
    X = np.frombuffer("\n".join(targets).encode(), dtype=np.uint8).reshape(1, -1)
    with session(attack_cells("steal_labels")) as s:
        if not s.isolation.mountns:
            pytest.skip(f"no mount namespace here: {s.isolation.notes}")
        out = s.call("loss", fn="svm_loss_naive", W=np.zeros((X.shape[1], 2)), X=X,
                     y=np.zeros(1, dtype=np.int64), reg=0.0)
    report = error_json(out)
    assert "LABELS" not in out.error
    assert report["env"] == [] and report["config"] == []
    # Its own folders only: the working folder and the submission's files.
    assert report["/sandbox"] == ["submission", "work"]
    for path in (*targets, "/sandbox/data/X_train.npy", "/sandbox/data/y_train.npy",
                 "/sandbox/data/y_test.npy"):
        assert report[path] == "failed: FileNotFoundError", path


def test_a_session_takes_no_data_folder(tmp_path):
    with pytest.raises(TypeError, match="data_dir"):
        SandboxSession(reference_cells(), assignment=dumps(load_assignment()),
                       data_dir=tmp_path)


def test_no_network_not_even_localhost():
    received = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    done = threading.Event()

    def accept():
        # The attack connects, if it can, before its call returns.
        while not done.is_set():
            try:
                conn, _ = listener.accept()
                received.append(conn.recv(100))
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    port = listener.getsockname()[1]
    try:
        with session(attack_cells("network")) as s:
            if not s.isolation.netns:
                pytest.skip(f"no network namespace here: {s.isolation.notes}")
            out = s.call("loss", fn="svm_loss_naive", W=np.zeros((2, 2)), X=np.zeros((1, 2)),
                         y=np.zeros(1, dtype=np.int64), reg=float(port))
    finally:
        done.set()
        thread.join()
        listener.close()
    assert received == []
    assert not out.ok and "sent" not in out.error
    assert "Network is unreachable" in out.error


def test_fork_bomb_cannot_fork_spawn_or_thread(problem):
    with session(attack_cells("fork_bomb")) as s:
        out = s.call("loss", fn="svm_loss_naive", **problem)
        uid = s.isolation.uid
        assert s.call("loss", fn="svm_loss_vectorized", **problem).ok
    assert "forked 0, failed 200" in out.error
    assert "subprocess: BlockingIOError" in out.error
    assert "thread: RuntimeError: can't start new thread" in out.error
    if ROOT:
        assert _processes_of(uid) == []


def test_endless_loop_times_out_and_the_next_call_gets_a_fresh_child(problem):
    with session(attack_cells("infinite_loop")) as s:
        first_pid = s.pid
        out = s.call("loss", fn="svm_loss_naive", timeout_s=1.0, **problem)
        assert not out.ok
        assert out.error.startswith("timeout after 1 s: svm_loss_naive did not finish")
        after = s.call("loss", fn="svm_loss_vectorized", **problem)
        assert after.ok, after.error
        assert s.pid != first_pid and s.restarts == 1


def test_ignored_signals_do_not_stop_the_timeout(problem):
    with session(attack_cells("signals")) as s:
        out = s.call("loss", fn="svm_loss_naive", timeout_s=1.5, **problem)
        assert not out.ok and out.error.startswith("timeout after 1.5 s")
        assert s.call("loss", fn="svm_loss_vectorized", **problem).ok


def test_memory_bombs_hit_the_memory_limit(problem):
    with session(attack_cells("memory_bomb")) as s:
        at_once = s.call("loss", fn="svm_loss_naive", **problem)
        step_by_step = s.call("loss", fn="softmax_loss_naive", **problem)
        assert s.call("loss", fn="svm_loss_vectorized", **problem).ok
    for out in (at_once, step_by_step):
        assert not out.ok
        assert "ran out of memory (MemoryError; the memory limit is 4.0 GiB" in out.error


def test_exits_and_crashes_inside_a_call_cost_only_that_call(problem):
    with session(attack_cells("exit_in_loss")) as s:
        exited = s.call("loss", fn="svm_loss_naive", **problem)
        crashed = s.call("loss", fn="softmax_loss_naive", **problem)
        fine = s.call("loss", fn="softmax_loss_vectorized", **problem)
    assert exited.error == ("the grader's process exited (status 0) during svm_loss_naive: "
                            "the code called os._exit() or closed the grader's pipe")
    assert crashed.error == ("the grader's process crashed (SIGSEGV, segmentation fault) "
                             "during softmax_loss_naive")
    assert fine.ok


def test_exits_while_defining_cost_only_their_cells(problem):
    with session(attack_cells("exit_at_definition")) as s:
        assert "called sys.exit(3)" in s.cell_errors["svm_loss_naive"]
        assert s.cell_errors["softmax_loss_naive"] == (
            "the cell `softmax_loss_naive` of softmax.ipynb could not be run (the grader's "
            "process exited (status 1) during the cell `softmax_loss_naive`: the code called "
            "os._exit() or closed the grader's pipe)")
        out = s.call("loss", fn="softmax_loss_naive", **problem)
        assert not out.ok and out.error.startswith(
            "softmax_loss_naive cannot be run: the cell `softmax_loss_naive` of softmax.ipynb "
            "could not be run")
        out = s.call("loss", fn="svm_loss_naive", **problem)
        assert not out.ok and "called sys.exit(3)" in out.error
        for fn in ("svm_loss_vectorized", "softmax_loss_vectorized"):
            assert s.call("loss", fn=fn, **problem).ok


def test_a_cell_that_hangs_while_defining_costs_only_its_targets(problem):
    cells = {**reference_cells(), "softmax_loss_vectorized": "while True:\n    pass\n"}
    with session(cells, limits=Limits(start_timeout_s=1.0)) as s:
        assert "timeout after 1 s: the cell `softmax_loss_vectorized` did not finish" in \
            s.cell_errors["softmax_loss_vectorized"]
        out = s.call("loss", fn="softmax_loss_vectorized", **problem)
        assert not out.ok and "could not be run (timeout after 1 s" in out.error
        assert s.call("loss", fn="softmax_loss_naive", **problem).ok


def test_a_1gb_file_stops_at_the_file_size_limit(problem):
    with session(attack_cells("huge_file")) as s:
        out = s.call("loss", fn="svm_loss_naive", **problem)
        private_root = s.isolation.mountns
    assert "big.bin: stopped after 16777216 bytes: File too large" in out.error
    if private_root:  # its /tmp is an empty read-only folder of its own
        assert "/tmp/autograder-hostile-big.bin: stopped after 0 bytes: Read-only" in out.error
        assert not Path("/tmp/autograder-hostile-big.bin").exists()
    else:
        assert "/tmp/autograder-hostile-big.bin: stopped after 16777216 bytes" in out.error
        Path("/tmp/autograder-hostile-big.bin").unlink()


@pytest.mark.parametrize("fn", ["svm_loss_naive", "softmax_loss_naive", "svm_loss_vectorized"])
def test_garbage_on_the_protocol_pipe_is_an_error_not_a_crash(problem, fn):
    with session(attack_cells("protocol_garbage")) as s:
        out = s.call("loss", fn=fn, **problem)
        assert not out.ok
        assert "student code must not write to the grader's pipes" in out.error
        assert s.call("loss", fn="softmax_loss_vectorized", **problem).ok


def test_printing_100mb_is_harmless(problem):
    with session(attack_cells("print_flood")) as s:
        out = s.call("loss", fn="svm_loss_vectorized", **problem)
        tail = s.output_tail
    assert out.ok, out.error
    assert abs(out.value["loss"] - svm_reference(**problem)[0]) < 1e-10
    assert 0 < len(tail) <= FAST.output_bytes and "spam" in tail


@needs_root
def test_the_child_cannot_kill_the_grader(problem):
    with session(attack_cells("kill_parent")) as s:
        assert s.isolation.dedicated_uid and s.isolation.pidns
        out = s.call("loss", fn="svm_loss_naive", **problem)
        after = s.call("loss", fn="svm_loss_vectorized", **problem)
    # Alone in its PID namespace: its parent is pid 0 there, pid 1 is itself (the init,
    # which ignores signals it sends itself), and no other process exists to be found.
    assert "getppid 0" in out.error and "other processes 0" in out.error
    assert after.ok and s.restarts == 0


def test_background_threads_cannot_start_and_kept_inputs_only_hurt_their_keeper(problem):
    with session(attack_cells("background_thread")) as s:
        out = s.call("loss", fn="svm_loss_naive", **problem)
        assert not out.ok and "can't start new thread" in out.error
        first = s.call("loss", fn="svm_loss_vectorized", **problem)
        second = s.call("loss", fn="svm_loss_vectorized", **problem)
    loss, dW = svm_reference(**problem)
    assert first.ok and abs(first.value["loss"] - loss) < 1e-10
    assert rel_error(first.value["dW"], dW) < 1e-10 and first.value["mutated"] == []
    # Arrays kept from the first call lie in the memory of the second call's inputs:
    # zeroing them is modifying its own inputs, which the grader sees, and which spoils
    # only this call's answer.
    assert second.value["mutated"] == ["W", "X"]
    assert abs(second.value["loss"] - loss) > 0.1
    assert np.any(problem["X"] != 0)


def test_weird_return_values_are_converted_or_refused_in_the_child(problem):
    with session(attack_cells("weird_returns")) as s:
        subclass = s.call("loss", fn="svm_loss_naive", **problem)
        objects = s.call("loss", fn="svm_loss_vectorized", **problem)
        huge = s.call("loss", fn="softmax_loss_naive", **problem)
        if s.isolation.dedicated_uid:
            lazy = s.call("loss", fn="softmax_loss_vectorized", **problem)
            assert lazy.ok and lazy.value["loss"] == 2.5
    assert subclass.ok and type(subclass.value["dW"]) is np.ndarray
    assert subclass.value["loss"] == 1.5
    assert "has dtype object, expected a numeric array" in objects.error
    assert "has shape (10000000, 10000000)" in huge.error and "too large" in huge.error


def test_one_submissions_crash_does_not_touch_the_next(problem):
    with session(attack_cells("exit_in_loss")) as bad:
        assert not bad.call("loss", fn="svm_loss_naive", **problem).ok
        with session(reference_cells()) as good:
            out = good.call("loss", fn="svm_loss_naive", **problem)
            assert good.restarts == 0
    assert out.ok and abs(out.value["loss"] - svm_reference(**problem)[0]) < 1e-10
    with session(reference_cells()) as after:
        assert after.call("loss", fn="svm_loss_naive", **problem).ok


@pytest.mark.skipif(os.geteuid() != 0, reason="the child runs as its own uid only as root")
def test_a_private_tmpdir_does_not_stop_the_child(problem, tmp_path, monkeypatch):
    """pytest's tmp_path (0700) as TMPDIR: the sandbox's uid could not reach a scratch
    folder there, so the session makes it where it can (/tmp) and grades as usual."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    monkeypatch.setattr("tempfile.tempdir", str(private))
    with session(reference_cells()) as s:
        assert s.call("loss", fn="svm_loss_naive", **problem).ok
    assert not any(private.iterdir())
