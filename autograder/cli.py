"""The command line: one subcommand per stage of the instructor's workflow."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from pathlib import Path

from autograder import assignment, release


def _release(args: argparse.Namespace) -> int:
    for folder, bundle in release.release_all(args.out):
        print(f"released {folder.relative_to(release.ROOT)}; student bundle: {bundle}")
    return 0


def _grade(args: argparse.Namespace) -> int:
    # Imported here: grading loads torch and the data set, which `release` does not need.
    from autograder import grade
    from autograder import rubric as rubric_module
    from cs231n_data.cifar10 import cifar10_dir

    if not args.path.exists():
        print(f"error: {args.path} does not exist: give a submission folder or .zip",
              file=sys.stderr)
        return 2
    name = args.assignment
    if name is None:
        found = assignment.detect(args.path)
        if len(found) > 1:
            print(f"error: {args.path} holds files of {' and '.join(found)}: say which "
                  "with --assignment", file=sys.stderr)
            return 2
        name = found[0] if found else assignment.DEFAULT
        grade.log(f"assignment {name} ({'found from its files' if found else 'the default'})")
    try:
        spec = assignment.load(name)
        rubric = rubric_module.load(args.rubric, spec=spec)
        if args.require_isolation:
            grade.check_isolation(spec)
        grade.log(f"preparing CIFAR-10 from {cifar10_dir(args.cifar10_dir)} ...")
        with grade.GradingData(args.cifar10_dir, rubric=rubric, spec=spec) as data:
            grade.log(f"grading {args.path} ...")
            result = grade.grade_submission(args.path, data=data, rubric=rubric, spec=spec)
    except (grade.GradingError, rubric_module.RubricError, assignment.AssignmentError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if args.json:
        from autograder.gradescope import results_document

        print(json.dumps(results_document(result), indent=2))
    else:
        print(grade.format_table(result))
    return 0


def _batch(args: argparse.Namespace) -> int:
    from autograder import batch

    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    if args.backend == "dask" and not args.scheduler:
        print("error: --backend dask needs --scheduler tls://HOST:PORT", file=sys.stderr)
        return 2
    return batch.main(args.folder, store_path=args.store, workers=args.workers,
                      regrade=args.regrade, rubric_path=args.rubric,
                      assignment=args.assignment, cifar10_dir=args.cifar10_dir,
                      scheduler=args.scheduler if args.backend == "dask" else None,
                      require_isolation=args.require_isolation)


def _cluster_certs(args: argparse.Namespace) -> int:
    from autograder import certs

    out = args.out or certs.certs_dir()
    try:
        written = certs.make_certificates(out)
    except certs.CertificateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print("\n".join(f"wrote {path}" for path in written))
    print(f"copy ca.pem and scheduler*.pem to the scheduler, ca.pem and worker*.pem to each "
          f"worker; `batch --backend dask` reads {out} (AUTOGRADER_CLUSTER_CERTS)")
    return 0


def _export(args: argparse.Namespace) -> int:
    from autograder import export

    return export.main(args.store, csv_path=args.csv, gradescope=args.gradescope,
                       gradebook=args.gradebook, course=args.course,
                       assignment=args.assignment, canvas=args.canvas, moodle=args.moodle,
                       roster=args.roster, lms_column=args.lms_column)


def _report(args: argparse.Namespace) -> int:
    from autograder import report

    return report.main(args.store, args.out)


def _gradescope(args: argparse.Namespace) -> int:
    from autograder import gradescope

    try:
        out = gradescope.build_bundle(args.out, args.assignment)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"wrote the Gradescope autograder bundle {out}: upload it as the assignment's "
          "autograder (Ubuntu base image); students submit their notebooks and .npz files")
    return 0


def _gradescope_run(args: argparse.Namespace) -> int:
    from autograder import gradescope

    return gradescope.run(args.root, args.assignment)


def _demo(args: argparse.Namespace) -> int:
    from autograder import demo

    return demo.run(args.out, workers=args.workers)


def _isolation_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--require-isolation", action="store_true",
                        help="refuse to grade (exit 1 or 2, nothing graded) unless the "
                        "sandbox fully confines student code on this machine: root, user "
                        "namespaces and seccomp (without it, partial confinement is said "
                        "in every result)")


# The class's and the student's tools beside grading: each module adds its own subcommand
# with `add_parser(subparsers)`.
TOOLS = ("similarity", "answers", "self_check")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("release", help="generate every assignment's release/ with nbgrader "
                       "and its student bundle")
    p.add_argument("--out", type=Path, default=release.ROOT / "out",
                   help="the folder of the bundles (<assignment>-student.zip)")
    p.set_defaults(func=_release)

    p = sub.add_parser("grade", help="grade one submission (folder or .zip) in the sandbox")
    p.add_argument("path", type=Path, help="the submission: a folder or a .zip holding "
                   "the assignment's notebooks (or starter modules) and saved models")
    p.add_argument("--assignment", default=None,
                   help=f"the assignment (one of: {', '.join(assignment.names())}; default: "
                   "the one whose files the submission holds)")
    p.add_argument("--json", action="store_true",
                   help="print only the Gradescope results.json document on stdout")
    p.add_argument("--rubric", type=Path, default=None,
                   help="rubric file (default: the assignment's own rubric.toml)")
    p.add_argument("--cifar10-dir", type=Path, default=None,
                   help="the cifar-10-batches-py folder (default: $CIFAR10_DIR)")
    _isolation_flag(p)
    p.set_defaults(func=_grade)

    store_default = Path("out") / "grades" / "grades.sqlite"
    p = sub.add_parser("batch", help="grade every submission of a folder into the grade store")
    p.add_argument("folder", type=Path, help="nbgrader's submitted/ folder "
                   "(<student>/<assignment>/) or a folder of <student>.zip files")
    p.add_argument("--workers", type=int, default=2, help="parallel grading processes")
    p.add_argument("--backend", choices=("local", "dask"), default="local",
                   help="local worker processes, or an existing Dask cluster")
    p.add_argument("--scheduler", help="the Dask scheduler's address, tls://HOST:PORT "
                   "(the client's certificates: see cluster-certs)")
    p.add_argument("--regrade", action="store_true",
                   help="grade again submissions already graded with the same content and rubric")
    p.add_argument("--store", type=Path, default=store_default, help="the grade store (SQLite)")
    p.add_argument("--assignment", default=None, help="the assignment (its nbgrader name; "
                   "default: the one whose files the class's submissions hold)")
    p.add_argument("--rubric", type=Path, default=None,
                   help="rubric file (default: the assignment's own rubric.toml)")
    p.add_argument("--cifar10-dir", type=Path, default=None,
                   help="the cifar-10-batches-py folder (default: $CIFAR10_DIR)")
    _isolation_flag(p)
    p.set_defaults(func=_batch)

    p = sub.add_parser("cluster-certs", help="make the course's Dask cluster certificates "
                       "(a CA, and the scheduler's, workers' and batch client's key pairs)")
    p.add_argument("--out", type=Path, default=None,
                   help="the folder to write (default: $AUTOGRADER_CLUSTER_CERTS, else "
                   "~/.config/autograder/cluster)")
    p.set_defaults(func=_cluster_certs)

    p = sub.add_parser("export", help="grade store -> CSV, Gradescope results.json, nbgrader, "
                       "Canvas, Moodle")
    p.add_argument("--store", type=Path, default=store_default, help="the grade store (SQLite)")
    p.add_argument("--csv", type=Path, help="write one row per student to this CSV file")
    p.add_argument("--gradescope", type=Path, metavar="DIR",
                   help="write DIR/<student>/results.json")
    p.add_argument("--gradebook", action="store_true",
                   help="write the autograded scores into the course's nbgrader gradebook")
    p.add_argument("--course", type=Path, default=release.ROOT,
                   help="nbgrader course folder with nbgrader_config.py (default: this kit)")
    p.add_argument("--assignment", default=None,
                   help="nbgrader assignment name (default: the store's assignment)")
    p.add_argument("--canvas", type=Path, metavar="FILE",
                   help="write Canvas' gradebook import CSV (needs --roster)")
    p.add_argument("--moodle", type=Path, metavar="FILE",
                   help="write Moodle's grade import CSV (needs --roster)")
    p.add_argument("--roster", type=Path, metavar="ROSTER.csv",
                   help="CSV mapping each submission id (column `submission`) to the "
                   "student's LMS identity: Canvas' Student, ID, SIS User ID, SIS Login ID, "
                   "Section; Moodle's email, idnumber or username (an LMS gradebook export "
                   "with a `submission` column added will do)")
    p.add_argument("--lms-column", default=None, metavar="NAME",
                   help="the LMS gradebook column (default: the assignment's title); for "
                   "Canvas, 'Assignment Name (id)' as Canvas exports it updates that "
                   "assignment")
    p.set_defaults(func=_export)

    p = sub.add_parser("report", help="HTML feedback per student and a class report")
    p.add_argument("--store", type=Path, default=store_default, help="the grade store (SQLite)")
    p.add_argument("--out", type=Path, default=Path("out") / "report",
                   help="folder for index.html and students/<student>.html")
    p.set_defaults(func=_report)

    p = sub.add_parser("gradescope", help="write a Gradescope autograder bundle (zip)")
    p.add_argument("--assignment", default=release.ASSIGNMENT, help="the assignment to grade")
    p.add_argument("--out", type=Path, default=release.ROOT / "out" / "autograder.zip",
                   help="where to write the zip")
    p.set_defaults(func=_gradescope)

    p = sub.add_parser("gradescope-run", help="grade ROOT/submission into "
                       "ROOT/results/results.json (what the bundle's run_autograder calls)")
    p.add_argument("--root", type=Path, default=Path("/autograder"),
                   help="Gradescope's /autograder tree")
    p.add_argument("--assignment", default=release.ASSIGNMENT, choices=assignment.names(),
                   help="the assignment the bundle grades")
    p.set_defaults(func=_gradescope_run)

    p = sub.add_parser("demo", help="release the assignment and grade the sample submissions")
    p.add_argument("--out", type=Path, default=release.ROOT / "out" / "demo",
                   help="folder for the bundle, submissions, grade store, exports and reports")
    p.add_argument("--workers", type=int, default=2, help="parallel grading processes")
    p.set_defaults(func=_demo)

    for name in TOOLS:
        importlib.import_module(f"autograder.{name}").add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)
