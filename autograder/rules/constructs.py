"""The autograd detector: attribute names, imports, private names and attribute access
the reader cannot follow (a rule's `attributes`, `attribute_parts`, `modules`,
`imports`, `private`, `dynamic`, `safe_loads`, `keywords` and `grad_off`)."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from autograder.rules.modules import names
from autograder.rules.syntax import DEFINITIONS, Names, dotted, finding

DYNAMIC_CALLS = ("getattr", "setattr", "delattr", "eval", "exec", "compile", "__import__",
                 "globals", "vars", "locals", "attrgetter", "methodcaller", "import_module",
                 "getattr_static", "getmembers", "breakpoint",
                 # Annotations written as strings, evaluated (typing.get_type_hints).
                 "get_type_hints", "evaluate_forward_ref",
                 # Objects rebuilt from bytes (a pickle names any function as a string),
                 # but for the loads the rule's `safe_loads` names, called so that they refuse code.
                 "load", "loads")
# Builtins that make classes or objects out of data (`type(name, bases, {"__x__": f})`
# writes dunders as strings) or read them from files: dynamic where they are names.
DYNAMIC_BUILTINS = ("type", "open")
# Dunders that name nothing the rules forbid (a class's own constructor).
PUBLIC_DUNDERS = ("__init__",)
DYNAMIC_ATTRIBUTES = ("__dict__", "__getattribute__", "__getattr__")


def safe_load(call: ast.Call, resolved: str, loads: Mapping[str, Mapping[str, object]]
              ) -> bool:
    """A load the rule's `safe_loads` names, called so that it rebuilds data, never code:
    at most `positional` arguments by position (the switch and what follows it cannot be
    passed that way), none of the `refused` keywords (a pickle module of its own), no
    `**` the reader cannot see into, and its `keyword` left to the library's default or
    given as the literal `safe`."""
    spec = loads.get(resolved)
    keywords = {k.arg: k.value for k in call.keywords}
    if spec is None or None in keywords or len(call.args) > int(spec["positional"]) \
            or any(k in keywords for k in names(spec.get("refused", ()))):
        return False
    switch = keywords.get(str(spec["keyword"]))
    return switch is None or (isinstance(switch, ast.Constant)
                              and switch.value is spec["safe"])


def class_of(call: ast.Call) -> bool:
    """`type(reg)`: the class of one value (`if type(reg) is int`), which makes nothing;
    the three-argument form builds a class from strings and stays dynamic."""
    return isinstance(call.func, ast.Name) and call.func.id == "type" \
        and len(call.args) == 1 and not call.keywords \
        and not isinstance(call.args[0], ast.Starred)


def turns_off(call: ast.Call, name: str, grad_off: Mapping[str, object]) -> bool:
    """`torch.inference_mode()`, `torch.set_grad_enabled(False)`: a switch called only to
    turn autograd off (its one argument, if any, the literal `grad_off` names)."""
    if name not in grad_off:
        return False
    given = [*call.args, *(k.value for k in call.keywords if k.arg == "mode")]
    if len(given) != len(call.args) + len(call.keywords):
        return False
    return not given or (len(given) == 1 and isinstance(given[0], ast.Constant)
                         and given[0].value is grad_off[name])


def autograd_breaks(root: ast.AST, rule: Mapping[str, object]) -> list[tuple[int, str]]:
    """What `root` does that the rule's autograd side forbids: (line, construct)."""
    attributes = set(names(rule.get("attributes", ())))
    parts = tuple(names(rule.get("attribute_parts", ())))
    prefixes = tuple(names(rule.get("attribute_prefixes", ())))
    exceptions = set(names(rule.get("attribute_exceptions", ())))
    keywords = set(names(rule.get("keywords", ())))
    grad_off = dict(rule.get("grad_off", {}))
    modules = tuple(names(rule.get("modules", ())))
    allowed = None if rule.get("imports") is None else set(names(rule["imports"]))
    dynamic = bool(rule.get("dynamic", False))
    private = bool(rule.get("private", False))
    table = rule.get("module_table")
    table = table if isinstance(table, Mapping) else None
    loads = rule.get("safe_loads", {})
    if not (attributes or parts or prefixes or modules or allowed is not None or dynamic
            or private or keywords):
        return []
    scope = Names(root, rule)

    def partly(name: str) -> bool:
        return name not in exceptions and (any(p in name for p in parts)
                                           or name.startswith(prefixes))

    def denied(name: str) -> bool:
        return any(name == x or name.startswith(x + ".") for x in modules)

    def permitted(name: str) -> bool:
        return allowed is None or name in allowed

    found: list[tuple[int, str]] = []
    inner: set[int] = set()   # the `torch.autograd` of `torch.autograd.grad`: told once
    bases = {id(n.value) for n in ast.walk(root) if isinstance(n, ast.Attribute)}
    # Calls the rule accepts although they name a forbidden attribute: loads that rebuild
    # no code, switches that only turn autograd off.
    accepted = {id(n.func) for n in ast.walk(root) if isinstance(n, ast.Call) and (
        safe_load(n, scope.resolved(n.func), loads) or class_of(n) or turns_off(
            n, n.func.attr if isinstance(n.func, ast.Attribute) else "", grad_off))}

    def named(node: ast.AST, name: str, how: str) -> None:
        """A name that reads or binds an attribute without an ast.Attribute: a class
        pattern's keyword, a name bound in a class body."""
        if name in attributes or partly(name):
            found.append(finding(node, f"`{name}` ({how})"))
        elif private and name.startswith("_") and name not in PUBLIC_DUNDERS:
            found.append(finding(node, f"`{name}` ({how}), a private name"))
        elif dynamic and (name in DYNAMIC_ATTRIBUTES or name in DYNAMIC_CALLS):
            found.append(finding(node, f"`{name}` ({how}), which the grader cannot follow"))

    def reaches(node: ast.Attribute) -> str | None:
        """Why the module chain `node` (torch.sys.modules) is not for these functions."""
        chain = dotted(node).split(".")
        module = scope.aliases.get(chain[0]) if len(chain) > 1 else None
        for part in chain[1:]:
            if module is None or table is None or module not in table:
                return None
            kind = table[module].get(part)
            if kind is None:
                return None if part.startswith("_") else (
                    f"`{dotted(node)}`: {module} has no `{part}` these functions may use")
            if not kind:
                return None   # a function or class of an allowed module
            module = kind
            if not permitted(module) and not any(a.startswith(module + ".")
                                                 for a in (allowed or ())):
                return f"`{dotted(node)}` reaches the module {module}"
        return None

    for node in ast.walk(root):
        if isinstance(node, ast.Call):
            # A keyword argument names a parameter, not an attribute: only those that turn
            # gradients on count (`requires_grad=True`; `want_grad=` is a name).
            for k in node.keywords:
                if k.arg in keywords and not (isinstance(k.value, ast.Constant)
                                              and k.value.value is False):
                    found.append(finding(node, f"`{k.arg}=` (a keyword argument)"))
        elif isinstance(node, ast.MatchClass):
            for name in node.kwd_attrs:
                named(node, name, "read by a class pattern")
            if dynamic and (node.kwd_attrs or node.patterns):
                # Positional sub-patterns read the attributes `__match_args__` names.
                found.append(finding(node, "a class pattern reading attributes, which the "
                                           "grader cannot follow"))
        elif isinstance(node, ast.ClassDef) and node is not root:
            for item in node.body:
                targets = [item.name] if isinstance(item, DEFINITIONS) else [
                    t.id for t in getattr(item, "targets", [getattr(item, "target", None)])
                    if isinstance(t, ast.Name)]
                for name in targets:
                    named(item, name, f"in the body of class {node.name}")
        if isinstance(node, ast.Attribute) and id(node) not in inner \
                and id(node) not in accepted:
            text = dotted(node) or "." + node.attr
            if node.attr in attributes or partly(node.attr):
                inner.update(id(n) for n in ast.walk(node.value))
                found.append(finding(node, f"`{text}`"))
            elif dynamic and (node.attr in DYNAMIC_ATTRIBUTES or node.attr in DYNAMIC_CALLS):
                found.append(finding(node, f"`{text}`, which the grader cannot follow"))
            elif private and node.attr.startswith("_") and node.attr not in PUBLIC_DUNDERS:
                inner.update(id(n) for n in ast.walk(node.value))
                found.append(finding(node, f"`{text}`, a private name the grader cannot "
                                           "follow"))
            elif id(node) not in bases and (why := reaches(node)):
                found.append(finding(node, why))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if denied(alias.name) or not permitted(alias.name):
                    found.append(finding(node, f"`import {alias.name}`"))
        elif isinstance(node, ast.ImportFrom):
            # `from torch import enable_grad`, `from torch import _C`: the name imported
            # counts as an attribute of its module.
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if alias.name in attributes or denied(base) or denied(full) \
                        or not (permitted(base) or permitted(full)):
                    found.append(finding(node, f"`from {base} import {alias.name}`"))
                elif private and alias.name.startswith("_"):
                    found.append(finding(node, f"`from {base} import {alias.name}`, a "
                                               "private name"))
        elif isinstance(node, ast.Name) and id(node) not in accepted:
            if table is not None and scope.aliases.get(node.id) in table \
                    and id(node) not in bases:
                found.append(finding(node, f"`{node.id}` passed around as a value"))
            elif dynamic and (node.id in DYNAMIC_CALLS or node.id in DYNAMIC_BUILTINS
                              or node.id in ("__builtins__", "__builtin__")):
                found.append(finding(node, f"`{node.id}`, which the grader cannot follow"))
            elif private and node.id.startswith("__") and node.id.endswith("__"):
                found.append(finding(node, f"`{node.id}`, a private name the grader cannot "
                                           "follow"))
    return found
