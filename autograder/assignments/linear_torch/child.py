"""The PyTorch edition's operations, run by the sandbox's child (trusted code that shares
its process with student code, so the parent believes nothing it says about itself).

Arrays arrive as numpy (the loss inputs in the shared memory the parent watches) and
reach student code as CPU tensors that are views of them (`torch.from_numpy`), so an
in-place change of an input is seen by the parent. Results go back as numpy copies.
Graded calls run under `torch.no_grad()`: a `backward()` there fails with a message that
says the gradient must be computed by hand (the parent's rules on the source are what
count; this only makes the failure readable). Saved models are read here, never in the
parent, with `torch.load(weights_only=True)`: no pickled code runs.

As in the NumPy edition, the sandbox's child calls `operations(harness, lib)` once, with
`lib` the operations' library `autograder.sandbox.oplib` (`StudentError`, `call`,
`as_array`, `as_float`, `kind`, `type_name`), never the harness module itself.
"""

from __future__ import annotations

import numpy as np
import torch

# One thread: the sandbox allows no new threads (RLIMIT_NPROC), and CPU time is what counts.
# (Imported in a notebook's kernel by the in-kernel mode, after torch has run, the
# inter-op pool can no longer be sized: that mode sets the intra-op threads per call.)
torch.set_num_threads(1)
try:
    torch.set_num_interop_threads(1)
except RuntimeError:
    pass

# What the notebook's import cell gives every definition.
NAMES = {"torch": torch}

LOSS_FUNCTIONS = ("svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive",
                  "softmax_loss_vectorized")
CLASS_LOSS = {"LinearSVM": "svm_loss_vectorized", "Softmax": "softmax_loss_vectorized"}
SEARCH = ("svm_get_search_params", "softmax_get_search_params")
MODEL_FILES = ("svm_best_model.pt", "softmax_best_model.pt")
HYPERPARAMETERS = ("learning_rate", "reg", "num_iters", "batch_size")

AUTOGRAD_SIGNS = ("does not require grad", "grad_fn", "backward", "autograd")
DEVICE_SIGNS = ("CUDA", "cuda", "NVIDIA", "device")


def operations(h, lib) -> dict:
    """The operations of this assignment, bound to harness `h`."""

    def student(name: str) -> object:
        return h.frozen_or_missing(name, name)

    def tensor(array: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(array)

    def graded(label: str, fn: object, *args: object) -> object:
        """Call student code without autograd, naming autograd or a device in the error."""
        with torch.no_grad():
            try:
                return lib.call(label, fn, *args)
            except lib.StudentError as exc:
                text = str(exc)
                if any(sign in text for sign in AUTOGRAD_SIGNS):
                    text += (": graded functions run without autograd; compute the "
                             "gradient by hand (no backward(), no torch.autograd)")
                elif any(sign in text for sign in DEVICE_SIGNS):
                    text += (": work on the device of the inputs (device=X.device), without "
                             ".cuda(), .cpu() or .to(device)")
                raise lib.StudentError(text) from None

    def array(value: object, what: str) -> np.ndarray:
        """A numpy copy of a tensor the student returned."""
        if not isinstance(value, torch.Tensor):
            raise lib.StudentError(f"{what} is {lib.kind(value)}, expected a torch tensor")
        value = value.detach()
        if value.device.type != "cpu":
            raise lib.StudentError(f"{what} is on {value.device}, but the inputs were on the "
                                   "CPU: keep results on the inputs' device")
        if value.is_complex() or value.dtype == torch.bool:
            raise lib.StudentError(f"{what} has dtype {value.dtype}, expected a real tensor")
        return lib.as_array(value.contiguous().numpy().copy(), what)

    def number(value: object, what: str) -> float:
        if isinstance(value, torch.Tensor):
            if value.numel() != 1:
                raise lib.StudentError(f"{what} is a tensor of shape {tuple(value.shape)}, "
                                       "expected a single number")
            value = value.detach().cpu().reshape(-1)[0].item()
        return lib.as_float(value, what)

    def pair(result: object, label: str, first: str, second: str) -> tuple:
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise lib.StudentError(f"{label} returned {lib.kind(result)}, expected "
                                   f"({first}, {second})")
        return result[0], result[1]

    def loss(a: dict) -> dict:
        """Every loss call, checked or timed alike: W, X, y are views of the shared input
        memory that the parent filled after reading the clock, and compares afterwards."""
        if a["fn"] not in LOSS_FUNCTIONS:
            raise lib.StudentError(f"unknown loss function {str(a['fn'])[:40]!r}")
        fn = student(a["fn"])
        W, X, y = (tensor(h.shared_array(*a["inputs"][k])) for k in ("W", "X", "y"))
        value, dW = pair(graded(a["fn"], fn, W, X, y, a["reg"]), a["fn"], "loss", "dW")
        return {"loss": number(value, f"the loss from {a['fn']}"),
                "dW": array(dW, f"the gradient dW from {a['fn']}")}

    def loss_of(cls: object) -> object:
        if cls not in CLASS_LOSS:
            raise lib.StudentError(f"unknown classifier {str(cls)[:40]!r}")
        name = CLASS_LOSS[cls]
        try:
            return student(name)
        except lib.StudentError as problem:
            raise lib.StudentError(f"{cls} cannot train, since its loss uses {name}: "
                                   f"{problem}") from None

    def trained(cls: str, W0: object, X: torch.Tensor, y: torch.Tensor, a: dict) -> tuple:
        torch.manual_seed(a["seed"])
        fn = student("train_linear_classifier")
        result = graded("train_linear_classifier", fn, loss_of(cls), W0, X, y,
                        a["learning_rate"], a["reg"], a["num_iters"], a["batch_size"], False)
        return pair(result, "train_linear_classifier", "W", "loss_history")

    def train(a: dict) -> dict:
        W0 = None if a.get("W0") is None else tensor(a["W0"])
        W, history = trained(a["cls"], W0, tensor(a["X"]), tensor(a["y"]), a)
        return {"loss_history": history_array(history),
                "W": array(W, "W from train_linear_classifier")}

    def predict(a: dict) -> dict:
        fn = student("predict_linear_classifier")
        y_pred = graded("predict_linear_classifier", fn, tensor(a["W"]), tensor(a["X"]))
        return {"y_pred": array(y_pred, "the result of predict_linear_classifier")}

    def saved_weights(a: dict) -> dict:
        name = a["name"]
        path = h.model_files.get(name) if name in MODEL_FILES else None
        if path is None:
            raise lib.StudentError(f"{str(name)[:40]} is not in the submission: run the "
                                   "hyperparameter search cell, which saves it, and submit it")
        try:
            saved = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as exc:
            raise lib.StudentError(
                f"{name} cannot be read with torch.load(weights_only=True) "
                f"({lib.type_name(exc)}: {str(exc)[:300]}); save a dict of tensors and "
                "numbers with torch.save, as the search cell does") from None
        if not isinstance(saved, dict):
            raise lib.StudentError(f"{name} holds {lib.kind(saved)}, expected a dict with W "
                                   "and the hyperparameters")
        missing = [k for k in ("W", *HYPERPARAMETERS) if k not in saved]
        if missing:
            raise lib.StudentError(f"{name} lacks {', '.join(missing)}: save it with the "
                                   "search cell's torch.save({...})")
        out: dict = {"W": array(saved["W"], f"W in {name}")}
        for key in HYPERPARAMETERS:
            value = number(saved[key], f"{key} in {name}")
            if key in ("num_iters", "batch_size"):
                if not value.is_integer():
                    raise lib.StudentError(f"{key} in {name} is {value}, expected a whole "
                                           "number")
                value = int(value)
            out[key] = value
        return out

    def sample_batch(a: dict) -> dict:
        torch.manual_seed(a["seed"])
        fn = student("sample_batch")
        result = graded("sample_batch", fn, tensor(a["X"]), tensor(a["y"]), a["num_train"],
                        a["batch_size"])
        X_batch, y_batch = pair(result, "sample_batch", "X_batch", "y_batch")
        return {"X_batch": array(X_batch, "X_batch from sample_batch"),
                "y_batch": array(y_batch, "y_batch from sample_batch")}

    def search_params(a: dict) -> dict:
        if a["fn"] not in SEARCH:
            raise lib.StudentError(f"unknown function {str(a['fn'])[:40]!r}")
        result = graded(a["fn"], student(a["fn"]))
        rates, strengths = pair(result, a["fn"], "learning_rates",
                                "regularization_strengths")
        return {"learning_rates": values(rates, f"the learning rates from {a['fn']}"),
                "regularization_strengths": values(
                    strengths, f"the regularization strengths from {a['fn']}")}

    def one_param_set(a: dict) -> dict:
        fn = student("test_one_param_set")
        clf = lib.call("LinearSVM()", h.trusted_or_missing("LinearSVM"))
        data = {k: tensor(a[k]) for k in ("X_train", "y_train", "X_val", "y_val")}
        torch.manual_seed(a["seed"])
        result = graded("test_one_param_set", fn, clf, data, a["lr"], a["reg"],
                        a["num_iters"])
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise lib.StudentError(f"test_one_param_set returned {lib.kind(result)}, "
                                   "expected (cls, train_acc, val_acc)")
        model, train_acc, val_acc = result
        return {"W": array(getattr(model, "W", None), "cls.W after test_one_param_set"),
                "train_acc": number(train_acc, "train_acc from test_one_param_set"),
                "val_acc": number(val_acc, "val_acc from test_one_param_set")}

    def values(seq: object, what: str) -> np.ndarray:
        # An array or a tensor is as good as a list: the notebook's search loops over it.
        if isinstance(seq, torch.Tensor):
            seq = seq.detach().cpu().reshape(-1).tolist()
        elif isinstance(seq, np.ndarray) and seq.dtype.kind in "iuf" and seq.size <= 1000:
            seq = seq.reshape(-1).tolist()
        if isinstance(seq, (list, tuple)) and not seq:
            raise lib.StudentError(f"{what} is an empty list: put in the values the search "
                                   "should try")
        if not isinstance(seq, (list, tuple)) or not 0 < len(seq) <= 1000:
            raise lib.StudentError(f"{what} is {lib.kind(seq)}, expected a list of numbers")
        return np.array([number(v, f"entry {i} of {what}") for i, v in enumerate(seq)],
                        dtype=np.float64)

    def history_array(history: object) -> np.ndarray:
        if isinstance(history, torch.Tensor):
            history = history.detach().cpu().reshape(-1).tolist()
        if not isinstance(history, (list, tuple)):
            raise lib.StudentError(f"train_linear_classifier returned {lib.kind(history)} as "
                                   "loss_history, expected a list with one loss per iteration")
        if len(history) > 10**6:
            raise lib.StudentError(f"train_linear_classifier returned a loss history of "
                                   f"{len(history)} entries")
        return np.array([number(v, f"entry {i} of the loss history") for i, v in
                         enumerate(history)], dtype=np.float64)

    return {"loss": loss, "train": train, "predict": predict, "saved_weights": saved_weights,
            "sample_batch": sample_batch, "search_params": search_params,
            "one_param_set": one_param_set}
