"""What an assignment's child operations use to call student code and return its values.

The assignment's child.py receives this module as `lib` (`operations(harness, lib)`):
the child copies it beside the harness, and the in-kernel mode passes it too. Its
functions word every problem for the student (`StudentError`), and its conversions
return only plain values the wire carries (`as_float`, `as_array`). It runs in the
child's process, beside student code, so the parent checks everything it returns.

    result = lib.call("svm_loss_naive", fn, W, X, y, reg)      # StudentError on raise
    loss = lib.as_float(result[0], "the loss from svm_loss_naive")
    dW = lib.as_array(result[1], "the gradient dW from svm_loss_naive")
"""

from __future__ import annotations

import traceback

import numpy as np

# Largest single array the harness agrees to send back (the parent has its own caps).
MAX_ARRAY_BYTES = 64 * 2**20
# How describe() words a MemoryError; the child sets it from its limits at start-up.
MEMORY_LIMIT_TEXT = "?"
# Python 2's names and dict methods that Python 3 lacks, and what to use instead.
PYTHON2_NAMES = {"xrange": "range", "raw_input": "input", "unicode": "str",
                 "basestring": "str", "long": "int", "unichr": "chr",
                 "reduce": "functools.reduce", "file": "open", "execfile": "exec",
                 "cmp": "(a > b) - (a < b)"}
PYTHON2_METHODS = {"iteritems": ".items()", "itervalues": ".values()", "iterkeys": ".keys()",
                   "has_key": "the in operator"}


class StudentError(Exception):
    """A problem with what student code returned or defined, worded for the student."""


def type_name(obj: object) -> str:
    try:
        name = type(obj).__name__
        return name if isinstance(name, str) else "object"
    except Exception:
        return "object"


def kind(obj: object) -> str:
    if obj is None:
        return "None"
    if isinstance(obj, (tuple, list)):
        return f"a {type_name(obj)} of {len(obj)} items"
    return f"a {type_name(obj)}"


def as_float(value: object, what: str) -> float:
    """A Python float from a student's number (float, numpy scalar, 0-d or 1-element array)."""
    if isinstance(value, (str, bytes, bool, np.bool_)) or value is None:
        raise StudentError(f"{what} is {kind(value)}, expected a float")
    if isinstance(value, np.ndarray):
        if value.size != 1 or value.dtype.kind not in "fiu":
            raise StudentError(f"{what} is an array of shape {value.shape} and dtype "
                               f"{value.dtype}, expected a single float")
        value = value.reshape(-1)[0]
    if isinstance(value, (complex, np.complexfloating)):
        raise StudentError(f"{what} is a complex number, expected a float")
    try:
        result = float(value)
    except Exception:
        raise StudentError(f"{what} is {kind(value)}, which float() rejects; "
                           "expected a float") from None
    if type(result) is not float:
        raise StudentError(f"{what} is {kind(value)}, expected a float")
    return result


def as_array(value: object, what: str) -> np.ndarray:
    """A plain C-contiguous numpy array of a wire dtype, or StudentError saying why not."""
    if isinstance(value, np.ndarray):
        arr = value.view(np.ndarray)
    elif isinstance(value, (list, tuple)):
        try:
            arr = np.asarray(value)
        except Exception:
            raise StudentError(f"{what} is a {type_name(value)} that is not an array") from None
    else:
        raise StudentError(f"{what} is {kind(value)}, expected a numpy array")
    letter = arr.dtype.kind
    if letter not in "biuf":
        raise StudentError(f"{what} has dtype {arr.dtype}, expected a numeric array")
    target = {"b": np.bool_, "u": np.uint8 if arr.dtype == np.uint8 else np.int64,
              "i": np.int32 if arr.dtype == np.int32 else np.int64,
              "f": np.float32 if arr.dtype == np.float32 else np.float64}[letter]
    nbytes = arr.size * np.dtype(target).itemsize
    if nbytes > MAX_ARRAY_BYTES:
        raise StudentError(f"{what} has shape {arr.shape} ({nbytes} bytes): too large to "
                           f"return (limit {MAX_ARRAY_BYTES} bytes)")
    return np.ascontiguousarray(arr, dtype=np.dtype(target).newbyteorder("<"))


def call(label: str, fn: object, *args: object, **kwargs: object) -> object:
    """Call student code; turn whatever it raises into a StudentError naming `label`."""
    try:
        return fn(*args, **kwargs)
    except StudentError:
        raise
    except BaseException as exc:  # noqa: BLE001 - SystemExit, MemoryError, ...
        raise StudentError(describe(exc, label)) from None


def describe(exc: BaseException, label: str) -> str:
    """'<label> raised KeyError: 3 (svm.ipynb, cell svm_loss_naive, line 12)'."""
    try:
        text = str(exc)[:3000]
    except Exception:
        text = "<unprintable>"
    kind = type_name(exc)
    if isinstance(exc, SystemExit):
        what = f"{label} called sys.exit({text})"
    elif isinstance(exc, MemoryError):
        what = (f"{label} ran out of memory (MemoryError; the memory limit is "
                f"{MEMORY_LIMIT_TEXT})")
    else:
        what = f"{label} raised {kind}: {text}" if text else f"{label} raised {kind}"
    where = ""
    try:
        for frame in reversed(traceback.extract_tb(exc.__traceback__)):
            if frame.filename.startswith("<") and " cell " in frame.filename:
                notebook, _, cell = frame.filename.strip("<>").partition(" cell ")
                where = f" ({notebook}, cell {cell}, line {frame.lineno})"
                break
            if frame.filename.startswith("<") and frame.filename.endswith(".py>"):
                where = f" ({frame.filename.strip('<>')}, line {frame.lineno})"
                break
    except Exception:
        pass
    return what + where + _python2_hint(exc)


def _python2_hint(exc: BaseException) -> str:
    """What to write instead, when `exc` is Python 2 code meeting Python 3."""
    try:
        name = exc.name if type(exc) in (NameError, AttributeError) else None
    except Exception:
        return ""
    if not isinstance(name, str):
        return ""
    if type(exc) is NameError and name in PYTHON2_NAMES:
        return f": {name} is Python 2; this code runs as Python 3: use {PYTHON2_NAMES[name]}"
    if type(exc) is AttributeError and name in PYTHON2_METHODS:
        return (f": .{name}() is Python 2; this code runs as Python 3: use "
                f"{PYTHON2_METHODS[name]}")
    return ""


