"""The grading-time line of an edition's bench: `grade_submission` (sandboxed, every hidden
check, the CIFAR-10 accuracy included) on distinct copies of one submission, with one
`GradingData`, so that the first pays the reference training of its settings and the
others find it done; the median is over all of them.

    from grading_time import time_gradings     # beside the bench scripts
    time_gradings(spec, write, repeats)        # write(work, i) -> the i-th submission
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from autograder.assignment import Assignment
from autograder.grade import GradingData, grade_submission


def time_gradings(spec: Assignment, write: Callable[[Path, int], Path], repeats: int) -> None:
    """Grade `repeats` submissions that `write(work, i)` makes in a scratch folder `work`
    (each with its own content hash) and print the times and the last score."""
    work = Path(tempfile.mkdtemp(prefix=f"bench-{spec.name}-"))
    try:
        started = time.perf_counter()
        with GradingData(spec=spec) as data:
            prepare = time.perf_counter() - started
            times, result = [], None
            for i in range(repeats):
                folder = write(work, i)
                started = time.perf_counter()
                result = grade_submission(folder, data=data, spec=spec)
                times.append(time.perf_counter() - started)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"GradingData (prepare CIFAR-10, once per run): {prepare:.1f} s")
    print(f"grade_submission, median of {repeats}: {statistics.median(times):.1f} s "
          f"(first, with the reference training: {times[0]:.1f} s; all: "
          f"{', '.join(f'{t:.1f}' for t in times)}); score {result.score:g}/"
          f"{result.max_score:g}")
