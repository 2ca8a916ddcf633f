"""The NumPy assignment's operations, run by the sandbox's child (trusted code that shares
its process with student code, so the parent believes nothing it says about itself).

The sandbox copies this file into the child beside its harness (`autograder.sandbox`),
which loads it before it confines itself and calls `operations(harness, lib)` once:
`harness` holds the student's frozen definitions, the trusted classes and the model
files (`frozen_or_missing`, `trusted_or_missing`, `shared_array`, `model_files`), and
`lib` is the operations' library, `autograder.sandbox.oplib` (`StudentError`, `call`,
`as_array`, `as_float`, `kind`, `type_name`); the in-kernel mode passes the same library.
Each operation takes the request's arguments and returns plain data for the parent,
which checks it against [operations] in assignment.toml.
"""

from __future__ import annotations

import numpy as np

LOSS_FUNCTIONS = ("svm_loss_naive", "svm_loss_vectorized", "softmax_loss_naive",
                  "softmax_loss_vectorized")
CLASS_LOSS = {"LinearSVM": "svm_loss_vectorized", "Softmax": "softmax_loss_vectorized"}
MODEL_FILES = ("svm_best.npz", "softmax_best.npz")
MODEL_FIELDS = ("W", "learning_rate", "reg", "num_iters", "batch_size")


def operations(h, lib) -> dict:
    """The operations of this assignment, bound to harness `h`."""

    def function(name: object) -> object:
        if name not in LOSS_FUNCTIONS:
            raise lib.StudentError(f"unknown loss function {str(name)[:40]!r}")
        return h.frozen_or_missing(name, name)

    def classifier(name: object, W: np.ndarray | None, training: bool = True) -> object:
        """A fresh trusted subclass `name`; training also needs the loss it calls."""
        if name not in CLASS_LOSS:
            raise lib.StudentError(f"unknown classifier {str(name)[:40]!r}")
        cls = h.trusted_or_missing(name)
        loss = CLASS_LOSS[name]
        if training:
            try:
                h.frozen_or_missing(loss, loss)
            except lib.StudentError as problem:
                raise lib.StudentError(f"{name} cannot train, since its loss uses {loss}: "
                                       f"{problem}") from None
        clf = lib.call(f"{name}()", cls)
        if W is not None:
            clf.W = W
        return clf

    def loss(a: dict) -> dict:
        """Every loss call, checked or timed alike: W, X, y come from the shared input
        memory that the parent filled after reading the clock, and compares afterwards."""
        fn = function(a["fn"])
        W, X, y = (h.shared_array(*a["inputs"][k]) for k in ("W", "X", "y"))
        result = lib.call(a["fn"], fn, W, X, y, a["reg"])
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise lib.StudentError(f"{a['fn']} returned {lib.kind(result)}, expected "
                                   "(loss, dW)")
        value = lib.as_float(result[0], f"the loss from {a['fn']}")
        return {"loss": value, "dW": lib.as_array(result[1], f"the gradient dW from {a['fn']}")}

    def train(a: dict) -> dict:
        np.random.seed(a["seed"])
        clf = classifier(a["cls"], a.get("W0"))
        history = lib.call(f"{a['cls']}.train", clf.train, a["X"], a["y"],
                           learning_rate=a["learning_rate"], reg=a["reg"],
                           num_iters=a["num_iters"], batch_size=a["batch_size"], verbose=False)
        return {"loss_history": history_array(a["cls"], history),
                "W": lib.as_array(getattr(clf, "W", None), f"{a['cls']}.W after train")}

    def predict(a: dict) -> dict:
        clf = classifier(a["cls"], a["W"], training=False)
        y_pred = lib.call(f"{a['cls']}.predict", clf.predict, a["X"])
        return {"y_pred": lib.as_array(y_pred, f"{a['cls']}.predict's result")}

    def saved_weights(a: dict) -> dict:
        name = a["name"]
        path = h.model_files.get(name) if name in MODEL_FILES else None
        if path is None:
            raise lib.StudentError(f"{str(name)[:40]} is not in the submission: run the "
                                   "hyperparameter search cell, which saves it, and submit it")
        try:
            with np.load(path, allow_pickle=False) as npz:
                fields = {k: npz[k] for k in MODEL_FIELDS if k in npz.files}
        except Exception as exc:
            raise lib.StudentError(f"{name} cannot be read as an .npz of arrays "
                                   f"({lib.type_name(exc)}: {str(exc)[:200]}); save it again "
                                   "with save_best_model") from None
        missing = [k for k in MODEL_FIELDS if k not in fields]
        if missing:
            raise lib.StudentError(f"{name} lacks {', '.join(missing)}: save it with "
                                   "save_best_model(...)")
        out: dict = {"W": lib.as_array(fields["W"], f"W in {name}")}
        for key in ("learning_rate", "reg"):
            out[key] = lib.as_float(fields[key], f"{key} in {name}")
        for key in ("num_iters", "batch_size"):
            number = lib.as_float(fields[key], f"{key} in {name}")
            if not number.is_integer():
                raise lib.StudentError(f"{key} in {name} is {number}, expected a whole number")
            out[key] = int(number)
        return out

    def history_array(cls: str, history: object) -> np.ndarray:
        if not isinstance(history, (list, tuple, np.ndarray)):
            raise lib.StudentError(f"{cls}.train returned {lib.kind(history)}, expected the "
                                   "loss history (a list with one loss per iteration)")
        if len(history) > 10**6:
            raise lib.StudentError(f"{cls}.train returned a loss history of {len(history)} "
                                   "entries")
        return np.array([lib.as_float(v, f"entry {i} of the loss history from {cls}.train")
                         for i, v in enumerate(history)], dtype=np.float64)

    return {"loss": loss, "train": train, "predict": predict, "saved_weights": saved_weights}
