"""Check your work before you hand it in, and write the zip to submit.

From a notebook cell, in the assignment's folder (save your notebooks first)::

    from cs231n_data.submit import check
    check()

or from a terminal in that folder: ``python -m cs231n_data.submit``.

It reads your files as the grader will (every file present, every graded cell still there
with its code parsing, no function left as the release's stub, the model files readable),
runs the notebooks' visible test cells on your code in a fresh kernel, and writes
``<assignment>_submission.zip`` with exactly the files the grader reads. The hidden tests
are the grader's: passing this check does not mean full marks, failing it means points lost.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# The grader's reader of submissions and this check, as the course's bundle ships them.
KIT = Path(__file__).resolve().parent / "_check"


def check(folder: str | Path = ".", zip_path: str | Path | None = None,
          cell_timeout: float = 300.0) -> bool:
    """Check the assignment in `folder` and write its zip (default:
    `folder/<assignment>_submission.zip`); True when it is ready to hand in."""
    self_check = _engine()
    folder = Path(folder)
    kit = self_check.load_kit(folder)
    return self_check.check(folder, kit, zip_path=Path(zip_path) if zip_path else None,
                            cell_timeout=cell_timeout) == 0


def main(argv: list[str] | None = None) -> int:
    """`python -m cs231n_data.submit [FOLDER] [--zip OUT.zip]`: exit status 0 when ready."""
    parser = argparse.ArgumentParser(prog="python -m cs231n_data.submit",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=".", help="the assignment's folder")
    parser.add_argument("--zip", default=None, help="where to write the zip")
    parser.add_argument("--cell-timeout", type=float, default=300.0,
                        help="seconds each notebook cell may run")
    args = parser.parse_args(argv)
    return 0 if check(args.folder, args.zip, args.cell_timeout) else 1


def _engine():
    """The check's module: the bundle's copy, or the course kit's where this runs in it."""
    if os.name == "nt":
        # The grader's reader of submissions relies on POSIX (resource limits, files
        # opened without following links).
        raise RuntimeError("the check runs on Linux and macOS; on Windows, run it in WSL "
                           "(or check that your notebooks run top to bottom, then zip "
                           "them with their saved models)")
    if (KIT / "check.json").is_file() and str(KIT) not in sys.path:
        sys.path.insert(0, str(KIT))
    from autograder import self_check

    return self_check


if __name__ == "__main__":
    sys.exit(main())
