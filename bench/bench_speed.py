"""The speed checks' rounds, as the grader measures them, for the reference solution.

    python bench/bench_speed.py [--rounds 10]

Starts a sandboxed session with the source notebooks' solution cells and the reference
timing session (assignments/linear/reference.py), and makes the speed checks' rounds: reference
naive, your naive, your vectorized, reference vectorized, each an ordinary loss call on a
fresh dev-shaped input (500 x 3073, 10 classes), CPU time read from the kernel. Prints
each loss function's per-call CPU times (median, min, max) and the ratios the speed checks
score: the speedup over the naive version and the time over the reference's.
"""

from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
from pathlib import Path

from autograder import rubric as rubric_module
from autograder.assignment import dumps
from autograder.assignment import load as load_assignment
from autograder.assignments.linear import checks
from autograder.grade import ReferenceTiming
from autograder.sandbox import SandboxSession

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from corpus_cells import reference_cells  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    rubric = rubric_module.load()
    speed = dataclasses.replace(rubric.own.speed, samples=args.rounds, budget_seconds=600.0)
    rubric = dataclasses.replace(rubric, own=dataclasses.replace(rubric.own, speed=speed))
    with ReferenceTiming() as timing, SandboxSession(
            reference_cells(), assignment=dumps(load_assignment())) as session:
        grading = checks.Grading(session, 12345, rubric, None, timing)
        print(f"| function                | {'ms per call: median (min-max)':^58} | speedup | "
              "vs reference |")
        print("|-------------------------|" + "-" * 60 + "|---------|--------------|")
        for fn in checks.NAIVE_OF:
            rounds, why = grading.speed(fn)
            if why:
                raise SystemExit(f"{fn}: {why}")

            def ms(values: list[float]) -> str:
                return (f"{1e3 * statistics.median(values):5.1f} "
                        f"({1e3 * min(values):.1f}-{1e3 * max(values):.1f})")

            columns = {"ref naive": [r.ref_naive for r in rounds],
                       "naive": [r.own_naive for r in rounds],
                       "vectorized": [r.own for r in rounds],
                       "ref vec": [r.ref for r in rounds]}
            times = ", ".join(f"{k} {ms(v)}" for k, v in columns.items())
            speedup = statistics.median(r.speedup(speed.naive_cap) for r in rounds)
            ratio = statistics.median(r.own / r.ref for r in rounds)
            print(f"| {fn:<23} | {times:<58} | {speedup:6.1f}x | {ratio:11.2f}x |")


if __name__ == "__main__":
    main()
