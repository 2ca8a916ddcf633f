"""Grade a batch on an existing Dask cluster (`batch --backend dask`).

The parent (`autograder.batch.run_batch`) reads the submissions and writes the store; this
module only sends each submission to a worker and hands back what came of it.
"""

from __future__ import annotations

import atexit
import threading
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

from autograder.assignment import load as load_assignment
from autograder.batch import Attempt, Found
from autograder.grade import GradingData, GradingError
from autograder.release import ASSIGNMENT
from autograder.result import GradeResult
from autograder.rubric import Rubric
from autograder.store import ERROR, GRADED, rubric_hash

_dask_data: dict[tuple, GradingData] = {}
_dask_lock = threading.Lock()


def _grade_on_dask_worker(path: str, submission: str, rubric: Rubric,
                          cifar10_dir: str | None, assignment: str = ASSIGNMENT) -> str:
    """A Dask task: grade one submission on this worker, its CIFAR-10 prepared once per
    worker process (the first task prepares it, the next ones reuse it)."""
    from autograder.grade import grade_submission

    key = (assignment, cifar10_dir, rubric_hash(rubric))
    with _dask_lock:
        if key not in _dask_data:
            data = GradingData(cifar10_dir, rubric=rubric, spec=load_assignment(assignment))
            atexit.register(data.close)
            _dask_data[key] = data
    result = grade_submission(Path(path), data=_dask_data[key], rubric=rubric)
    return replace(result, submission=submission).to_json()


def grade_all_dask(todo: Sequence[tuple[Found, str]], rubric: Rubric, scheduler: str,
                    cifar10_dir: Path | None, assignment: str = ASSIGNMENT
                    ) -> Iterator[Attempt]:
    """Yield an Attempt per submission as the Dask cluster at `scheduler` finishes it.

    A worker that dies takes its tasks with it; the scheduler runs them again on another
    worker. A submission that has killed `distributed.scheduler.allowed-failures` workers
    is recorded as an error (retried by the next run). The workers read the submissions
    at the same paths as this process (a shared file system) and CIFAR-10 from
    `cifar10_dir` or their own CIFAR10_DIR.
    """
    try:
        from distributed import Client, as_completed
        from distributed.scheduler import KilledWorker
    except ImportError:
        raise GradingError("--scheduler needs Dask: pip install 'distributed>=2024.1' "
                           "(the kit's [dask] extra) here and on the workers") from None
    try:
        client = Client(scheduler, timeout="30s")
    except OSError as exc:
        raise GradingError(f"no Dask scheduler at {scheduler} ({exc}): start one with "
                           "`dask scheduler` and workers with `dask worker "
                           f"{scheduler} --nthreads 1`") from None
    with client:
        futures = {client.submit(_grade_on_dask_worker, str(item.path.resolve()),
                                 item.submission, rubric,
                                 str(cifar10_dir) if cifar10_dir else None, assignment,
                                 key=f"grade-{item.submission}-{content_hash[:12]}",
                                 pure=False): (item, content_hash)
                   for item, content_hash in todo}
        for future in as_completed(futures):
            item, content_hash = futures[future]
            try:
                result = GradeResult.from_json(future.result())
            except KilledWorker:
                yield Attempt(item, content_hash, ERROR,
                              "the grading process was killed each time it graded this "
                              "submission (out of memory, or killed by a signal); the "
                              "next batch run will try again")
            except Exception as exc:  # noqa: BLE001 - a remote failure is this one's error
                yield Attempt(item, content_hash, ERROR, f"the grader failed on this "
                              f"submission ({type(exc).__name__}: {exc})")
            else:
                yield Attempt(item, result.content_hash, GRADED, result=result)
