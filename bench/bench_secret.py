"""Do a corpus entry's verdicts depend on the grader's secret? Grade entries under several
secrets and print, per entry, the score each secret gave and the checks whose points moved.

    python bench/bench_secret.py [--assignment linear_torch] [--entries buggy/svm] \
        [--secrets 3] [--cifar]

The secret keys the hidden inputs' seed (HMAC of the submission's content hash), so a new
machine, whose secret is new, grades every entry on new inputs: an expected score in the
corpus must not depend on them. Each entry is built as the corpus builds it (models
trained on the real CIFAR-10 in $CIFAR10_DIR, once per setting) and graded end to end in
the sandbox, on the checks without CIFAR-10 (`--cifar`: every check, the grader's
reference trained once per secret too, which takes minutes). The speed checks are timed
with 3 samples in a 2 s budget: their points move with the machine's load, not with the
secret, and are listed apart.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import tempfile
from pathlib import Path

from autograder import rubric as rubric_module
from autograder.assignment import load as load_assignment
from autograder.assignments import samples
from autograder.grade import GradingData, grade_submission

ASSIGNMENTS = ("linear", "linear_torch")


def fast_rubric(spec):
    """The assignment's rubric with the speed checks' timing cut short (for the logic)."""
    rubric = rubric_module.load(spec=spec)
    speed = dataclasses.replace(rubric.own.speed, samples=3, budget_seconds=2.0)
    return dataclasses.replace(rubric, own=dataclasses.replace(rubric.own, speed=speed))


def scores_under(secret: str, folder: Path, spec, rubric, targets, data) -> dict[str, float]:
    """Check name -> points, grading `folder` with AUTOGRADER_SECRET=`secret`."""
    os.environ["AUTOGRADER_SECRET"] = secret
    result = grade_submission(folder, spec=spec, rubric=rubric, targets=targets, data=data)
    return {t["name"]: float(t["score"]) for t in result.tests}


def compare(runs: list[dict[str, float]]) -> tuple[list[str], list[str]]:
    """(checks whose points differ between runs, of them the speed checks)."""
    names = sorted(set().union(*runs))
    moved = [n for n in names if len({run.get(n) for run in runs}) > 1]
    return [n for n in moved if "speed" not in n], [n for n in moved if "speed" in n]


def bench(assignment: str, wanted: list[str], secrets: list[str], cifar: Path,
          with_cifar: bool, work: Path) -> int:
    """Print one line per entry; the number of entries whose non-speed points moved."""
    spec = load_assignment(assignment)
    module = samples.load(assignment)
    rubric = fast_rubric(spec)
    store = module.model_store(cifar, work / "models" / assignment)
    targets = None if with_cifar else [t for t in spec.check_module.TARGETS
                                       if t not in spec.data_targets]
    entries = [e for e in samples.corpus_entries(module.CORPUS)
               if not wanted or any(e.startswith(w) for w in wanted)]
    moved_entries = 0
    for entry in entries:
        folder = module.build_entry(entry, work / assignment / entry.replace("/", "-"), store)
        runs = []
        for secret in secrets:
            # The grader's reference training is seeded by the secret too: new data per secret.
            data = GradingData(cifar, spec=spec) if with_cifar else None
            runs.append(scores_under(secret, folder, spec, rubric, targets, data))
        moved, timing = compare(runs)
        moved_entries += bool(moved)
        totals = " ".join(f"{sum(run.values()):6.2f}" for run in runs)
        verdict = "MOVED: " + ", ".join(moved) if moved else "same"
        noise = f"  (timing: {', '.join(timing)})" if timing else ""
        print(f"{assignment:13} {entry:48} {totals}  {verdict}{noise}", flush=True)
    return moved_entries


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", choices=ASSIGNMENTS, action="append")
    parser.add_argument("--entries", action="append", default=[],
                        help="entry name prefix (buggy/svm), repeatable; default every entry")
    parser.add_argument("--secrets", type=int, default=3)
    parser.add_argument("--cifar", action="store_true", help="grade the CIFAR-10 checks too")
    args = parser.parse_args()
    cifar = Path(os.environ.get("CIFAR10_DIR", "cs231n_data/cifar-10-batches-py"))
    secrets = [f"bench secret {k}" for k in range(args.secrets)]
    with tempfile.TemporaryDirectory(prefix="bench-secret-") as tmp:
        moved = sum(bench(a, args.entries, secrets, cifar, args.cifar, Path(tmp))
                    for a in args.assignment or ASSIGNMENTS)
    print(f"{moved} entries whose points (speed aside) depend on the secret")


if __name__ == "__main__":
    main()
