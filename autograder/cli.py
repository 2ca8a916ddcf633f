"""The command line: one subcommand per stage of the instructor's workflow."""

from __future__ import annotations

import argparse
from pathlib import Path

from autograder import release


def _release(args: argparse.Namespace) -> int:
    folder = release.generate_release()
    bundle = release.build_student_bundle(args.bundle)
    print(f"released {folder.relative_to(release.ROOT)}; student bundle: {bundle}")
    return 0


def _demo(args: argparse.Namespace) -> int:
    return _release(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    bundle_default = release.ROOT / "out" / "linear-student.zip"

    p = sub.add_parser("release", help="generate release/ with nbgrader and the student bundle")
    p.add_argument("--bundle", type=Path, default=bundle_default, help="where to write the zip")
    p.set_defaults(func=_release)

    p = sub.add_parser("demo", help="release the assignment and grade the sample submissions")
    p.add_argument("--bundle", type=Path, default=bundle_default, help="where to write the zip")
    p.set_defaults(func=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
