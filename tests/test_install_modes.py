"""The kit stays out of the sandbox's child in every install mode the README documents.

Each mode is a real installation of the kit, made here in a temporary folder:

- `editable`: the checkout's own environment (`pip install -e .`, the README's setup);
- `venv`: a fresh venv with the kit installed non-editable from its wheel (`pip install
  --no-deps`), its dependencies made visible by a .pth file naming the checkout
  environment's site-packages (never the kit's editable finder, which no .pth runs there);
- `gradescope`: the Gradescope bundle unpacked as /autograder is, its `source/` installed
  non-editable into a venv made by the system's python3 (setup.sh's steps, offline: the
  dependencies as above), with the system's dist-packages under /usr beside it;
- `conda`: a prefix laid out as a conda env is (bin/python3.11, lib/python3.11 with
  site-packages inside the standard library's folder, no venv), the kit installed
  non-editable into that site-packages.

In each, a submission's code probes the child: `import autograder` (and the oracle) must
fail, the kit's distribution must be unknown, and no file of the kit (its hidden checks,
oracle, inputs, reference, rubric, assignment.toml) may be readable, at the paths where
that mode installed them (the probe first checks they exist there). Then the grader of that
mode grades three submissions without CIFAR-10: the reference solution keeps every point,
and tests/corpus/hostile/import_kit_oracle (losses that import or run the kit's oracle and
reference) scores exactly what the same submission with the losses left as stubs scores.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from corpus_cells import ROOT, entry_cells, reference_cells
from submissions import write_submission

from autograder.gradescope import build_bundle

MODES = ("editable", "venv", "gradescope", "conda")
# The kit's files a submission must never read, relative to the `autograder` package.
KIT_FILES = ("checks.py", "assignments/linear/checks.py", "assignments/linear/oracle.py",
             "assignments/linear/inputs.py", "assignments/linear/reference.py",
             "assignments/linear/rubric.toml", "assignments/linear/assignment.toml",
             "assignments/linear/child.py")
LOSSES = ("svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive",
          "softmax_loss_vectorized")
VERSION = f"python{sys.version_info.major}.{sys.version_info.minor}"

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="the child's private root needs the grader to run as root "
                              "(or user namespaces); as in CI, run the tests as root")

# Student code: what of the kit it can import, find or read (PATHS is filled in).
PROBE_CELL = '''
import importlib
import importlib.metadata
import json
import os
import sys


def svm_loss_naive(W, X, y, reg):
    found = {}
    for name in ("autograder", "autograder.assignments.linear.oracle", "cs231n_data"):
        try:
            importlib.import_module(name)
            found[name] = "imported"
        except BaseException as exc:
            found[name] = type(exc).__name__
    try:
        importlib.metadata.distribution("linear-classifiers-kit")
        found["distribution"] = "found"
    except BaseException as exc:
        found["distribution"] = type(exc).__name__
    for path in PATHS:
        try:
            with open(path, "rb") as f:
                f.read(1)
            found[path] = "read"
        except OSError as exc:
            found[path] = type(exc).__name__
    found["listed"] = sorted(os.path.join(p, n) for p in sys.path if os.path.isdir(p)
                             for n in os.listdir(p)
                             if n.startswith(("autograder", "cs231n_data", "linear_class")))
    import numpy
    found["numpy"] = numpy.__version__
    raise RuntimeError("PROBE" + json.dumps(found) + "PROBE")
'''

# Run by the mode's own interpreter: the probe in a sandbox session of that install.
PROBE = '''
import json, sys
from pathlib import Path
import numpy as np
import autograder
from autograder.assignment import dumps, load
from autograder.sandbox import SandboxSession

kit = Path(autograder.__file__).resolve().parent
paths = [str(kit / name) for name in json.loads(sys.argv[1])]
cell = "PATHS = " + repr(paths) + "\\n" + sys.argv[2]
with SandboxSession({"svm_loss_naive": cell}, assignment=dumps(load())) as session:
    out = session.call("loss", fn="svm_loss_naive", W=np.zeros((2, 2)), X=np.zeros((1, 2)),
                       y=np.zeros(1, dtype=np.int64), reg=0.0)
    iso = session.isolation
print(json.dumps({"kit": str(kit), "exist": [p for p in paths if Path(p).is_file()],
                  "error": out.error, "root": iso.root, "mountns": iso.mountns,
                  "confinement": session.confinement}))
'''

# Run by the mode's own interpreter: grade submissions without CIFAR-10.
GRADE = '''
import json, sys
from autograder.assignment import load
from autograder.grade import grade_submission

spec = load()
targets = [t for t in spec.check_module.TARGETS if t not in spec.data_targets]
scores = {}
for name, path in json.loads(sys.argv[1]).items():
    result = grade_submission(path, targets=targets)
    scores[name] = [result.score, result.max_score]
print(json.dumps(scores))
'''


@dataclass(frozen=True)
class Install:
    """One installation of the kit: its interpreter and where the kit's package lies."""

    mode: str
    python: Path
    site: Path | None       # the folder the kit was installed into (None: editable)


def _run(python: Path, script: str, *args: str, cwd: Path) -> dict:
    """Run `script` with `python` in isolated mode (no checkout on sys.path, no
    PYTHONPATH), from `cwd`; its last line of output is JSON."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["TMPDIR"] = "/tmp"
    done = subprocess.run([str(python), "-I", "-c", script, *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _dependencies_pth(site: Path) -> None:
    """Make the checkout environment's distributions importable from `site` without its
    editable finder (a path in a .pth file is added to sys.path; its own .pth files are
    not run)."""
    (site / "kit-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")


def _pip_install(python: Path, wheel: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "--quiet", "--no-deps", "--no-index", "--root-user-action",
                           "ignore", str(wheel)], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="session")
def kit_wheel(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The Gradescope bundle unpacked (its source/ is what setup.sh installs) and the
    kit's wheel built from that source/."""
    base = tmp_path_factory.mktemp("kit-wheel")
    with zipfile.ZipFile(build_bundle(base / "autograder.zip")) as bundle:
        bundle.extractall(base / "autograder")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                           "--no-build-isolation", "--no-index", "-w", str(base / "wheel"),
                           str(base / "autograder" / "source")], capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = (base / "wheel").glob("*.whl")
    return base / "autograder", wheel


def _venv(base: Path, wheel: Path, maker: str) -> Install:
    venv = base / "venv"
    subprocess.run([maker, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)
    python = venv / "bin" / "python"
    _pip_install(python, wheel)
    site = venv / "lib" / VERSION / "site-packages"
    _dependencies_pth(site)
    return Install("venv", python, site)


def _conda_prefix(base: Path, wheel: Path) -> Install:
    """A conda env's layout, made from this interpreter: bin/python3.X and
    lib/python3.X (the standard library hard-linked) with site-packages inside it."""
    stdlib = Path(os.path.dirname(os.__file__))
    prefix = base / "conda"
    lib = prefix / "lib" / VERSION
    (prefix / "bin").mkdir(parents=True)
    try:
        shutil.copytree(stdlib, lib, copy_function=os.link,
                        ignore=lambda folder, names: ["site-packages"]
                        if Path(folder) == stdlib else [])
    except (OSError, shutil.Error) as exc:
        pytest.skip(f"cannot hard-link the standard library into {lib}: {exc}")
    (lib / "site-packages").mkdir()
    python = prefix / "bin" / VERSION
    shutil.copy2(os.path.realpath(getattr(sys, "_base_executable", sys.executable)), python)
    _pip_install(python, wheel)
    _dependencies_pth(lib / "site-packages")
    return Install("conda", python, lib / "site-packages")


@pytest.fixture(scope="session")
def installs(kit_wheel, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """mode -> a function making (once) that mode's Install."""
    bundle, wheel = kit_wheel
    made: dict[str, Install] = {}

    def editable() -> Install:
        import autograder

        if Path(autograder.__file__).resolve().parent != ROOT / "autograder":
            pytest.skip("the tests do not run from the checkout's editable install")
        return Install("editable", Path(sys.executable), None)

    def gradescope() -> Install:
        system = shutil.which("python3", path="/usr/bin")
        version = subprocess.run([system, "-c", "import sys; print(sys.version_info[:2])"],
                                 capture_output=True, text=True, check=False).stdout \
            if system else ""
        if version.strip() != str(tuple(sys.version_info[:2])):
            pytest.skip(f"no system python3 of this interpreter's version ({VERSION}) to "
                        "build the Gradescope image's venv with")
        install = _venv(bundle, wheel, system)
        return Install("gradescope", install.python, install.site)

    makers = {"editable": editable,
              "venv": lambda: _venv(tmp_path_factory.mktemp("venv"), wheel,
                                    getattr(sys, "_base_executable", sys.executable)),
              "gradescope": gradescope,
              "conda": lambda: _conda_prefix(tmp_path_factory.mktemp("conda"), wheel)}

    def get(mode: str) -> Install:
        if mode not in made:
            made[mode] = makers[mode]()
        return made[mode]

    return get


@needs_root
@pytest.mark.parametrize("mode", MODES)
def test_the_child_can_neither_import_nor_read_the_kit(mode, installs, tmp_path):
    install = installs(mode)
    report = _run(install.python, PROBE, json.dumps(KIT_FILES), PROBE_CELL, cwd=tmp_path)
    kit = Path(report["kit"])
    # The mode is what it says: the kit's package is the installed copy (or the checkout).
    assert kit == (install.site / "autograder" if install.site else ROOT / "autograder")
    assert len(report["exist"]) == len(KIT_FILES), report["exist"]
    assert report["mountns"] and report["confinement"] == ""
    found = json.loads(report["error"].split("PROBE", 2)[1])
    assert found["autograder"] == "ModuleNotFoundError"
    assert found["autograder.assignments.linear.oracle"] == "ModuleNotFoundError"
    assert found["cs231n_data"] == "ModuleNotFoundError"
    assert found["distribution"] == "PackageNotFoundError"
    assert {found[path] for path in report["exist"]} == {"FileNotFoundError"}
    assert found["listed"] == []
    # What student code needs is still there.
    assert found["numpy"]


@needs_root
@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_honest_code_keeps_every_point_and_the_kit_attack_scores_as_no_work(
        mode, installs, tmp_path):
    install = installs(mode)
    attack = entry_cells("hostile/import_kit_oracle")
    submissions = {
        "honest": reference_cells(),
        "attack": attack,
        # The same submission with its losses left as the release's stubs.
        "idle": {k: v for k, v in attack.items() if k not in LOSSES},
    }
    paths = {name: str(write_submission(tmp_path / name, cells))
             for name, cells in submissions.items()}
    scores = _run(install.python, GRADE, json.dumps(paths), cwd=tmp_path)
    honest, attack_score, idle = scores["honest"], scores["attack"], scores["idle"]
    assert honest[0] == honest[1] > 0
    assert attack_score == idle and attack_score[0] < honest[0]


@needs_root
@pytest.mark.cifar
@pytest.mark.slow
def test_the_gradescope_image_grades_the_reference_fully(installs, kit_wheel, cifar10_path,
                                                         trained_models, tmp_path):
    """run_autograder as Gradescope runs it, with the image's venv (the kit installed
    non-editable): the reference solution and its trained models get every point."""
    install = installs("gradescope")
    bundle, _ = kit_wheel
    submission = bundle / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    write_submission(submission, reference_cells(), trained_models.reference())
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(AUTOGRADER_ROOT=str(bundle), PYTHON=str(install.python),
               CIFAR10_DIR=str(cifar10_path), AUTOGRADER_SECRET_FILE=str(tmp_path / "key"),
               TMPDIR="/tmp")
    (bundle / "run_autograder").chmod(0o755)  # zipfile does not restore modes
    done = subprocess.run([str(bundle / "run_autograder")], env=env, capture_output=True,
                          text=True, timeout=1200, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    doc = json.loads((bundle / "results" / "results.json").read_text())
    assert doc["score"] == sum(t["max_score"] for t in doc["tests"]) == 100.0
