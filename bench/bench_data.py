"""How much the .npy cache speeds up load_cifar10, and what get_cifar10_data costs in memory.

    CIFAR10_DIR=/path/to/cifar-10-batches-py python bench/bench_data.py [--cold 3] [--warm 20]

Cold = an empty cache: unpickle the six batches and write the cache. Warm = memory-map the
cache. Each cold repeat uses a fresh cache folder (the batch files themselves stay in the OS
page cache, so this measures unpickling, not the disk). get_cifar10_data is measured in a
fresh process per dtype (Linux: reads /proc/self/status): its time there (first touch of
the memory map included), tracemalloc's peak of numpy's allocations, and the process's peak
RSS (which also counts the pages of the memory-mapped cache it reads).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from cs231n_data.cifar10 import cifar10_dir, get_cifar10_data, load_cifar10

MB = 1024 * 1024


def timed_load(path: Path) -> float:
    start = time.perf_counter()
    load_cifar10(path)
    return time.perf_counter() - start


def status_mb(field: str) -> float:
    """A memory figure of this process from /proc/self/status (Linux), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024 / MB
    raise KeyError(field)


def measure_peak(path: Path, dtype: str) -> dict[str, float]:
    """Run in a child process: peak memory of one get_cifar10_data call (cache already warm)."""
    # Reset the peak-RSS mark: a spawned child starts with its parent's.
    Path("/proc/self/clear_refs").write_text("5")
    rss_before = status_mb("VmRSS")
    tracemalloc.start()
    start = time.perf_counter()
    data = get_cifar10_data(path, dtype=np.dtype(dtype))
    seconds = time.perf_counter() - start
    _, traced_peak = tracemalloc.get_traced_memory()
    return {
        "seconds": seconds,
        "result_mb": sum(a.nbytes for a in data.values()) / MB,
        "traced_peak_mb": traced_peak / MB,
        "rss_before_mb": rss_before,
        "rss_peak_mb": status_mb("VmHWM"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", type=int, default=3, help="cold-load repeats")
    parser.add_argument("--warm", type=int, default=20, help="warm-load repeats")
    parser.add_argument("--peak", help=argparse.SUPPRESS)  # child mode: one dtype, JSON out
    args = parser.parse_args()
    path = cifar10_dir()

    if args.peak:
        print(json.dumps(measure_peak(path, args.peak)))
        return

    with tempfile.TemporaryDirectory(prefix="bench-cs231n-cache-") as root:
        cold = []
        for i in range(args.cold):
            os.environ["CS231N_CACHE_DIR"] = str(Path(root) / f"cold-{i}")
            cold.append(timed_load(path))
        warm = [timed_load(path) for _ in range(args.warm)]

        peaks = {}
        for dtype in ("float32", "float64"):
            child = subprocess.run(
                [sys.executable, __file__, "--peak", dtype],
                capture_output=True,
                text=True,
                check=True,
                env=os.environ,
            )
            peaks[dtype] = json.loads(child.stdout)

    cold_s, warm_s = statistics.median(cold), statistics.median(warm)
    print(f"CIFAR-10 at {path}")
    print()
    print("| load_cifar10                  | median (s) | repeats |")
    print("| ----------------------------- | ---------- | ------- |")
    print(f"| cold (unpickle + write cache) | {cold_s:10.3f} | {len(cold):7d} |")
    print(f"| warm (memory-map the cache)   | {warm_s:10.4f} | {len(warm):7d} |")
    print(f"| speedup                       | {cold_s / warm_s:9.0f}x |         |")
    print()
    print(
        "| get_cifar10_data | time (s) | arrays returned (MB) | numpy peak (MB) "
        "| process peak RSS (MB) | RSS before (MB) |"
    )
    print(
        "| ---------------- | -------- | -------------------- | --------------- "
        "| --------------------- | --------------- |"
    )
    for dtype, p in peaks.items():
        print(
            f"| {dtype:16s} | {p['seconds']:8.2f} | {p['result_mb']:20.0f} "
            f"| {p['traced_peak_mb']:15.0f} | {p['rss_peak_mb']:21.0f} "
            f"| {p['rss_before_mb']:15.0f} |"
        )


if __name__ == "__main__":
    main()
