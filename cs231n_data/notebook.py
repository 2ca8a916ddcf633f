"""Helpers the assignment notebooks call: reuse cells across notebooks, time code, save a model.

Only the standard library and numpy are used (torch only to save a ".pt" model), so the
helpers work in a student's plain Jupyter environment.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np


def load_definitions(
    notebook_path: str | Path,
    grade_ids: Iterable[str],
    namespace: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Run the named nbgrader cells of another notebook and return what they defined.

    softmax.ipynb uses this to reuse the ``LinearClassifier`` you wrote in svm.ipynb
    without running svm.ipynb's training cells.

    Inputs:
    - notebook_path: path of the notebook, e.g. "svm.ipynb".
    - grade_ids: the nbgrader ids of the cells to run, in order, e.g. ["linear_classifier"].
    - namespace: the dict to run them in (default: a fresh one with numpy as ``np``).

    Returns the namespace after running the cells.
    """
    path = _while_autograding(Path(notebook_path))
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} not found: keep svm.ipynb and softmax.ipynb in the same folder"
        ) from None
    by_id = {
        cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"): cell for cell in cells
    }
    ns: dict[str, Any] = {"np": np} if namespace is None else namespace
    for grade_id in grade_ids:
        if grade_id not in by_id:
            raise KeyError(
                f"{path} has no cell '{grade_id}': do not delete or copy-paste over the "
                "assignment's cells; download a fresh copy and move your code into it"
            )
        source = by_id[grade_id]["source"]
        if isinstance(source, list):
            source = "".join(source)
        exec(compile(source, f"{path.name}[{grade_id}]", "exec"), ns)
    return ns


def _while_autograding(path: Path) -> Path:
    """Where a sibling notebook is while `nbgrader autograde` runs this one.

    nbgrader autogrades the notebooks of a submission one at a time, in name order, copying
    each into autograded/<student>/<assignment>/ just before running it: softmax.ipynb runs
    before svm.ipynb is there. The student's svm.ipynb is then still in submitted/.
    """
    if path.exists() or os.environ.get("NBGRADER_EXECUTION") != "autograde":
        return path
    parts = path.resolve().parts
    if "autograded" not in parts:
        return path
    i = len(parts) - 1 - parts[::-1].index("autograded")
    submitted = Path(*parts[:i], "submitted", *parts[i + 1:])
    return submitted if submitted.exists() else path


def time_function(f: Callable[..., Any], *args: Any, repeats: int = 5) -> float:
    """Median wall-clock seconds of ``repeats`` calls of ``f(*args)``.

    The median ignores the odd slow call when something else briefly takes the CPU.
    """
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        f(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def save_best_model(
    path: str | Path,
    model: Any,
    *,
    learning_rate: float,
    reg: float,
    num_iters: int,
    batch_size: int,
    val_accuracy: float,
) -> None:
    """Save the best model's weights and the hyperparameters that produced them.

    The autograder scores these weights on CIFAR-10 and retrains a fresh model with the
    same hyperparameters, so save exactly what you trained ``model`` with.

    A path ending in ".pt" (the PyTorch edition) is written with ``torch.save`` as a dict
    of the weights (a CPU tensor) and plain numbers, which ``torch.load(path,
    weights_only=True)`` reads back; any other path is an .npz of arrays.

    Inputs:
    - path: where to write, e.g. "svm_best.npz" or "svm_best_model.pt" (next to the
      notebook, submitted with it).
    - model: a trained LinearClassifier; ``model.W`` (an array or a tensor) has shape
      (D, C) = (3073, 10).
    - learning_rate, reg, num_iters, batch_size: the hyperparameters of ``model.train``.
    - val_accuracy: the validation accuracy you measured for ``model``.
    """
    W = getattr(model, "W", None)
    if W is None:
        raise ValueError("the model has no weights yet: call model.train(...) before saving it")
    if hasattr(W, "detach"):  # a torch tensor, on any device
        W = W.detach().cpu().double().numpy()
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"model.W should have shape (D, C), got {W.shape}")
    path = Path(path)
    if path.suffix == ".pt":
        import torch

        torch.save({"W": torch.from_numpy(W), "learning_rate": float(learning_rate),
                    "reg": float(reg), "num_iters": int(num_iters),
                    "batch_size": int(batch_size), "val_accuracy": float(val_accuracy)},
                   path)
    else:
        np.savez(
        path,
            W=W,
            learning_rate=np.float64(learning_rate),
            reg=np.float64(reg),
            num_iters=np.int64(num_iters),
            batch_size=np.int64(batch_size),
            val_accuracy=np.float64(val_accuracy),
        )
    print(f"saved {path} (W {W.shape}, learning_rate={learning_rate:g}, reg={reg:g}, "
          f"num_iters={num_iters}, batch_size={batch_size}, val accuracy {val_accuracy:.3f})")
