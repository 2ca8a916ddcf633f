"""One compute thread for timed and checked work: numpy's OpenBLAS and torch's pool.

CPU-time measurements are only comparable when the library under the code runs on one
thread: with several, CPU time also counts threads spinning while they wait, and on a
busy machine a descheduled thread stalls the others.
"""

from __future__ import annotations

import contextlib
import ctypes
from collections.abc import Callable, Iterator
from pathlib import Path

import torch

_SET_THREADS = ("openblas_set_num_threads", "openblas_set_num_threads64_",
                "scipy_openblas_set_num_threads", "scipy_openblas_set_num_threads64_")
_GET_THREADS = ("openblas_get_num_threads", "openblas_get_num_threads64_",
                "scipy_openblas_get_num_threads", "scipy_openblas_get_num_threads64_")


def _loaded_openblas() -> list[tuple[Callable, Callable]]:
    """(get, set) thread-count functions of every OpenBLAS loaded in this process."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:  # not Linux: timings then include BLAS threads
        return []
    paths = {line.split()[-1] for line in maps.splitlines()
             if "openblas" in line.lower() and line.split()[-1].startswith("/")}
    found = []
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        getters = [getattr(lib, n) for n in _GET_THREADS if hasattr(lib, n)]
        setters = [getattr(lib, n) for n in _SET_THREADS if hasattr(lib, n)]
        if getters and setters:
            found.append((getters[0], setters[0]))
    return found


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run numpy's OpenBLAS on one thread, as the sandboxed grader does.

    With several BLAS threads, CPU time also counts threads spinning while they wait,
    and on a busy machine a descheduled thread stalls the others: the timings of the
    vectorized versions would then say more about the machine than about the code.
    """
    libs = _loaded_openblas()
    before = [get() for get, _ in libs]
    for _, set_threads in libs:
        set_threads(1)
    try:
        yield
    finally:
        for (_, set_threads), n in zip(libs, before, strict=True):
            set_threads(n)


@contextlib.contextmanager
def one_torch_thread() -> Iterator[None]:
    """torch's intra-op pool on one thread, restored after (for whoever else uses torch).

    The oracle's tensors are small: the pool only adds contention, which costs 50x on a
    busy 2-core grading machine; the in-kernel mode times student code as the sandbox
    does, on one thread."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)
