"""Whether parsed source still defines what the checks call: the assignment's functions
and classes, bound at module level, and each plain class's methods."""

from __future__ import annotations

import ast

from autograder.assignment import Assignment


def missing_definitions(tree: ast.Module, required: tuple[str, ...],
                        spec: Assignment) -> str | None:
    """What of `required` (and of its classes' methods) `tree` no longer defines, worded
    for the student, or None."""
    names = _bound_names(tree.body)
    for name in required:
        if name not in names:
            kind = "class" if name[0].isupper() else "function"
            return f"no longer defines the {kind} `{name}`"
    for cls in (c for c in required if c in spec.methods):
        node = names.get(cls)
        # A class built from bases may inherit its methods: only a plain class is checked.
        if isinstance(node, ast.ClassDef) and not node.bases:
            methods = {n.name for n in node.body
                       if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            lost = [m for m in spec.methods[cls] if m not in methods]
            if lost:
                return f"`{cls}` no longer has the method `{lost[0]}`"
    return None


def _bound_names(body: list[ast.stmt]) -> dict[str, ast.stmt]:
    """Names bound at module level (looking into if/try/with blocks, not into functions)."""
    names: dict[str, ast.stmt] = {}
    for node in body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for sub in (n for t in targets for n in ast.walk(t)):
                if isinstance(sub, ast.Name):
                    names[sub.id] = node
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                names[(alias.asname or alias.name).split(".")[0]] = node
        blocks = [getattr(node, b, []) for b in ("body", "orelse", "finalbody")]
        blocks += [h.body for h in getattr(node, "handlers", [])]
        for block in blocks:
            names.update(_bound_names(block))
    return names
