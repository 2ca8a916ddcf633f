"""Release: instructor source notebooks -> student notebooks (nbgrader) -> student bundle (zip).

`generate_release` runs nbgrader's own `generate_assignment` with the course configuration
at the repository root; `build_student_bundle` zips what a student needs and nothing else.
`scratch_course` releases the assignment into a copy of the course with its own gradebook,
where `nbgrader autograde` can run on submissions without touching the repository.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Mapping
from pathlib import Path

from autograder import student_kit
from autograder.assignment import load as load_assignment
from autograder.assignment import names as assignment_names

ROOT = Path(__file__).resolve().parent.parent
# The nbgrader assignment (source/ and release/ folder) of the default assignment.
ASSIGNMENT = load_assignment().source
# The student-importable modules of cs231n_data; the data set itself never goes in a bundle.
STUDENT_MODULES = ("__init__.py", "cifar10.py", "download.py", "gradient_check.py",
                   "images.py", "notebook.py", "submit.py", "vis.py")


def nbgrader_env(db_path: Path | None = None) -> dict[str, str]:
    """Environment for running nbgrader: its own tools (alembic) must be on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if db_path is not None:
        env["NBGRADER_DB_URL"] = f"sqlite:///{db_path}"
    return env


def run_nbgrader(course: Path, *args: str, db_path: Path | None = None,
                 env: Mapping[str, str] | None = None) -> str:
    """Run `nbgrader <args>` in the course folder `course`; returns its log.

    `db_path` is the gradebook to use instead of the one nbgrader_config.py names; `env`
    adds environment variables (the kernels nbgrader starts inherit them). Raises
    RuntimeError with nbgrader's log when it fails.
    """
    proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course,
                          env={**nbgrader_env(db_path), **(env or {})},
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed in {course}:\n"
                           f"{proc.stdout}{proc.stderr}")
    return proc.stdout + proc.stderr


def generate_release(root: Path = ROOT, assignment: str = ASSIGNMENT) -> Path:
    """Run `nbgrader generate_assignment` in the course at ``root``; returns the release folder.

    Raises RuntimeError with nbgrader's log when generation fails (e.g. a solution region
    without its END marker in a source notebook).
    """
    run_nbgrader(root, "generate_assignment", assignment, "--force")
    release = root / "release" / assignment
    if not release.is_dir():
        raise RuntimeError(f"nbgrader generate_assignment {assignment} made no {release}")
    return release


def scratch_course(folder: Path, root: Path = ROOT, assignment: str = ASSIGNMENT) -> Path:
    """A copy of the course in `folder`, ready for `nbgrader autograde`; returns `folder`.

    It holds nbgrader_config.py and source/<assignment> (without the instructor's trained
    models) and its own gradebook, `folder/gradebook.db` (pass it as `db_path` to
    `run_nbgrader`), which knows the assignment and its grade cells: generate_assignment
    has run. Put submissions in folder/submitted/<student>/<assignment>/.
    """
    models = {f for spec in map(load_assignment, assignment_names())
              if spec.source == assignment for f in spec.model_files}
    shutil.copytree(root / "source" / assignment, folder / "source" / assignment,
                    ignore=shutil.ignore_patterns(*models, ".ipynb_checkpoints"))
    shutil.copy(root / "nbgrader_config.py", folder)
    run_nbgrader(folder, "generate_assignment", assignment, "--force",
                 db_path=folder / "gradebook.db")
    return folder


def bundle_members(root: Path = ROOT, assignment: str = ASSIGNMENT
                   ) -> dict[str, Path | bytes]:
    """Map of archive name -> file (or content) for the student bundle.

    The released notebooks and files (nbgrader already stripped solutions and hidden tests),
    plus the data loader and helpers, placed beside the notebooks so that
    ``import cs231n_data`` works from the notebook folder, and the student's check
    (`student_kit`: intake and the visible tests' plan, nothing hidden).
    """
    release = root / "release" / assignment
    if not release.is_dir():
        raise FileNotFoundError(
            f"{release} does not exist: run `python -m autograder release` first"
        )
    members: dict[str, Path | bytes] = {
        f"{assignment}/{path.relative_to(release)}": path
        for path in sorted(release.rglob("*"))
        if path.is_file()
    }
    for name in STUDENT_MODULES:
        members[f"{assignment}/cs231n_data/{name}"] = root / "cs231n_data" / name
    for spec in (load_assignment(n) for n in assignment_names()):
        if spec.source == assignment:
            for name, content in student_kit.bundle_files(spec, root).items():
                members[f"{assignment}/{name}"] = content
    return members


def release_all(out: Path, root: Path = ROOT) -> list[tuple[Path, Path]]:
    """Every assignment's release (nbgrader) and its student bundle, `out/<source>-student.zip`:
    [(release folder, bundle)], one per assignment the engine knows."""
    from autograder import assignment

    done = []
    for name in assignment.names():
        source = load_assignment(name).source
        folder = generate_release(root, source)
        done.append((folder, build_student_bundle(out / f"{source}-student.zip", root, source)))
    return done


def build_student_bundle(out: Path, root: Path = ROOT, assignment: str = ASSIGNMENT) -> Path:
    """Write the student bundle zip to ``out`` and return its path."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for arcname, content in bundle_members(root, assignment).items():
            if isinstance(content, bytes):
                zf.writestr(arcname, content)
            else:
                zf.write(content, arcname)
    return out
