"""Gradescope: an autograder bundle that runs this grader, sandbox and all, on Gradescope.

    python -m autograder gradescope --assignment linear --out autograder.zip

The zip holds what Gradescope's autograder image expects at its root:

- `setup.sh`: installs the kit from the bundled source with its pinned dependencies
  (torch 2.13.0, CPU build), downloads CIFAR-10 from its official URL with the MD5 check
  into /autograder/data, and makes the grader's secret (which keys the hidden inputs);
- `run_autograder`: grades /autograder/submission with the same sandbox as `grade`
  (Gradescope runs it as root, so student code runs under its own uid, in its own
  namespaces) and writes /autograder/results/results.json;
- `source/`: the kit (pyproject.toml, autograder/, cs231n_data/, the README).

`results.json` follows Gradescope's specification: `score`, `execution_time`, `output`,
`stdout_visibility`, `tests` (name, score, max_score, status, output, output_format,
visibility) and a `leaderboard` of the CIFAR-10 accuracies. `run` is what
`run_autograder` calls; `AUTOGRADER_ROOT` moves the /autograder tree (for tests).
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
import zipfile
from pathlib import Path

from autograder.assignment import DEFAULT as DEFAULT_ASSIGNMENT
from autograder.assignment import load as load_assignment
from autograder.assignment import names as assignment_names
from autograder.release import ROOT
from autograder.result import GradeResult

ASSIGNMENTS = tuple(assignment_names())
SOURCE_FILES = ("pyproject.toml", "README.md")
SOURCE_PACKAGES = ("autograder", "cs231n_data")
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"

SETUP_SH = f"""#!/usr/bin/env bash
# Gradescope runs this once, as root, when the autograder image is built.
set -euo pipefail
cd /autograder/source
if ! command -v python3 >/dev/null || ! python3 -m pip --version >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \\
        python3 python3-pip python3-venv >/dev/null
fi
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
# The CPU build of the pinned torch, not the multi-GB CUDA one.
/autograder/venv/bin/python -m pip install --quiet --extra-index-url {TORCH_INDEX} .
# CIFAR-10 from its official URL, MD5-checked (cs231n_data.download).
/autograder/venv/bin/python -m cs231n_data.download --dest /autograder/data
# The grader's secret: it keys the hidden inputs and never reaches student code.
mkdir -p -m 700 /autograder/secret
head -c 32 /dev/urandom > /autograder/secret/key
chmod 600 /autograder/secret/key
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for every submission, as root.
set -uo pipefail
root=${AUTOGRADER_ROOT:-/autograder}
python=${PYTHON:-$root/venv/bin/python}
export CIFAR10_DIR=${CIFAR10_DIR:-$root/data/cifar-10-batches-py}
export AUTOGRADER_SECRET_FILE=${AUTOGRADER_SECRET_FILE:-$root/secret/key}
mkdir -p "$root/results"
cd "$root"
exec "$python" -m autograder gradescope-run --root "$root" --assignment {assignment}
"""


def build_bundle(out: Path, assignment: str = DEFAULT_ASSIGNMENT) -> Path:
    """Write the Gradescope autograder zip for `assignment` to `out`."""
    if assignment not in ASSIGNMENTS:
        raise ValueError(f"unknown assignment {assignment!r}; known: {', '.join(ASSIGNMENTS)}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for name, text in (("setup.sh", SETUP_SH), ("run_autograder",
                                              RUN_AUTOGRADER.replace("{assignment}", assignment))):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            bundle.writestr(info, text)
        for name in SOURCE_FILES:
            bundle.write(ROOT / name, f"source/{name}")
        for package in SOURCE_PACKAGES:
            for path in sorted((ROOT / package).rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts \
                        and path.suffix in (".py", ".toml", ".html"):
                    bundle.write(path, f"source/{path.relative_to(ROOT)}")
    return out


def results_document(result: GradeResult) -> dict:
    """Gradescope's results.json for one graded submission, with a leaderboard column for
    each check that names one (the value it measured)."""
    doc = result.to_gradescope()
    doc["stdout_visibility"] = "hidden"
    for test, source in zip(doc["tests"], result.tests, strict=True):
        test["status"] = "passed" if source["score"] >= source["max_score"] else "failed"
        test["output_format"] = "text"
    doc["leaderboard"] = [{"name": t["leaderboard"], "value": round(t["value"], 4)}
                          for t in result.tests
                          if t.get("leaderboard") and t.get("value") is not None]
    return doc


def _write(path: Path, doc: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def run(root: Path, assignment: str = DEFAULT_ASSIGNMENT) -> int:
    """Grade root/submission, a submission of `assignment`, into root/results/results.json
    (what run_autograder does)."""
    from autograder import grade
    from autograder import rubric as rubric_module

    started = time.monotonic()
    results = root / "results" / "results.json"
    try:
        spec = load_assignment(assignment)
        rubric = rubric_module.load(spec=spec)
        with grade.GradingData(rubric=rubric, spec=spec) as data:
            result = grade.grade_submission(root / "submission", data=data, rubric=rubric,
                                            spec=spec)
    except (grade.GradingError, rubric_module.RubricError) as exc:
        # The instructor's problem: the student sees that grading did not happen.
        _write(results, {"score": 0.0, "execution_time": round(time.monotonic() - started, 2),
                         "output": "The autograder could not run (it is being fixed; your "
                                   "submission will be graded again).",
                         "stdout_visibility": "visible", "tests": []})
        print(f"error: {exc}", file=sys.stderr)
        return 1
    _write(results, results_document(result))
    print(grade.format_table(result))
    return 0
