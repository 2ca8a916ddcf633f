"""The two-layer network's operations, run by the sandbox's child (trusted code that shares
its process with student code, so the parent believes nothing it says about itself).

The harness copies this file beside itself and calls `operations(harness, lib)` once:
`harness` holds the student's frozen definitions and the trusted classes, `lib` the
operations' library (`StudentError`, `call`, `as_array`, `as_float`, `kind`). Each
operation takes the request's arguments and returns plain data for the parent, which
checks it against [operations] in assignment.toml and compares it with its oracle.

The saved model (CS231n's `TwoLayerNet.save`: `np.save` of the dict `self.params`, a
pickle inside a .npy file) is read by `load_params`, which admits only a dict of numeric
arrays: numpy's own header parser, then an unpickler that knows two names (numpy's array
reconstruction and its dtype) and nothing else.
"""

from __future__ import annotations

import io
import json
import math
import pickle

import numpy as np

# grade_id -> the functions its cell defines (what `function` hands out).
CELL_OF = {"affine_forward": "affine_forward", "affine_backward": "affine_backward",
           "relu_forward": "relu_forward", "relu_backward": "relu_backward",
           "softmax_loss": "softmax_loss", "affine_relu_forward": "layer_utils",
           "affine_relu_backward": "layer_utils"}
PARAMS = ("W1", "b1", "W2", "b2")
SETTINGS = ("hidden_size", "learning_rate", "lr_decay", "reg", "num_epochs", "batch_size")
# The trusted subclass (assignment.toml's [trusted]): TwoLayerNet as the cells left it.
NET = "GradedTwoLayerNet"
# What a pickled numpy array names: its reconstruction function (numpy 1.x and 2.x
# spellings) and the classes it rebuilds. Nothing else is ever imported by the loader.
ARRAY_GLOBALS = {("numpy.core.multiarray", "_reconstruct"),
                 ("numpy._core.multiarray", "_reconstruct"),
                 ("numpy", "ndarray"), ("numpy", "dtype")}


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that rebuilds numpy arrays and plain containers, nothing else."""

    def find_class(self, module: str, name: str) -> object:
        if (module, name) not in ARRAY_GLOBALS:
            raise pickle.UnpicklingError(f"refuses {module}.{name}: only numpy arrays")
        return super().find_class(module, name)


def load_params(path: str, what: str, error: type[Exception]) -> dict[str, np.ndarray]:
    """The dict of numeric arrays that `np.save(path, params)` wrote, or `error` saying
    why the file is not one (never running anything the file names)."""
    with open(path, "rb") as f:
        try:
            version = np.lib.format.read_magic(f)
            read = {(1, 0): np.lib.format.read_array_header_1_0,
                    (2, 0): np.lib.format.read_array_header_2_0}.get(version)
            if read is None:
                raise ValueError(f".npy format version {version}")
            shape, _, dtype = read(f)
        except ValueError as exc:
            raise error(f"{what} is not a .npy file ({str(exc)[:200]}); save it with "
                        "model.save(...) or np.save(path, model.params)") from None
        if dtype != np.dtype(object) or shape != ():
            raise error(f"{what} holds an array of shape {shape} and dtype {dtype}, not the "
                        "dict of parameters: save it with np.save(path, model.params)")
        try:
            holder = ArrayUnpickler(io.BytesIO(f.read())).load()
        except Exception as exc:  # noqa: BLE001 - any malformed payload is the student's
            raise error(f"{what} cannot be read as a dict of arrays ({type(exc).__name__}: "
                        f"{str(exc)[:200]})") from None
    content = holder.item() if isinstance(holder, np.ndarray) and holder.shape == () \
        else holder
    if not isinstance(content, dict):
        raise error(f"{what} holds {type(content).__name__}, not the dict of parameters")
    params = {}
    for key, value in content.items():
        if not isinstance(key, str) or not isinstance(value, np.ndarray) \
                or value.dtype.kind not in "fiu":
            raise error(f"{what}: entry {str(key)[:40]!r} is not a numeric array")
        params[key] = value
    return params


def read_settings(path: str, what: str, error: type[Exception]) -> dict[str, float]:
    """The hyperparameters in the JSON file at `path` (an object of numbers), or `error`."""
    try:
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
    except (OSError, ValueError, RecursionError) as exc:
        # A JSON nested too deep for the parser is the file's problem, not the grader's.
        raise error(f"{what} is not a JSON file ({type(exc).__name__})") from None
    if not isinstance(raw, dict):
        raise error(f"{what} holds {type(raw).__name__}, expected an object of "
                    "hyperparameters")
    missing = [key for key in SETTINGS if key not in raw]
    if missing:
        raise error(f"{what} lacks {', '.join(missing)}: the search cell saves all of "
                    f"{', '.join(SETTINGS)}")
    out = {}
    for key in SETTINGS:
        value = raw[key]
        # An integer too large for a float (10**400) is no finite number either.
        if isinstance(value, bool) or not isinstance(value, int | float) \
                or not math.isfinite(float(value) if abs(value) < 1e308 else math.inf):
            raise error(f"{key} in {what} is {str(value)[:40]!r}, expected a finite number")
        out[key] = float(value)
    return out


def operations(h, lib) -> dict:
    """The operations of this assignment, bound to harness `h`."""

    def function(name: str) -> object:
        return h.frozen_or_missing(name, CELL_OF[name])

    def shared(a: dict, *keys: str) -> list[np.ndarray]:
        return [h.shared_array(*a["inputs"][k]) for k in keys]

    def pair(name: str, result: object, first: str, second: str) -> tuple:
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise lib.StudentError(f"{name} returned {lib.kind(result)}, expected "
                                   f"({first}, {second})")
        return tuple(result)

    def arrays(name: str, result: object, names: tuple[str, ...]) -> dict:
        if not isinstance(result, (tuple, list)) or len(result) != len(names):
            raise lib.StudentError(f"{name} returned {lib.kind(result)}, expected "
                                   f"({', '.join(names)})")
        return {k: lib.as_array(v, f"{k} from {name}") for k, v in zip(names, result, strict=True)}

    def forward(name: str, *args: np.ndarray) -> tuple:
        return pair(name, lib.call(name, function(name), *args), "out", "cache")

    def affine_forward(a: dict) -> dict:
        out, _ = forward("affine_forward", *shared(a, "x", "w", "b"))
        return {"out": lib.as_array(out, "out from affine_forward")}

    def affine_backward(a: dict) -> dict:
        x, w, b, dout = shared(a, "x", "w", "b", "dout")
        _, cache = forward("affine_forward", x, w, b)
        grads = lib.call("affine_backward", function("affine_backward"), dout, cache)
        return arrays("affine_backward", grads, ("dx", "dw", "db"))

    def relu_forward(a: dict) -> dict:
        out, _ = forward("relu_forward", *shared(a, "x"))
        return {"out": lib.as_array(out, "out from relu_forward")}

    def relu_backward(a: dict) -> dict:
        x, dout = shared(a, "x", "dout")
        _, cache = forward("relu_forward", x)
        dx = lib.call("relu_backward", function("relu_backward"), dout, cache)
        return {"dx": lib.as_array(dx, "dx from relu_backward")}

    def softmax_loss(a: dict) -> dict:
        result = lib.call("softmax_loss", function("softmax_loss"), *shared(a, "x", "y"))
        loss, dx = pair("softmax_loss", result, "loss", "dx")
        return {"loss": lib.as_float(loss, "the loss from softmax_loss"),
                "dx": lib.as_array(dx, "dx from softmax_loss")}

    def affine_relu(a: dict) -> dict:
        x, w, b, dout = shared(a, "x", "w", "b", "dout")
        out, cache = forward("affine_relu_forward", x, w, b)
        grads = lib.call("affine_relu_backward", function("affine_relu_backward"), dout, cache)
        return {"out": lib.as_array(out, "out from affine_relu_forward"),
                **arrays("affine_relu_backward", grads, ("dx", "dw", "db"))}

    def net(a: dict, **sizes: object) -> object:
        cls = h.trusted_or_missing(NET)
        return lib.call("TwoLayerNet(...)", cls, input_dim=a["input_dim"],
                        hidden_dim=a["hidden_dim"], num_classes=a["num_classes"], **sizes)

    def params_of(model: object) -> dict:
        params = getattr(model, "params", None)
        if not isinstance(params, dict):
            raise lib.StudentError(f"TwoLayerNet's self.params is {lib.kind(params)}, "
                                   "expected a dict")
        missing = [k for k in PARAMS if k not in params]
        if missing:
            raise lib.StudentError(f"TwoLayerNet's self.params lacks {', '.join(missing)}: "
                                   "__init__ stores W1, b1, W2 and b2 there")
        return params

    def net_init(a: dict) -> dict:
        np.random.seed(a["seed"])
        model = net(a, weight_scale=a["weight_scale"], reg=a["reg"])
        params = params_of(model)
        # A net that keeps no self.reg still has its parameters checked (nan: missing).
        reg = getattr(model, "reg", None)
        return {**{k: lib.as_array(params[k], f"self.params['{k}']") for k in PARAMS},
                "reg": math.nan if reg is None else lib.as_float(reg, "TwoLayerNet's self.reg")}

    def loaded(a: dict, reg: float) -> object:
        # The grader's parameters, in the student's own dict, are the ones the call uses.
        model = net(a, reg=reg)
        params = params_of(model)
        for key, value in zip(PARAMS, shared(a, *PARAMS), strict=True):
            params[key] = value
        return model

    def net_scores(a: dict) -> dict:
        model = loaded(a, 0.0)
        (X,) = shared(a, "X")
        scores = lib.call("TwoLayerNet.loss(X)", model.loss, X)
        return {"scores": lib.as_array(scores, "the scores from TwoLayerNet.loss(X)")}

    def net_loss(a: dict) -> dict:
        model = loaded(a, a["reg"])
        X, y = shared(a, "X", "y")
        result = lib.call("TwoLayerNet.loss(X, y)", model.loss, X, y)
        loss, grads = pair("TwoLayerNet.loss(X, y)", result, "loss", "grads")
        if not isinstance(grads, dict) or any(k not in grads for k in PARAMS):
            raise lib.StudentError(f"the grads from TwoLayerNet.loss(X, y) are "
                                   f"{lib.kind(grads)}, expected a dict with W1, b1, W2, b2")
        return {"loss": lib.as_float(loss, "the loss from TwoLayerNet.loss(X, y)"),
                **{f"d{k}": lib.as_array(grads[k], f"grads['{k}']") for k in PARAMS}}

    def model_path(name: str) -> str:
        path = h.model_files.get(name)
        if path is None:
            raise lib.StudentError(f"{str(name)[:60]} is not in the submission: run the "
                                   "hyperparameter search cell, which saves it, and submit it")
        return path

    def saved_params(a: dict) -> dict:
        params = load_params(model_path(a["name"]), a["name"], lib.StudentError)
        missing = [k for k in PARAMS if k not in params]
        if missing:
            raise lib.StudentError(f"{a['name']} lacks {', '.join(missing)}: save the "
                                   "best model's params (best_model.save(...))")
        return {k: lib.as_array(params[k], f"{k} in {a['name']}") for k in PARAMS}

    def saved_settings(a: dict) -> dict:
        return read_settings(model_path(a["name"]), a["name"], lib.StudentError)

    return {"affine_forward": affine_forward, "affine_backward": affine_backward,
            "relu_forward": relu_forward, "relu_backward": relu_backward,
            "softmax_loss": softmax_loss, "affine_relu": affine_relu,
            "net_init": net_init, "net_scores": net_scores, "net_loss": net_loss,
            "saved_params": saved_params, "saved_settings": saved_settings}
