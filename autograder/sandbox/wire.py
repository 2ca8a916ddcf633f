"""The wire format between the grader and the sandbox's child (both sides use this file).

The parent imports it, and the child runs a copy of it; nothing else of the child's side
is imported by the parent. No pickle, in either direction:

    4-byte big-endian header length | JSON header {"v": value, "a": [[dtype, shape], ...]}
    | the raw C-contiguous bytes of each array, each starting at a multiple of 64 bytes
    from the end of the header

Inside `value` an array is the placeholder `{"__ndarray__": i}`; everything else is JSON
(dict/list/str/number/None). `Outcome` is what one call's reply becomes in the parent,
once it has validated it.
"""

from __future__ import annotations

import json
import math
import os
import struct
from dataclasses import dataclass

import numpy as np

WIRE_DTYPES = ("<f4", "<f8", "<i4", "<i8", "|b1", "|u1")
ALIGN = 64
HEADER = struct.Struct(">I")
PLACEHOLDER = "__ndarray__"


@dataclass
class Outcome:
    """Plain data back from one call into student code."""

    ok: bool
    # tuple/list/dict of numpy arrays, floats, ints, str (already size-capped)
    value: object = None
    # "NotImplementedError: ...", "timeout after 20 s", "memory limit",
    # "crashed (signal 9)", "returned a <type>", ...
    error: str | None = None
    # child CPU time for the call, read by the PARENT from the kernel's nanosecond clock
    # (in-kernel: time.thread_time); None when it could not be measured.
    cpu_seconds: float | None = None


def encode(value: object) -> list[bytes | memoryview]:
    """Frame `value` (JSON data and numpy arrays of the wire dtypes) as a list of buffers."""
    arrays: list[np.ndarray] = []

    def walk(obj: object) -> object:
        if isinstance(obj, np.ndarray):
            arrays.append(obj)
            return {PLACEHOLDER: len(arrays) - 1}
        if isinstance(obj, dict):
            return {str(k): walk(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [walk(v) for v in obj]
        if obj is None or isinstance(obj, (bool, int, float, str)):
            return obj
        raise TypeError(f"cannot send a {type(obj).__name__} over the wire")

    tree = walk(value)
    specs = []
    for arr in arrays:
        if arr.dtype.str not in WIRE_DTYPES:
            raise TypeError(f"dtype {arr.dtype} is not allowed on the wire")
        specs.append([arr.dtype.str, list(arr.shape)])
    header = json.dumps({"v": tree, "a": specs}).encode()
    parts: list[bytes | memoryview] = [HEADER.pack(len(header)), header]
    for arr in arrays:
        parts.append(bytes(-_payload_size(parts) % ALIGN))
        contiguous = np.ascontiguousarray(arr)
        if contiguous.nbytes:
            parts.append(memoryview(contiguous).cast("B"))
    return parts


def _payload_size(parts: list[bytes | memoryview]) -> int:
    """Bytes written so far after the header (the two first parts are length + header)."""
    return sum(len(p) for p in parts[2:])


def array_layout(specs: list, limit: int) -> tuple[list[tuple[np.dtype, tuple, int]], int]:
    """Validate `[[dtype, shape], ...]` and return [(dtype, shape, offset)] and total size.

    Raises ValueError for anything that is not a list of wire dtypes and small shapes or
    whose total size exceeds `limit` bytes. Used by both sides.
    """
    if not isinstance(specs, list) or len(specs) > 64:
        raise ValueError("array list is not a list of at most 64 entries")
    layout = []
    offset = 0
    for spec in specs:
        if not (isinstance(spec, list) and len(spec) == 2 and spec[0] in WIRE_DTYPES):
            raise ValueError(f"bad array description {str(spec)[:80]}")
        shape = spec[1]
        if not (isinstance(shape, list) and len(shape) <= 8
                and all(type(n) is int and 0 <= n < 2**40 for n in shape)):
            raise ValueError(f"bad array shape {str(shape)[:80]}")
        dtype = np.dtype(spec[0])
        nbytes = math.prod(shape) * dtype.itemsize
        offset += -offset % ALIGN
        layout.append((dtype, tuple(shape), offset))
        offset += nbytes
        if offset > limit:
            raise ValueError(f"arrays of more than {limit} bytes")
    return layout, offset


def resolve(tree: object, arrays: list[np.ndarray], depth: int = 0) -> object:
    """Replace the array placeholders in a decoded JSON tree (depth-limited)."""
    if depth > 20:
        raise ValueError("value nested too deeply")
    if isinstance(tree, dict):
        if PLACEHOLDER in tree:
            index = tree[PLACEHOLDER]
            if len(tree) != 1 or type(index) is not int or not 0 <= index < len(arrays):
                raise ValueError("bad array placeholder")
            return arrays[index]
        return {k: resolve(v, arrays, depth + 1) for k, v in tree.items()}
    if isinstance(tree, list):
        return [resolve(v, arrays, depth + 1) for v in tree]
    return tree


def _read_into(fd: int, view: memoryview) -> None:
    """Fill `view` (bytes) from `fd`; EOFError if the parent closes the pipe first."""
    got = 0
    while got < len(view):
        k = os.readv(fd, [view[got:]])
        if k == 0:
            raise EOFError
        got += k


def _read_exact(fd: int, n: int) -> bytearray:
    buf = bytearray(n)
    _read_into(fd, memoryview(buf))
    return buf


def read_request(fd: int) -> dict:
    """Read one frame from the parent (trusted) and return its value with arrays in place.

    Each request gets a fresh buffer, so arrays kept by student code from an earlier call
    never alias the inputs of a later one.
    """
    (length,) = HEADER.unpack(_read_exact(fd, HEADER.size))
    header = json.loads(_read_exact(fd, length))
    layout, total = array_layout(header["a"], 2**40)
    payload = np.empty(total, dtype=np.uint8)
    _read_into(fd, memoryview(payload))
    return resolve(header["v"], [payload[off:off + math.prod(shape) * dt.itemsize]
                                 .view(dt).reshape(shape) for dt, shape, off in layout])


def write_all(fd: int, parts: list[bytes | memoryview]) -> None:
    """Write every buffer completely (blocking)."""
    for part in parts:
        view = memoryview(part).cast("B") if not isinstance(part, bytes) else memoryview(part)
        while len(view):
            view = view[os.write(fd, view):]
