"""Do speed scores move with the machine's load? Regrade the speed checks, with and without
a CPU hog beside the grader, and print what each regrade gave.

    python bench/bench_steady.py [--regrades 10]

Submissions: the reference solution; two near a threshold of the speedup bands: a
vectorized SVM that loops over the examples two rows at a time (about 0.5 of the
reference's speedup, where full credit starts) and one row at a time (about 0.25, the
last band); one that loops over the examples with outer products; the naive loop pasted as the
vectorized version. Each is graded `--regrades` times on the speed checks of
svm_loss_vectorized (the speedup over its naive version, and the time against the
reference), once on an idle machine and once with a busy-looping process on every core
but one. The table gives, per submission and load, the lowest and highest points of each
check over the regrades, and the range of the scored ratio.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from corpus_cells import reference_cells  # noqa: E402

from autograder import rubric as rubric_module  # noqa: E402
from autograder.assignment import dumps  # noqa: E402
from autograder.assignment import load as load_assignment  # noqa: E402
from autograder.assignments.linear import checks  # noqa: E402
from autograder.grade import ReferenceTiming  # noqa: E402
from autograder.sandbox import SandboxSession  # noqa: E402

ROW_LOOP = '''def svm_loss_vectorized(W, X, y, reg):
    dW = np.zeros(W.shape)
    loss = 0.0
    for i in range(X.shape[0]):
        scores = X[i].dot(W)
        margins = np.maximum(0, scores - scores[y[i]] + 1)
        margins[y[i]] = 0
        loss += margins.sum()
        active = (margins > 0).astype(float)
        active[y[i]] = -active.sum()
        dW += np.outer(X[i], active)
    N = X.shape[0]
    return loss / N + reg * np.sum(W * W), dW / N + 2 * reg * W
'''
ROWS_AT_A_TIME = '''def svm_loss_vectorized(W, X, y, reg):
    N = X.shape[0]
    loss = 0.0
    dW = np.zeros(W.shape)
    for start in range(0, N, STEP):
        Xb, yb = X[start:start + STEP], y[start:start + STEP]
        rows = np.arange(len(yb))
        scores = Xb.dot(W)
        margins = np.maximum(0, scores - scores[rows, yb][:, None] + 1)
        margins[rows, yb] = 0
        loss += margins.sum()
        coeff = (margins > 0).astype(float)
        coeff[rows, yb] = -coeff.sum(axis=1)
        dW += Xb.T.dot(coeff)
    return loss / N + reg * np.sum(W * W), dW / N + 2 * reg * W
'''
SPEED = ("svm_loss_vectorized: speedup over your naive version",
         "svm_loss_vectorized: speed vs the reference")


def hog() -> None:
    while True:
        pass


def regrade(cells: dict[str, str], times: int, rubric, timing) -> dict[str, list]:
    fn = "svm_loss_vectorized"
    made = (checks.speedup_check(fn), checks.vs_reference_check(fn))
    seen: dict[str, list] = {check.name: [] for check in made}
    seen["ratio"] = []
    for i in range(times):
        with SandboxSession(cells, assignment=dumps(load_assignment())) as session:
            grading = checks.Grading(session, 1000 + i, rubric, None, timing)
            for check in made:
                seen[check.name].append(
                    round(check.points(rubric) * check.evaluate(grading).fraction, 2))
            rounds, _ = grading.speed(fn)
        if rounds:
            seen["ratio"].append(statistics.median(
                r.speedup(rubric.own.speed.naive_cap) / (r.ref_naive / r.ref) for r in rounds))
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regrades", type=int, default=10)
    args = parser.parse_args()
    rubric = rubric_module.load()
    reference = reference_cells()
    submissions = {
        "reference solution": reference,
        "2 rows at a time": {**reference, "svm_loss_vectorized":
                             ROWS_AT_A_TIME.replace("STEP", "2")},
        "1 row at a time": {**reference, "svm_loss_vectorized":
                            ROWS_AT_A_TIME.replace("STEP", "1")},
        "loops over the examples": {**reference, "svm_loss_vectorized": ROW_LOOP},
        "the naive loop pasted": {**reference, "svm_loss_vectorized":
                                  reference["svm_loss_naive"].replace(
                                      "def svm_loss_naive", "def svm_loss_vectorized")},
    }
    print("| submission              | load  | speedup points | vs reference points | "
          "speedup / reference's speedup |")
    print("|-------------------------|-------|----------------|---------------------|"
          "-------------------------------|")
    with ReferenceTiming() as timing:
        for load in ("idle", "busy"):
            hogs = []
            if load == "busy":
                hogs = [multiprocessing.Process(target=hog, daemon=True)
                        for _ in range(max(1, (os.cpu_count() or 2) - 1))]
                for process in hogs:
                    process.start()
            try:
                for label, cells in submissions.items():
                    seen = regrade(cells, args.regrades, rubric, timing)
                    speed, vs_ref = (f"{min(seen[n]):.2f}-{max(seen[n]):.2f}" for n in SPEED)
                    ratio = seen["ratio"]
                    span = f"{min(ratio):.2f}-{max(ratio):.2f}" if ratio else "n/a"
                    print(f"| {label:<23} | {load:<5} | {str(speed):<14} | {str(vs_ref):<19} "
                          f"| {span:<29} |")
            finally:
                for process in hogs:
                    process.kill()


if __name__ == "__main__":
    main()
