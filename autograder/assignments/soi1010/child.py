"""The SOI1010 edition's operations, run by the sandbox's child (trusted code that shares
its process with student code, so the parent believes nothing it says about itself).

Arrays arrive as numpy (the inputs listed as `shared` in assignment.toml are the shared
memory the parent watches) and reach student code as CPU tensors that are views of them,
so an in-place change of an input is seen by the parent. Results go back as numpy copies.
The losses run with autograd on (this edition allows it): the child calls backward() on
the student's loss and returns the gradients of its inputs, which the parent compares with
its own oracle. The settings file is read here as JSON numbers only.

The sandbox's child calls `operations(harness, lib)` once, with `lib` the operations'
library `autograder.sandbox.oplib`.
"""

from __future__ import annotations

import json
import math
import time

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

# One thread: the sandbox allows no new threads (RLIMIT_NPROC), and CPU time is what counts.
torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass

# What the notebook's import cell gives every definition (its `device` is the CPU here:
# the grader asks for the device it wants through each call's `device` argument).
NAMES = {"torch": torch, "nn": nn, "np": np, "F": torch.nn.functional, "optim": torch.optim,
         "json": json, "time": time, "DataLoader": DataLoader, "TensorDataset": TensorDataset,
         "device": "cpu"}
# The settings file's sections and the numbers each holds (lists: one per class).
SECTIONS = {"binary": ("positive", "negative", "lam", "lr", "batch_size", "epochs"),
            "one_vs_all": ("lam", "lr", "batch_size", "epochs"),
            "softmax": ("lr", "batch_size", "epochs", "weight_decay")}
LISTS = ("lam", "lr")
NUM_CLASSES = 10


def read_section(path: str, name: str, section: str, error: type[Exception]) -> dict:
    """Section `section` of the JSON settings file at `path`: plain numbers (lists of
    NUM_CLASSES numbers for one_vs_all's lam and lr), or `error` saying what is wrong."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError, RecursionError) as exc:
        # A JSON nested too deep for the parser is the file's problem, not the grader's.
        raise error(f"{name} is not a JSON file ({type(exc).__name__})") from None
    part = raw.get(section) if isinstance(raw, dict) else None
    if not isinstance(part, dict):
        raise error(f"{name} has no object {section!r}: the search cells write "
                    f"{{\"binary\": {{...}}, \"one_vs_all\": {{...}}, \"softmax\": {{...}}}}")
    missing = [key for key in SECTIONS[section] if key not in part]
    if missing:
        raise error(f"{name}'s {section!r} lacks {', '.join(missing)}: it holds "
                    f"{', '.join(SECTIONS[section])}")
    out: dict = {}
    for key in SECTIONS[section]:
        what = f"{section}.{key} in {name}"
        if section == "one_vs_all" and key in LISTS:
            value = part[key]
            if not isinstance(value, list) or len(value) != NUM_CLASSES:
                raise error(f"{what} is {str(value)[:60]!r}, expected a list of "
                            f"{NUM_CLASSES} numbers (one per class)")
            out[key] = np.array([finite(v, f"entry {i} of {what}", error)
                                 for i, v in enumerate(value)], dtype=np.float64)
        else:
            out[key] = finite(part[key], what, error)
    return out


def finite(value: object, what: str, error: type[Exception]) -> float:
    # An integer too large for a float (10**400) is no finite number either.
    if isinstance(value, bool) or not isinstance(value, int | float) \
            or not math.isfinite(float(value) if abs(value) < 1e308 else math.inf):
        raise error(f"{what} is {str(value)[:40]!r}, expected a finite number")
    return float(value)


def operations(h, lib) -> dict:
    """The operations of this assignment, bound to harness `h`."""

    def student(name: str) -> object:
        return h.frozen_or_missing(name, name)

    def shared(a: dict, *keys: str) -> list[torch.Tensor]:
        return [torch.from_numpy(h.shared_array(*a["inputs"][k])) for k in keys]

    def array(value: object, what: str) -> np.ndarray:
        """A numpy copy of a tensor the student returned (moved to the CPU: where it was is
        reported apart, by the training operations)."""
        if not isinstance(value, torch.Tensor):
            raise lib.StudentError(f"{what} is {lib.kind(value)}, expected a torch tensor")
        value = value.detach().cpu()
        if value.is_complex():
            raise lib.StudentError(f"{what} has dtype {value.dtype}, expected a real tensor")
        if value.dtype == torch.bool:
            value = value.to(torch.int64)
        return lib.as_array(value.contiguous().numpy().copy(), what)

    def pair(result: object, label: str, names: tuple[str, ...]) -> tuple:
        if not isinstance(result, (tuple, list)) or len(result) != len(names):
            raise lib.StudentError(f"{label} returned {lib.kind(result)}, expected "
                                   f"({', '.join(names)})")
        return tuple(result)

    def split(a: dict) -> dict:
        result = lib.call("split_train_val", student("split_train_val"), a["num_examples"],
                          a["val_fraction"], a["seed"])
        train, val = pair(result, "split_train_val", ("train_idx", "val_idx"))
        return {"train": array(train, "the training indices from split_train_val"),
                "val": array(val, "the validation indices from split_train_val")}

    def normalize(a: dict) -> dict:
        X_train, X_val, X_test = shared(a, "X_train", "X_val", "X_test")
        result = lib.call("normalize_splits", student("normalize_splits"),
                          X_train, X_val, X_test)
        out = pair(result, "normalize_splits", ("X_train", "X_val", "X_test"))
        return {k: array(v, f"the normalized {k} split from normalize_splits")
                for k, v in zip(("train", "val", "test"), out, strict=True)}

    def binary_subset(a: dict) -> dict:
        X, y = shared(a, "X", "y")
        result = lib.call("binary_subset", student("binary_subset"), X, y, a["positive_class"],
                          a["negative_class"])
        X_sub, y_sub = pair(result, "binary_subset", ("X", "y"))
        return {"X": array(X_sub, "the rows from binary_subset"),
                "y": array(y_sub, "the labels from binary_subset")}

    def gradient(loss: object, label: str, *inputs: torch.Tensor) -> list[np.ndarray]:
        """d loss / d each input, by autograd through the student's computation."""
        if not isinstance(loss, torch.Tensor):
            raise lib.StudentError(f"{label} returned {lib.kind(loss)}, expected a 0-dim "
                                   "tensor")
        if loss.numel() != 1:
            raise lib.StudentError(f"{label} returned a tensor of shape "
                                   f"{tuple(loss.shape)}, expected a single number (0-dim)")
        if not loss.requires_grad:
            raise lib.StudentError(f"the loss from {label} is not differentiable (no "
                                   "grad_fn): keep it a tensor computed from the inputs, "
                                   "without .item(), .detach(), .numpy() or torch.tensor(...)")
        lib.call(f"backward() of the loss from {label}", loss.reshape(()).backward)
        return [np.zeros(x.shape) if x.grad is None else
                array(x.grad, f"the gradient of the loss from {label}") for x in inputs]

    def number(loss: torch.Tensor, label: str) -> float:
        return lib.as_float(loss.detach().cpu().reshape(-1)[0].item(), f"the loss from {label}")

    def hinge_loss(a: dict) -> dict:
        scores, y, w = shared(a, "margin_scores", "y", "w")
        scores.requires_grad_(True)
        w.requires_grad_(True)
        with torch.enable_grad():
            loss = lib.call("hinge_loss", student("hinge_loss"), scores, y, w, a["lam"])
            dscores, dw = gradient(loss, "hinge_loss", scores, w)
        return {"loss": number(loss, "hinge_loss"), "dscores": dscores, "dw": dw}

    def cross_entropy(a: dict) -> dict:
        logits, y = shared(a, "logits", "y")
        logits.requires_grad_(True)
        with torch.enable_grad():
            loss = lib.call("softmax_cross_entropy", student("softmax_cross_entropy"),
                            logits, y)
            (dlogits,) = gradient(loss, "softmax_cross_entropy", logits)
        return {"loss": number(loss, "softmax_cross_entropy"), "dlogits": dlogits}

    def trained(name: str, model: object, device: str) -> dict:
        weight, bias = getattr(model, "weight", None), getattr(model, "bias", None)
        if not isinstance(model, nn.Module) or not isinstance(weight, torch.Tensor) \
                or not isinstance(bias, torch.Tensor):
            raise lib.StudentError(f"{name} returned {lib.kind(model)}, expected the trained "
                                   "nn.Linear (with its weight and bias)")
        on = all(p.device.type == torch.device(device).type for p in (weight, bias))
        return {"W": array(weight, f"the weight of the model from {name}").reshape(
                    weight.shape[0], -1),
                "b": array(bias, f"the bias of the model from {name}").reshape(-1),
                "out_features": int(weight.shape[0]), "on_device": int(on)}

    def train_svm(a: dict) -> dict:
        torch.manual_seed(a["seed"])
        X, y = torch.from_numpy(a["X"]), torch.from_numpy(a["y"])
        model = lib.call("train_svm", student("train_svm"), X, y, a["lam"], a["lr"],
                         a["batch_size"], a["epochs"], seed=a["seed"], device=a["on_device_named"])
        return trained("train_svm", model, a["on_device_named"])

    def train_softmax(a: dict) -> dict:
        torch.manual_seed(a["seed"])
        X, y = torch.from_numpy(a["X"]), torch.from_numpy(a["y"])
        model = lib.call("train_softmax", student("train_softmax"), X, y, a["lr"],
                         a["batch_size"], a["epochs"], weight_decay=a["weight_decay"],
                         seed=a["seed"], device=a["on_device_named"])
        return trained("train_softmax", model, a["on_device_named"])

    def one_vs_all_labels(a: dict) -> dict:
        (y,) = shared(a, "y")
        labels = lib.call("one_vs_all_labels", student("one_vs_all_labels"), y,
                          a["num_classes"])
        return {"labels": array(labels, "the labels from one_vs_all_labels")}

    def one_vs_all_predict(a: dict) -> dict:
        W, b, X = shared(a, "W", "b", "X")
        models = []
        for k in range(W.shape[0]):
            model = nn.Linear(W.shape[1], 1, dtype=W.dtype)
            with torch.no_grad():
                model.weight.copy_(W[k:k + 1])
                model.bias.copy_(b[k:k + 1])
            models.append(model)
        with torch.no_grad():
            y_pred = lib.call("one_vs_all_predict", student("one_vs_all_predict"), models, X)
        return {"y_pred": array(y_pred, "the predictions of one_vs_all_predict")}

    def settings(section: str) -> object:
        def read(a: dict) -> dict:
            name = str(a["name"])
            path = h.model_files.get(name)
            if path is None:
                raise lib.StudentError(f"{name[:60]} is not in the submission: run the "
                                       "search cells, which write it, and submit it")
            found = read_section(path, name, section, lib.StudentError)
            # positive / negative cross as positive_class / negative_class.
            return {f"{k}_class" if k in ("positive", "negative") else k: v
                    for k, v in found.items()}
        return read

    return {"split_train_val": split, "normalize_splits": normalize, "binary_subset": binary_subset,
            "hinge_loss": hinge_loss, "cross_entropy": cross_entropy,
            "train_svm": train_svm, "train_softmax": train_softmax,
            "one_vs_all_labels": one_vs_all_labels, "one_vs_all_predict": one_vs_all_predict,
            "binary_settings": settings("binary"),
            "one_vs_all_settings": settings("one_vs_all"),
            "softmax_settings": settings("softmax")}
