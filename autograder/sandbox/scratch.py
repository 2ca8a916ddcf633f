"""A session's scratch folder on the host: what the child starts from.

    <scratch>/main.py          the child's script (LAUNCHER)
    <scratch>/sandbox_child/   the child's side of the door (CHILD_MODULES), copied
    <scratch>/ops.py           the assignment's child operations, copied
    <scratch>/empty            what the child's root shows in place of a file of the kit
    <scratch>/submission/      the submission's model files (copied, never linked)
    <scratch>/work/            the child's working folder (a tmpfs over it in the child)
    <scratch>/stage/           where the child builds its root

The child runs from copies, never from the kit's checkout or install, so the same
launch works in every install mode and the kit need not be visible to it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

# The package name the child's modules have inside the child, which of this folder's
# modules it holds (the parent imports none of them but `wire`).
PACKAGE = "sandbox_child"
CHILD_MODULES = ("wire", "oplib", "rootfs", "confine", "harness", "serve")
# The child's script: `python -I` puts no folder on sys.path, so it adds its own.
LAUNCHER = f"""import os, sys
folder = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, folder)
from {PACKAGE}.serve import main
main([folder, *sys.argv[1:]])
"""
HERE = Path(__file__).resolve().parent


def make_scratch(model_files: Mapping[str, Path], allowed: tuple[str, ...],
                 operations: Path, owner: tuple[int, int] | None) -> Path:
    """The scratch folder of one session. `owner` (uid, gid) when the grader is root:
    then only that gid may enter, and the working folder is that uid's."""
    scratch = Path(tempfile.mkdtemp(prefix="autograder-sandbox-",
                                    dir=scratch_base(owner is not None)))
    (scratch / "work").mkdir()
    (scratch / "stage").mkdir(mode=0o700)
    submission = scratch / "submission"
    submission.mkdir()
    for name, source in model_files.items():
        if name not in allowed:
            raise ValueError(f"not a model file of the assignment: {name}")
        # A model file may sit in a folder (cs231n/saved/...), as the submission has it.
        (submission / name).parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as src, open(submission / name, "wb") as dst:
            shutil.copyfileobj(src, dst)
    package = scratch / PACKAGE
    package.mkdir()
    (package / "__init__.py").touch()
    for module in CHILD_MODULES:
        shutil.copyfile(HERE / f"{module}.py", package / f"{module}.py")
    shutil.copyfile(operations, scratch / "ops.py")
    (scratch / "main.py").write_text(LAUNCHER)
    (scratch / "empty").touch()
    os.chmod(package, 0o755)
    for path in (*package.iterdir(), *(scratch / n for n in ("main.py", "ops.py", "empty"))):
        os.chmod(path, 0o644)
    if owner is not None:
        uid, gid = owner
        # Only this session's gid may enter: other sessions' children cannot read it.
        for path in (scratch, submission, *submission.rglob("*")):
            os.chown(path, 0, gid)
            os.chmod(path, 0o750 if path.is_dir() else 0o640)
        os.chown(scratch / "work", uid, gid)
        os.chmod(scratch / "work", 0o700)
    return scratch


def scratch_base(as_root: bool) -> str:
    """A temp folder the child's uid can reach: $TMPDIR, else /tmp.

    As root the child runs as its own uid, which must be able to enter every folder on
    the way to its scratch folder; a $TMPDIR inside a private folder (mode 0700, e.g.
    pytest's tmp_path or a home folder) would stop every child at start.
    """
    base = tempfile.gettempdir()
    if not as_root or _reachable_by_others(base):
        return base
    if _reachable_by_others("/tmp"):
        return "/tmp"
    raise RuntimeError(f"the sandbox needs a temp folder other users can enter: {base} "
                       "($TMPDIR) and /tmp are closed to them; set TMPDIR to one")


def _reachable_by_others(folder: str | os.PathLike[str]) -> bool:
    """Whether a user with no special rights can enter `folder` (x for others all the way)."""
    path = Path(folder).resolve()
    return all(os.stat(p).st_mode & 0o001 for p in (path, *path.parents))
