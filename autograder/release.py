"""Release: instructor source notebooks -> student notebooks (nbgrader) -> student bundle (zip).

`generate_release` runs nbgrader's own `generate_assignment` with the course configuration
at the repository root; `build_student_bundle` zips what a student needs and nothing else.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "linear"
# The student-importable modules of cs231n_data; the data set itself never goes in a bundle.
STUDENT_MODULES = ("__init__.py", "cifar10.py", "download.py", "gradient_check.py",
                   "notebook.py", "vis.py")


def nbgrader_env(db_path: Path | None = None) -> dict[str, str]:
    """Environment for running nbgrader: its own tools (alembic) must be on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if db_path is not None:
        env["NBGRADER_DB_URL"] = f"sqlite:///{db_path}"
    return env


def generate_release(root: Path = ROOT, assignment: str = ASSIGNMENT) -> Path:
    """Run `nbgrader generate_assignment` in the course at ``root``; returns the release folder.

    Raises RuntimeError with nbgrader's log when generation fails (e.g. a solution region
    without its END marker in a source notebook).
    """
    proc = subprocess.run(
        [sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force"],
        cwd=root,
        env=nbgrader_env(),
        capture_output=True,
        text=True,
    )
    release = root / "release" / assignment
    if proc.returncode != 0 or not release.is_dir():
        raise RuntimeError(
            f"nbgrader generate_assignment {assignment} failed in {root}:\n"
            f"{proc.stdout}{proc.stderr}"
        )
    return release


def bundle_members(root: Path = ROOT, assignment: str = ASSIGNMENT) -> dict[str, Path]:
    """Map of archive name -> file for the student bundle.

    The released notebooks and files (nbgrader already stripped solutions and hidden tests),
    plus the data loader and helpers, placed beside the notebooks so that
    ``import cs231n_data`` works from the notebook folder.
    """
    release = root / "release" / assignment
    if not release.is_dir():
        raise FileNotFoundError(
            f"{release} does not exist: run `python -m autograder release` first"
        )
    members = {
        f"{assignment}/{path.relative_to(release)}": path
        for path in sorted(release.rglob("*"))
        if path.is_file()
    }
    for name in STUDENT_MODULES:
        members[f"{assignment}/cs231n_data/{name}"] = root / "cs231n_data" / name
    return members


def build_student_bundle(out: Path, root: Path = ROOT, assignment: str = ASSIGNMENT) -> Path:
    """Write the student bundle zip to ``out`` and return its path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, path in bundle_members(root, assignment).items():
            zf.write(path, arcname)
    return out
