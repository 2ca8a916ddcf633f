"""Rules on the source of a submission, read by the grader (never run): an assignment's
`[rules.<name>]` tables say which constructs its functions must not use.

    findings = scan(cells, spec.rules)   # rule -> grade_id -> ["x.backward (line 12)", ...]

Runs in intake's bounded parser, over the definitions' text, so what it finds does not
depend on anything the child reports. A rule names:

- `functions`: the definitions it applies to;
- `attributes`: attribute names they must not touch (`loss.backward`, `torch.autograd`);
- `modules`: modules they must not import;
- `calls`: methods they must not call (`.cuda()`, `.numpy()`);
- `factories`: functions that must be given `device=` (a tensor made elsewhere is made
  on the default device), except inside an index (`scores[torch.arange(N), y]`);
- `dynamic`: whether attribute access the reader cannot follow counts (getattr, eval,
  exec, `__import__`, importlib, globals(), vars(), `__dict__`), since it is how the
  attributes above would be hidden.

A function is judged on its own cell, on the helpers of other cells it uses (by name,
transitively), and on what any definition cell does at its top level (a monkeypatch
there reaches every function).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

DYNAMIC_CALLS = ("getattr", "setattr", "eval", "exec", "compile", "__import__", "globals",
                 "vars", "locals", "attrgetter", "methodcaller", "import_module")
DYNAMIC_ATTRIBUTES = ("__dict__", "__getattribute__", "__getattr__")


def scan(cells: Mapping[str, str], rules: Mapping[str, Mapping[str, object]]
         ) -> dict[str, dict[str, list[str]]]:
    """rule -> grade_id -> what the rule found there (with line numbers), for each
    definition a rule applies to; a definition that breaks no rule is left out."""
    trees = {}
    for grade_id, source in cells.items():
        try:
            trees[grade_id] = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            continue  # intake reports the cell itself
    out: dict[str, dict[str, list[str]]] = {}
    for name, rule in rules.items():
        found = _scan_rule(trees, rule)
        if found:
            out[name] = found
    return out


def _scan_rule(trees: Mapping[str, ast.Module], rule: Mapping[str, object]
               ) -> dict[str, list[str]]:
    # Top-level names each cell defines, what each of them breaks, what each cell's top
    # level (outside its definitions) breaks, and the names each definition refers to.
    defined: dict[str, ast.AST] = {}
    top_level: list[str] = []
    for tree in trees.values():
        for node in tree.body:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                defined[node.name] = node
            else:
                top_level += _breaks(node, rule)
    result: dict[str, list[str]] = {}
    for grade_id in _names(rule.get("functions", ())):
        tree = trees.get(grade_id)
        if tree is None:
            continue
        seen: set[str] = set()
        todo = [n for n in tree.body
                if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)]
        found: list[str] = []
        while todo:
            node = todo.pop()
            if node.name in seen:
                continue
            seen.add(node.name)
            found += [f"{what} in {node.name}" if node.name != grade_id else what
                      for what in _breaks(node, rule)]
            todo += [defined[n] for n in _referenced(node) if n in defined and n not in seen]
        found += [f"{what} at the top level of a cell" for what in top_level]
        if found:
            result[grade_id] = list(dict.fromkeys(found))
    return result


def _names(value: object) -> Iterable[str]:
    return [str(v) for v in value] if isinstance(value, list | tuple) else []


def _referenced(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _dotted(node: ast.AST) -> str:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def _breaks(root: ast.AST, rule: Mapping[str, object]) -> list[str]:
    """What `root` does that `rule` forbids, each as 'construct (line N)'."""
    attributes = set(_names(rule.get("attributes", ())))
    modules = tuple(_names(rule.get("modules", ())))
    calls = set(_names(rule.get("calls", ())))
    factories = set(_names(rule.get("factories", ())))
    dynamic = bool(rule.get("dynamic", False))
    indexed = {id(n) for sub in ast.walk(root) if isinstance(sub, ast.Subscript)
               for n in ast.walk(sub.slice)}
    found = []
    for node in ast.walk(root):
        line = getattr(node, "lineno", "?")
        if isinstance(node, ast.Attribute):
            if node.attr in attributes:
                found.append(f"`{_dotted(node) or '.' + node.attr}` (line {line})")
            elif dynamic and node.attr in DYNAMIC_ATTRIBUTES:
                found.append(f"`{node.attr}` (line {line}), which the grader cannot follow")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            named = [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom):
                named = [node.module or "", *(f"{node.module}.{a}" for a in named)]
            hits = [m for m in named if any(m == x or m.startswith(x + ".") for x in modules)]
            if hits:
                found.append(f"`import {hits[0]}` (line {line})")
        elif isinstance(node, ast.Call):
            callee = _dotted(node.func)
            method = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if method in calls and method != "to":
                found.append(f"`.{method}()` (line {line})")
            elif method == "to" and "to" in calls and _moves_device(node):
                found.append(f"`.to(...)` to a fixed device (line {line})")
            if callee in factories and id(node) not in indexed \
                    and not any(k.arg == "device" for k in node.keywords):
                found.append(f"`{callee}(...)` without device= (line {line})")
            name = callee.rsplit(".", 1)[-1]
            if dynamic and name in DYNAMIC_CALLS:
                found.append(f"`{callee}(...)` (line {line}), which the grader cannot follow")
        elif isinstance(node, ast.Name) and dynamic and node.id in ("__builtins__",
                                                                   "__builtin__"):
            found.append(f"`{node.id}` (line {line}), which the grader cannot follow")
    return found


def _moves_device(call: ast.Call) -> bool:
    """`.to("cuda")`, `.to(device="cpu")`, `.to(torch.device(...))`: not `.to(X.dtype)`
    nor `.to(X.device)`."""
    args = [*call.args, *(k.value for k in call.keywords if k.arg == "device")]
    for arg in args:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return True
        if isinstance(arg, ast.Call) and _dotted(arg.func).endswith("device"):
            return True
    return False
