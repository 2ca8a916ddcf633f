"""The child's main loop: start-up, confinement, then one reply per request until EOF.

Part of the child's side of the door. The parent copies the child's modules into the
session's scratch folder as the package `sandbox_child`, the assignment's child.py beside
them as ops.py, and starts `python -I -B <folder>/main.py <request fd> <reply fd>`, whose
few lines (`scratch.LAUNCHER`) call `main`:

1. read the configuration frame from the parent and load the assignment's operations
   while the scratch folder is still there;
2. confine itself (`confine.confine`) and answer "hello" (request id 0) with what took
   effect;
3. serve "define", "seal" and the assignment's operations until the request pipe closes.

The harness is trusted code, but it shares its process with student code, so the
parent treats every byte it sends back as untrusted: student code can patch these
modules, write to the protocol pipe or exit at any moment.
"""

from __future__ import annotations

import faulthandler
import importlib.util
import os
import sys

from . import oplib
from .confine import confine
from .harness import Harness
from .oplib import StudentError, describe
from .wire import encode, read_request, write_all

# Imported before the uid switch: if Python's folder cannot be exposed to the sandbox uid
# (no mount namespace), these modules students use still work.
PRELOAD = ("collections", "copy", "functools", "itertools", "math", "random", "statistics",
           "time", "typing", "warnings", "numpy.linalg", "numpy.random")


def serve(harness: Harness, operations: dict, req: int, rep: int) -> None:
    """Answer each request with {"id", "ok", "value", "error"} until the parent hangs up."""
    handlers = {**operations, "define": harness.define, "seal": harness.seal}
    while True:
        try:
            msg = read_request(req)
        except EOFError:
            return
        reply: dict = {"id": msg["id"], "ok": False, "value": None, "error": None}
        try:
            handler = handlers.get(msg["op"])
            if handler is None:
                raise StudentError(f"unknown operation {msg['op']!r}")
            reply["value"] = handler(msg["args"])
            reply["ok"] = True
        except StudentError as exc:
            reply["error"] = str(exc)
        except BaseException as exc:  # noqa: BLE001 - keep serving whatever happened
            reply["error"] = describe(exc, f"the grader's {msg['op']} operation")
        try:
            parts = encode(reply)
        except Exception as exc:
            parts = encode({"id": msg["id"], "ok": False, "value": None,
                            "error": f"the result could not be sent back: {exc}"})
        write_all(rep, parts)


def main(argv: list[str]) -> None:
    """`argv`: the folder holding this package and ops.py, the request and reply fds."""
    for name in PRELOAD:
        __import__(name)
    folder, req, rep = argv[0], int(argv[1]), int(argv[2])
    cfg = read_request(req)
    oplib.MEMORY_LIMIT_TEXT = (f"{cfg['limits']['address_space'] / 2**30:.1f} GiB of "
                               "address space")
    ops = _load_operations(os.path.join(folder, "ops.py"))
    # Everything is imported: the scratch folder is not in the child's root anyway.
    sys.path.remove(folder)
    report = confine(cfg)
    faulthandler.enable()
    write_all(rep, encode({"id": 0, "ok": True, "value": report, "error": None}))
    harness = Harness(cfg, getattr(ops, "NAMES", None))
    serve(harness, ops.operations(harness, oplib), req, rep)


def _load_operations(path: str) -> object:
    """The assignment's operations (the parent copies its child.py to `path`), loaded
    before confinement hides the scratch folder."""
    spec = importlib.util.spec_from_file_location("assignment_operations", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
