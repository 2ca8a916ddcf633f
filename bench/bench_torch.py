"""The PyTorch edition's speeds: naive vs vectorized losses, and a 1,500-iteration training
run, on the CPU (and on a GPU where torch sees one), with the source notebook's own
solution functions on the real dev set and training split.

    python bench/bench_torch.py [--repeats 5] [--threads 1]

Prints medians over the repeats, measured side by side in one run: CPU seconds per call
on the CPU (one intra-op thread by default, as in the grader's sandbox), wall seconds
(after torch.cuda.synchronize) on a GPU. The speedups are what the rubric's speed bands
for linear_torch rest on. CIFAR10_DIR must point at the data.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from tqdm import tqdm

from autograder.assignment import load as load_assignment
from autograder.release import ROOT
from cs231n_data import get_cifar10_tensors
from cs231n_data.notebook import load_definitions

SPEC = load_assignment("linear_torch")
NOTEBOOK = ROOT / "source" / SPEC.source / "linear_classifier.ipynb"
LOSSES = ("svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive",
          "softmax_loss_vectorized")


def timed(f, device: torch.device) -> float:
    """Seconds of one call: CPU time on the CPU, wall time (synchronized) on a GPU."""
    if device.type == "cuda":
        torch.cuda.synchronize()
        start = time.perf_counter()
        f()
        torch.cuda.synchronize()
        return time.perf_counter() - start
    start = time.process_time()
    f()
    return time.process_time() - start


def median_time(f, device: torch.device, repeats: int) -> float:
    f()  # warm-up (kernels, allocator)
    return statistics.median(timed(f, device) for _ in range(repeats))


def measure(ns: dict, device: torch.device, dtype: torch.dtype, args: argparse.Namespace
            ) -> tuple[dict[str, float], float]:
    """Median seconds per call of each loss, and of one training run, on device/dtype."""
    data = get_cifar10_tensors(dtype=dtype, device=device)
    X, y = data["X_dev"], data["y_dev"]
    W = 1e-4 * torch.randn(X.shape[1], 10, dtype=dtype, device=device,
                           generator=torch.Generator(device).manual_seed(0))
    times = {}
    for name in tqdm(LOSSES, desc=f"{device.type} {str(dtype)[6:]}", leave=False):
        repeats = args.repeats if "naive" in name else 5 * args.repeats
        times[name] = median_time(lambda n=name: ns[n](W, X, y, 5e-3), device, repeats)
    W0 = 1e-6 * torch.randn(X.shape[1], 10, dtype=dtype, device=device)
    train = median_time(lambda: ns["train_linear_classifier"](
        ns["svm_loss_vectorized"], W0.clone(), data["X_train"], data["y_train"],
        5e-3, 5e-2, args.iters, 200), device, 1)
    return times, train


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads (CPU)")
    parser.add_argument("--iters", type=int, default=1500, help="training iterations")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    ns = load_definitions(NOTEBOOK, [*LOSSES, "sample_batch", "train_linear_classifier"],
                          {"torch": torch})
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available()
                                       else [])
    rows = [(device.type, str(dtype)[6:], *measure(ns, device, dtype, args))
            for device in devices for dtype in (torch.float64, torch.float32)]
    X = get_cifar10_tensors()["X_dev"]
    print(f"dev set {tuple(X.shape)}, 10 classes; median seconds per call "
          f"(CPU time, {args.threads} thread(s), on the CPU, wall time on a GPU); "
          f"training: {args.iters} iterations of batch 200 on the 49,000 training images")
    print(f"{'device':6s} {'dtype':8s} {'svm naive':>10s} {'svm vec':>9s} {'speedup':>8s} "
          f"{'sm naive':>10s} {'sm vec':>9s} {'speedup':>8s} {'train s':>8s}")
    for device, dtype, t, train in rows:
        print(f"{device:6s} {dtype:8s} {t['svm_loss_naive'] * 1e3:8.1f}ms "
              f"{t['svm_loss_vectorized'] * 1e3:7.2f}ms "
              f"{t['svm_loss_naive'] / t['svm_loss_vectorized']:7.0f}x "
              f"{t['softmax_loss_naive'] * 1e3:8.1f}ms "
              f"{t['softmax_loss_vectorized'] * 1e3:7.2f}ms "
              f"{t['softmax_loss_naive'] / t['softmax_loss_vectorized']:7.0f}x {train:8.1f}")


if __name__ == "__main__":
    main()
