"""The child's harness: the submission's definitions, run and frozen, and the trusted classes.

Part of the child's side of the door (copied into the child; the parent never imports
it). The parent sends each definition cell ("define", one cell per message, so a cell
that kills the process is known by name), or names the module file of CS231n's starter
layout that provides it; then "seal" freezes the functions the definitions provide and
adds the assignment's trusted classes (for the NumPy assignment, the `LinearSVM` /
`Softmax` subclasses). The assignment's operations (its child.py) work on a `Harness`:
`frozen_or_missing`, `trusted_or_missing`, `shared_array`, `model_files`.
"""

from __future__ import annotations

import functools
import importlib
import importlib.machinery
import importlib.util
import math
import mmap
import sys

import numpy as np

from .oplib import StudentError, describe

# What `from past.builtins import xrange` (CS231n's starter files) gives where the `future`
# package is not installed.
PAST_BUILTINS = {"xrange": range, "basestring": str, "unicode": str, "long": int,
                 "raw_input": input, "reduce": functools.reduce}


class SubmittedModules:
    """A finder and loader for `import` of the submission's own module files (CS231n's
    starter layout: `cs231n/classifiers/linear_svm.py` is `cs231n.classifiers.linear_svm`,
    its folders empty packages), and of a stand-in `past.builtins` when the real one is
    not installed. Each file runs under its own path, so errors name it and its line."""

    def __init__(self, files: dict[str, str]) -> None:
        self.files: dict[str, tuple[str, str]] = {}
        self.packages: set[str] = set()
        for path, source in files.items():
            parts = path[:-len(".py")].split("/")
            self.files[".".join(parts)] = (path, source)
            self.packages.update(".".join(parts[:i]) for i in range(1, len(parts)))
        if importlib.machinery.PathFinder.find_spec("past") is None:
            self.packages.add("past")
            self.files["past.builtins"] = ("past/builtins.py", "")

    @staticmethod
    def module_name(path: str) -> str:
        return path[:-len(".py")].replace("/", ".")

    def find_spec(self, name: str, path: object = None, target: object = None) -> object:
        if name in self.files or name in self.packages:
            return importlib.util.spec_from_loader(name, self, is_package=name in self.packages)
        return None

    def create_module(self, spec: object) -> None:
        return None

    def exec_module(self, module: object) -> None:
        name = module.__name__
        if name == "past.builtins":
            vars(module).update(PAST_BUILTINS)
        elif name in self.files:
            path, source = self.files[name]
            exec(compile(source, f"<{path}>", "exec"), vars(module))


class Harness:
    """The student's namespaces, frozen definitions and the trusted classes; the
    assignment's operations (its child.py, loaded as `ops`) work on them."""

    def __init__(self, cfg: dict, names: dict | None = None) -> None:
        self.cfg = cfg
        self.spec: dict = cfg["spec"]
        # What every namespace starts with, as the notebooks' import cells give it (np,
        # and what the assignment's operations add: torch for the PyTorch edition).
        self.names: dict = {"np": np, **(names or {})}
        # grade_id -> the module file that provides it (CS231n's starter layout), if any.
        self.origins: dict[str, str] = dict(cfg.get("origins") or {})
        if cfg.get("modules"):
            sys.meta_path.insert(0, SubmittedModules(cfg["modules"]))
        # One namespace per notebook, as in one Jupyter kernel per notebook.
        self.namespaces: dict[str, dict] = {nb: self._fresh() for nb in self.spec["notebooks"]}
        self.cell_errors: dict[str, str] = {}
        self.defined: set[str] = set()
        self.frozen: dict[str, object] = {}
        self.classes: dict[str, object] = {}
        self.shared: mmap.mmap | None = None
        # model file name -> its path inside the child (read-only), for the operations.
        self.model_files: dict[str, str] = dict(cfg.get("model_files") or {})
        # grade_id -> the names its own module file defined (starter layout): what seal
        # freezes for it, whatever another file rebinds in the merged namespace.
        self.module_names: dict[str, dict] = {}

    def shared_array(self, dtype: str, shape: list, offset: int) -> np.ndarray:
        if self.shared is None:
            self.shared = mmap.mmap(self.cfg["shared_fd"], self.cfg["shared_bytes"])
        dt = np.dtype(dtype)
        return np.frombuffer(self.shared, dtype=dt, count=math.prod(shape),
                             offset=offset).reshape(shape)

    def _fresh(self) -> dict:
        return {"__name__": "__main__", "__builtins__": __builtins__, **self.names}

    # ---- definitions
    def define(self, args: dict) -> dict:
        cell, source = args["cell"], args["source"]
        if cell in self.origins:
            return self._define_module(cell, self.origins[cell])
        for notebook in self.spec["namespaces_of"][cell]:
            try:
                code = compile(source, f"<{notebook} cell {cell}>", "exec")
                exec(code, self.namespaces[notebook])
            except BaseException as exc:  # noqa: BLE001 - student code may raise anything
                label = f"the cell `{cell}` of {notebook}"
                self.cell_errors.setdefault(cell, describe(exc, label))
        self.defined.add(cell)
        return {"error": self.cell_errors.get(cell)}

    def _define_module(self, cell: str, path: str) -> dict:
        """Import the module file that provides `cell`; its names join the namespaces of
        the notebooks that use them, as the starter's notebooks import them."""
        try:
            module = importlib.import_module(SubmittedModules.module_name(path))
            names = {k: v for k, v in vars(module).items() if not k.startswith("__")}
            self.module_names[cell] = names
            for notebook in self.spec["namespaces_of"][cell]:
                self.namespaces[notebook].update(names)
        except BaseException as exc:  # noqa: BLE001 - student code may raise anything
            self.cell_errors.setdefault(cell, describe(exc, f"importing {path}"))
        self.defined.add(cell)
        return {"error": self.cell_errors.get(cell)}

    def where(self, cell: str) -> str:
        """Where the student wrote `cell`: its module file, or the cell of a notebook."""
        return self.origins.get(cell) or \
            f"the cell `{cell}` of {self.spec['notebook_of'].get(cell, '?')}"

    def seal(self, args: dict) -> dict:
        """Freeze the functions the definitions provide (what student code rebinds later
        is not what the operations call), then add the trusted classes."""
        for cell, names in self.spec["definitions"].items():
            namespace = self.module_names.get(cell) \
                or self.namespaces[self.spec["notebook_of"][cell]]
            for name in names:
                obj = namespace.get(name)
                if callable(obj) and not isinstance(obj, type):
                    self.frozen[name] = obj
        for name, trusted in self.spec["trusted"].items():
            namespace = self.namespaces[trusted["notebook"]]
            base = trusted["base"]
            if base and base not in namespace:
                continue
            try:
                exec(compile(trusted["source"], f"<trusted {name}>", "exec"), namespace)
                self.classes[name] = namespace[name]
            except BaseException as exc:  # noqa: BLE001
                self.cell_errors.setdefault(
                    trusted["cell"], f"`class {name}({base})` failed: {describe(exc, 'it')}; "
                    f"{base} must stay a class")
        return {"cell_errors": self.cell_errors}

    def _missing(self, name: str, cell: str) -> StudentError:
        if cell in self.cell_errors:
            return StudentError(f"{name} is not available: {self.cell_errors[cell]}")
        if cell not in self.defined:
            return StudentError(f"{name} is not available: {self.where(cell)} "
                                "is missing or could not be parsed")
        given = "the starter code" if cell in self.origins else "the release notebook"
        return StudentError(f"{name} is not available: {self.where(cell)} does "
                            f"not define it (keep the name `{name}` from {given})")

    def frozen_or_missing(self, name: str, cell: str) -> object:
        """The student's function `name` (from the definition `cell`), or why not."""
        if name not in self.frozen:
            raise self._missing(name, cell)
        return self.frozen[name]

    def trusted_or_missing(self, name: str) -> object:
        """The trusted class `name`, or why it could not be made (its base is missing)."""
        if name not in self.classes:
            trusted = self.spec["trusted"][name]
            raise self._missing(trusted["base"], trusted["cell"])
        return self.classes[name]
