"""What the modules a rule names hold, read by importing them in the grader's process
(intake's parser, which applies the rules, imports none of them)."""

from __future__ import annotations

import importlib
import re
import types
from collections.abc import Iterable, Mapping


def names(value: object) -> list[str]:
    """A rule's list of names ([] for anything but a list)."""
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def module_table(allowed: Iterable[str]) -> dict[str, dict[str, str]]:
    """What the public attributes of each allowed module (and of each module on the way to
    one, `torch.nn` for `torch.nn.functional`) are: "" for anything but a module, else
    the module's own name. Read in the grader's process, which imports them; carried with
    the assignment to intake, which does not (an attribute chain such as `torch.sys` or
    `torch.serialization.pickle` then reaches a module the functions may not use)."""
    wanted = set(allowed)
    ancestors = {".".join(n.split(".")[:i]) for n in wanted for i in range(1, n.count(".") + 1)}
    imported: dict[str, types.ModuleType] = {}
    for name in sorted(wanted | ancestors):
        try:
            imported[name] = importlib.import_module(name)
        except ImportError:
            continue
    # Read once all are imported: a package lists a submodule it loads lazily
    # (`numpy.random`) only after its import.
    return {name: {key: (str(getattr(value, "__name__", "?"))
                         if isinstance(value, types.ModuleType) else "")
                   for key, value in vars(module).items() if not key.startswith("_")}
            for name, module in imported.items()}


def device_factories(modules: Iterable[str]) -> list[str]:
    """The public functions of `modules` whose documentation gives them a `device`
    parameter (`torch.empty_permuted`, `torch.sparse_csc_tensor`, ...): each makes a
    tensor on the default device unless told. Not the `*_like` ones, which follow their
    input's device, nor the setters of defaults (a rule's `calls` name those)."""
    found = []
    for name in modules:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        for key, value in vars(module).items():
            if key.startswith(("_", "set_")) or key.endswith("_like") \
                    or isinstance(value, type) or not callable(value):
                continue
            if re.search(r"\bdevice \(", getattr(value, "__doc__", None) or ""):
                found.append(f"{name}.{key}")
    return sorted(found)


def library_dtypes(library: str) -> list[str]:
    """The public names of `library` that are its data types: instances of its class
    `dtype` (`torch.float64`, `torch.long`, ...); none where it has no such class or
    cannot be imported."""
    try:
        module = importlib.import_module(library)
    except ImportError:
        return []
    kind = getattr(module, "dtype", None)
    if not isinstance(kind, type):
        return []
    return sorted(key for key, value in vars(module).items()
                  if not key.startswith("_") and isinstance(value, kind))


def with_modules_read(rule: Mapping[str, object]) -> dict[str, object]:
    """`rule` with what its modules hold, read by importing them: the `module_table` of
    its `imports`, the device factories of its `factories_from` added to `factories`,
    and the `dtypes` of its tensor `library`."""
    out = dict(rule)
    if "library" in rule:
        out["dtypes"] = library_dtypes(str(rule["library"]))
    if "imports" in rule:
        out["module_table"] = module_table(names(rule["imports"]))
    if "factories_from" in rule:
        out["factories"] = sorted({*names(rule.get("factories", ())),
                                   *device_factories(names(rule["factories_from"]))})
    return out
