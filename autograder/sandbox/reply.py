"""Requests and replies as the parent checks them: arguments against the assignment's
[operations], replies against their schema. A mistake in a request is the grader's bug
(TypeError); anything wrong in a reply is the child's (`ChildFailure`), so student code
can never make the parent raise.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from .wire import WIRE_DTYPES


class ChildFailure(Exception):
    """The child died, hung or sent garbage: it is killed and replaced before the next call."""


def request_arguments(operations: Mapping[str, Mapping], op: str, kwargs: dict) -> dict:
    """The request's arguments, checked against the assignment's [operations] and
    converted to wire values (a mistake here is the grader's bug, not the student's)."""
    if op not in operations:
        raise TypeError(f"unknown operation {op!r}; expected one of {', '.join(operations)}")
    needed, optional = operations[op]["args"], operations[op]["optional"]
    missing = [k for k in needed if k not in kwargs]
    extra = set(kwargs) - set(needed) - set(optional)
    if missing or extra:
        raise TypeError(f"{op} needs {', '.join(needed)}; missing {missing}, "
                        f"unexpected {sorted(extra)}")
    args = {**dict.fromkeys(optional), **kwargs}
    return {k: _to_wire(v, k) for k, v in args.items()}


def _to_wire(value: object, name: str) -> object:
    """Arguments from the checks as wire values (arrays converted to a wire dtype)."""
    if isinstance(value, np.ndarray):
        kind = value.dtype.kind
        if value.dtype.str in WIRE_DTYPES:
            return value
        if kind == "f":
            return value.astype(np.float64)
        if kind in "iu":
            return value.astype(np.int64)
        raise TypeError(f"argument {name} has dtype {value.dtype}, which cannot be sent")
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"argument {name} is a {type(value).__name__}, which cannot be sent")


# Numbers from the child beyond these are refused, not converted (no OverflowError here).
MAX_REPLY_INT = 2**53


def checked_reply(op: str, value: object, schema: Mapping[str, str]) -> dict:
    """The reply value if it matches the operation's schema (reply field -> "array" |
    "float" | "int", from the assignment's [operations]); ChildFailure otherwise."""
    if not isinstance(value, dict) or set(value) != set(schema):
        raise ChildFailure(f"a reply to {op} with the wrong fields")
    out: dict = {}
    for key, kind in schema.items():
        item = value[key]
        small = type(item) is int and abs(item) <= MAX_REPLY_INT
        if kind == "array" and isinstance(item, np.ndarray):
            out[key] = item
        elif kind == "float" and (type(item) is float or small):
            out[key] = float(item)
        elif kind == "int" and small:
            out[key] = item
        else:
            raise ChildFailure(f"a reply to {op} whose {key} is not a {kind}")
    return out
