"""What the corpus counts as left behind by a grade: only the traces of this grader's own
sandboxes, never what other work on the machine creates meanwhile (another test run's
semaphores in /dev/shm made a fresh clone's corpus fail)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from corpus_asserts import traces

from autograder.sandbox.processes import UID_BASE

SHM = Path("/dev/shm")
needs_shm = pytest.mark.skipif(not SHM.is_dir() or not os.access(SHM, os.W_OK),
                               reason="no writable /dev/shm")


def _left(before: dict[str, set]) -> dict[str, set]:
    return {kind: found - before[kind] for kind, found in traces(set()).items()}


@needs_shm
def test_another_program_s_semaphore_is_not_a_trace_of_the_grade():
    before = traces(set())
    # What multiprocessing in another process leaves while a grade runs: sem.<name>.
    other = SHM / f"sem.mp-unrelated-{os.getpid()}"
    other.write_bytes(b"")
    try:
        assert not any(_left(before).values())
    finally:
        other.unlink()


@needs_shm
@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file a sandbox uid needs root")
def test_a_file_of_one_of_this_grader_s_sandbox_uids_is_a_trace():
    before = traces(set())
    # The uid this process's first sandbox session runs as.
    sandbox_uid = UID_BASE + (os.getpid() % 2**22) * 256
    mine = SHM / f"left-by-a-sandbox-{os.getpid()}"
    mine.write_bytes(b"")
    try:
        os.chown(mine, sandbox_uid, sandbox_uid)
        assert _left(before)["/dev/shm"] == {mine.name}
    finally:
        mine.unlink()
