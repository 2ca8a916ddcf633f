"""Small readings of a syntax tree that every detector shares: dotted names, the names
a node uses, and what a name stands for (a module, a name imported from one)."""

from __future__ import annotations

import ast
from collections.abc import Mapping

from autograder.rules.modules import names

FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def dotted(node: ast.AST) -> str:
    """`torch.autograd.grad` for that chain of attributes ("" past anything else)."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return ".".join(reversed(parts))


def referenced(node: ast.AST) -> set[str]:
    """Every name `node` reads or binds, its nested functions included."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def parameters(node: ast.AST, required: bool = False) -> list[str]:
    """The parameters of a function or lambda; with `required`, only those the caller
    must pass (no default, no *args or **kwargs)."""
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    if required:
        given = positional[:len(positional) - len(args.defaults)]
        return [a.arg for a in given] + [a.arg for a, d in zip(
            args.kwonlyargs, args.kw_defaults, strict=True) if d is None]
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return [a.arg for a in (*positional, *args.kwonlyargs, *extra)]


def parents(root: ast.AST) -> dict[int, ast.AST]:
    """id(node) -> the node that holds it, for every node under `root`."""
    return {id(child): node for node in ast.walk(root) for child in ast.iter_child_nodes(node)}


class Names:
    """What the names of `root` stand for under `rule`: the notebook's aliases of modules
    (`np`), the allowed modules themselves, and what `root` imports."""

    def __init__(self, root: ast.AST, rule: Mapping[str, object]) -> None:
        allowed = rule.get("imports")
        self.aliases = {str(k): str(v) for k, v in dict(rule.get("aliases", {})).items()}
        self.roots = named_roots(rule)
        self.aliases.update({m: m for m in names(allowed) if "." not in m})
        for node in ast.walk(root):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    self.aliases[alias.asname or alias.name.split(".")[0]] = \
                        alias.name if alias.asname else alias.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def resolved(self, node: ast.AST) -> str:
        """The full name of a chain (`F.relu` -> torch.nn.functional.relu); a module the
        rule names re-exported by another (`F.torch.zeros`) is read as that module."""
        text = dotted(node)
        head, _, rest = text.partition(".")
        full = f"{self.aliases[head]}.{rest}".rstrip(".") if head in self.aliases else text
        parts = full.split(".")
        for i in range(len(parts) - 1, 0, -1):
            if parts[i] in self.roots:
                return ".".join(parts[i:])
        return full


def named_roots(rule: Mapping[str, object]) -> frozenset[str]:
    """The top-level modules whose names the rule matches against: its `library`, its
    aliases' modules, and the first part of every name in its `factories`, `converters`,
    `scalar_factories` and `safe_loads`. Only those are read through a re-export (a
    chain such as `numpy.random.randn` must not become `random.randn` because the rule
    also allows the standard library's random)."""
    full = [str(v) for v in dict(rule.get("aliases", {})).values()]
    full += [str(rule["library"])] if rule.get("library") else []
    for key in ("factories", "converters", "scalar_factories"):
        full += names(rule.get(key, ()))
    full += [str(k) for k in dict(rule.get("safe_loads", {}))]
    return frozenset(name.split(".")[0] for name in full)


def line_of(node: ast.AST) -> int:
    return getattr(node, "lineno", 0)


def finding(node: ast.AST, what: str) -> tuple[int, str]:
    """(line, 'what (line N)'): a finding, sortable by its line."""
    return line_of(node), f"{what} (line {getattr(node, 'lineno', '?')})"
