"""Similarity across a class's submissions: who shares code with whom.

    python -m autograder similarity FOLDER --out DIR [--assignment NAME] [--rubric FILE]

FOLDER is what `batch` takes (nbgrader's submitted/<student>/<assignment>/, or a folder of
<student>.zip). The steps, one module each:

- `documents`: each submission's graded definitions (notebook cells by grade_id, or the
  module files of CS231n's starter layout) read by intake as the grader reads them: as
  text, in a bounded process, nothing of it run; and the release's own code, read the
  same way from release/<assignment>/ (or --release);
- `compare`: every pair scored by copydetect on Pygments tokens (renamed variables,
  changed comments and layout still match), the release's passages left out, so students
  who only share the release score zero;
- `outputs`: DIR/pairs.csv (a, b, score in [0, 1], flagged; every pair, highest first) and
  DIR/index.html (the top pairs side by side, shared passages highlighted).

A pair is flagged at the rubric's [similarity] threshold (default 0.5); the flagged pairs
are counted on stdout. The outputs hold the students' code: they are private to the
grader's user, like the reports.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from autograder import assignment, release

TOP = 25   # the pairs index.html shows side by side


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    """Add the `similarity` subcommand to the CLI."""
    p = subparsers.add_parser("similarity", help="score every pair of a class's submissions "
                              "for shared code (the release's own code left out)")
    p.add_argument("folder", type=Path, help="nbgrader's submitted/ folder "
                   "(<student>/<assignment>/) or a folder of <student>.zip files")
    p.add_argument("--out", type=Path, required=True,
                   help="the folder for pairs.csv and index.html")
    p.add_argument("--assignment", default=release.ASSIGNMENT, choices=assignment.names(),
                   help="the assignment (and nbgrader assignment folder name)")
    p.add_argument("--rubric", type=Path, default=None, help="rubric file whose "
                   "[similarity] threshold flags a pair (default: the assignment's own)")
    p.add_argument("--release", type=Path, default=None, help="the release the students "
                   "started from (default: release/<assignment>/ of this kit)")
    p.add_argument("--top", type=int, default=TOP,
                   help=f"how many of the highest pairs index.html shows (default {TOP})")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """The `similarity` subcommand: 0 when the outputs are written, 2 when the class could
    not be read (the folder, the rubric or the release)."""
    # Imported here: copydetect loads matplotlib, which the rest of the CLI does not need.
    from autograder import rubric as rubric_module
    from autograder.batch import LayoutError
    from autograder.ids import terminal
    from autograder.similarity.compare import boilerplate_hashes, compare_all
    from autograder.similarity.documents import read_class, read_release
    from autograder.similarity.outputs import write_outputs

    if args.top < 1:
        print("error: --top must be at least 1", file=sys.stderr)
        return 2
    spec = assignment.load(args.assignment)
    release_folder = args.release or release.ROOT / "release" / spec.source
    try:
        threshold = rubric_module.load(args.rubric, spec=spec).similarity.threshold
        release_code = read_release(release_folder, spec)
        documents, notes = read_class(args.folder, spec, args.assignment, release_code)
    except (LayoutError, rubric_module.RubricError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for note in notes:
        print(note, file=sys.stderr)
    pairs = compare_all(documents, boilerplate_hashes(release_code.boilerplate))
    csv_path, page = write_outputs(pairs, documents, threshold, args.out, args.top, notes)
    flagged = [p for p in pairs if p.score >= threshold]
    print(f"{len(documents)} submissions, {len(pairs)} pairs; {len(flagged)} flagged "
          f"(score >= {threshold:g}, the rubric's [similarity] threshold)")
    for pair in flagged[:args.top]:
        print(f"  {pair.score:.2f}  {terminal(pair.a)}  {terminal(pair.b)}")
    if len(flagged) > args.top:
        print(f"  ... and {len(flagged) - args.top} more flagged pairs in pairs.csv")
    print(f"wrote {csv_path} and {page}")
    return 0
