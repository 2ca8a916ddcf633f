"""What code a graded function runs: its call graph over the submission's definitions
(by name, across cells, every definition of a name), and the code that can run inside
any function (what runs when a cell runs, the functions the grader calls itself, what is
handed around or stored on an attribute)."""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping

from autograder.rules.syntax import DEFINITIONS, FUNCTIONS, parameters, referenced

# What an `ambient` rule can take as reaching every function: what runs when a cell runs,
# the functions the grader calls itself, functions handed around, values stored on
# attributes (`torch.Tensor.f = g`).
AMBIENT = ("top_level", "called", "escaping", "stored")

Breaks = Callable[[ast.AST], list[str]]
# A place to start from: (node, where it is for the message, whether classes named from it
# are reached: not from a class's bases, which run none of the base's methods).
Root = tuple[ast.AST, str, bool]


class Graph:
    """The definitions and top-level bindings of every cell, by name. Cells with the same
    text (a starter module that provides several definitions) are read once."""

    def __init__(self, cells: Mapping[str, str], packages: Mapping[str, str] | None = None
                 ) -> None:
        self.trees: dict[str, ast.Module] = {}   # grade_id -> its cell's tree
        self.label: dict[int, str] = {}          # id(tree) -> the first cell it is
        parsed: dict[str, ast.Module] = {}
        for grade_id, source in cells.items():
            if source not in parsed:
                try:
                    parsed[source] = ast.parse(source)
                except (SyntaxError, ValueError, RecursionError, MemoryError):
                    continue  # intake reports the cell itself
                if packages and grade_id in packages:
                    _resolve_relative(parsed[source], packages[grade_id])
            self.trees[grade_id] = parsed[source]
            self.label.setdefault(id(parsed[source]), grade_id)
        self.unique = list(parsed.values())
        self.defined: dict[str, list[ast.AST]] = {}
        self.values: dict[str, list[tuple[ast.AST, str]]] = {}
        self.tree_of: dict[int, int] = {}        # id(definition) -> id(its tree)
        for tree in self.unique:
            definitions, bound = _bindings(tree)
            for node in definitions:
                self.defined.setdefault(node.name, []).append(node)
                self.tree_of[id(node)] = id(tree)
            for name, statements in bound.items():
                self.values.setdefault(name, []).extend(
                    (s, f"in `{name}`, set at the top level of {self.label[id(tree)]}'s cell")
                    for s in statements)

        self._cache: dict[tuple[str, int], object] = {}

    def memo(self, kind: str, node: ast.AST, compute: Callable[[ast.AST], object]) -> object:
        """What `compute(node)` gives, read once per scan (every rule asks again)."""
        key = (kind, id(node))
        if key not in self._cache:
            self._cache[key] = compute(node)
        return self._cache[key]

    def where(self, name: str, grade_id: str) -> str:
        """'in helper', with its cell where that is not `grade_id`'s."""
        tree = self.tree_of[id(self.defined[name][0])]
        own = self.trees.get(grade_id)
        return f"in {name}" if own is not None and id(own) == tree \
            else f"in {name} ({self.label[tree]}'s cell)"


def class_parts(node: ast.AST, methods: Mapping[str, tuple[str, ...]]
                ) -> list[tuple[ast.AST, str]]:
    """What running definition `node` runs, each part with its label: the whole of it, or,
    for a class whose called methods `methods` names, its body but the other methods (a
    method the grader never calls, such as CS231n's save and load, runs nothing)."""
    called = methods.get(getattr(node, "name", ""))
    if not isinstance(node, ast.ClassDef) or called is None:
        return [(node, "")]
    return [(part, f"in {node.name}.{part.name}" if isinstance(part, FUNCTIONS)
             else f"in the body of class {node.name}") for part in node.body
            if not isinstance(part, FUNCTIONS) or part.name in called]


def _resolve_relative(tree: ast.Module, package: str) -> None:
    """A module file's relative imports (`from ..layers import *` in
    cs231n/classifiers/fc_net.py) read as the absolute ones they are (cs231n.layers), so
    that the rules judge them by the module they import; one that climbs out of the
    submission's packages keeps its dots."""
    parts = package.split(".") if package else []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level and node.level <= len(parts):
            base = parts[:len(parts) - node.level + 1]
            node.module = ".".join([*base, *([node.module] if node.module else [])])
            node.level = 0


def ambient_roots(graph: Graph, kinds: set[str], covered: set[str],
                  classes: Mapping[str, tuple[str, ...] | None]) -> list[Root]:
    """The code that can reach every covered function at run time (the `kinds` of it).
    `classes`: the submission's classes the grader runs itself (the base of one of its
    trusted classes), whose methods it calls."""
    roots: list[Root] = []
    live: set[int] | None = None
    for tree in graph.unique:
        label = graph.label[id(tree)]
        top = f"at the top level of {label}'s cell"
        if "top_level" in kinds:
            roots += cell_top_level(tree, top)
        if "called" in kinds:
            # The functions the grader calls itself: the definitions the assignment names
            # (a cell's grade_id is its function's name). The classes it runs are its own
            # trusted ones, which call the student's functions by name.
            roots += [(part, where, True) for d in _bindings(tree)[0]
                      if (isinstance(d, FUNCTIONS) and d.name in graph.trees
                          and d.name not in covered) or d.name in classes
                      for part, where in class_parts(d, _methods(classes))]
        if "escaping" in kinds:
            roots += [(d, "", True) for n in sorted(graph.memo("escaping", tree, _escaping))
                      if n in graph.defined
                      and n not in covered for d in graph.defined[n]]
        if "stored" in kinds:
            live = _runnable(graph, classes) if live is None else live
            roots += [(value, f"stored on an attribute in {label}'s cell", True)
                      for value, home in _stored_on_attributes(tree)
                      if home is None or id(home) in live]
    return roots


def _methods(classes: Mapping[str, tuple[str, ...] | None]) -> dict[str, tuple[str, ...]]:
    return {name: called for name, called in classes.items() if called is not None}


def _runnable(graph: Graph, classes: Mapping[str, tuple[str, ...] | None]) -> set[int]:
    """The definitions that can run at all: what every cell runs when it runs, the
    functions (a cell's grade_id) and classes the grader calls, and what they name,
    transitively."""
    starts = [root for tree in graph.unique for root in cell_top_level(tree, "")]
    starts += [(part, "", True) for name in (*graph.trees, *classes)
               for d in graph.defined.get(name, [])
               for part, _ in class_parts(d, _methods(classes))]
    live: set[int] = set()

    def note(node: ast.AST) -> list[str]:
        live.add(id(node))
        return []

    reach(starts, graph, set(), note)
    return live


def cell_top_level(tree: ast.Module, label: str) -> list[Root]:
    """What runs when a cell runs: its statements, and the decorators, defaults,
    annotations, bases and class bodies of its definitions."""
    roots: list[Root] = []
    for node in tree.body:
        if isinstance(node, DEFINITIONS):
            roots += [(part, label, deep) for part, deep in _definition_time(node)]
        elif not _imported_names(node):
            roots.append((node, label, True))
    return roots


def _imported_names(node: ast.AST) -> list[str]:
    """The names a plain import statement binds (none for `from m import *`, whose names
    are unknown, nor for any other statement). Such an import runs nothing of the
    student's: it is judged where a function uses what it binds."""
    if isinstance(node, ast.Import):
        return [a.asname or a.name.split(".")[0] for a in node.names]
    if isinstance(node, ast.ImportFrom) and all(a.name != "*" for a in node.names):
        return [a.asname or a.name for a in node.names]
    return []


def own_roots(graph: Graph, grade_id: str) -> list[Root]:
    """Where a covered function starts: every definition of its name, and what its cell
    runs when it runs."""
    tree = graph.trees[grade_id]
    named = [(d, "", True) for d in graph.defined.get(grade_id, [])]
    named += [(v, text, True) for v, text in graph.values.get(grade_id, [])]
    return named + cell_top_level(tree, "at the top level of its cell")


def reach(roots: Iterable[Root], graph: Graph, skip: set[str], breaks: Breaks
          ) -> list[tuple[str, str, str]]:
    """What `roots` and every definition and top-level binding they name (transitively,
    but not those in `skip`) break: (construct, the definition it is in or "", the
    root's label or "" for a definition)."""
    found: list[tuple[str, str, str]] = []
    seen: set[int] = set()
    todo = list(reversed(list(roots)))
    while todo:
        node, label, deep = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        # A method reached as a root of its own is labelled by its root, not by name.
        where = node.name if isinstance(node, DEFINITIONS) and any(
            d is node for d in graph.defined.get(node.name, [])) else ""
        found += [(what, where, "" if where else label) for what in breaks(node)]
        classes = graph.memo("uses", node, _named_for_use) if deep else set()
        # Names in sorted order: a set's order changes with the interpreter's hash seed,
        # and with it the order of the findings a student is shown (regrading must not).
        todo += [(d, "", True) for n in sorted(graph.memo("refs", node, referenced))
                 if n in graph.defined and n not in skip for d in graph.defined[n]
                 if id(d) not in seen and (n in classes or not isinstance(d, ast.ClassDef))]
        todo += [(v, text, True) for n in sorted(graph.memo("free", node, _free))
                 if n in graph.values and n not in skip
                 for v, text in graph.values[n] if id(v) not in seen]
    return found


def _named_for_use(node: ast.AST) -> set[str]:
    """The names `node` uses outside annotations: a class named only in an annotation
    (`cls: LinearClassifier`) runs none of its methods."""
    quiet = {id(n) for a in ast.walk(node) for part in _annotations(a) for n in ast.walk(part)}
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and id(n) not in quiet}


def _annotations(node: ast.AST) -> list[ast.AST]:
    if isinstance(node, ast.arg):
        return [node.annotation] if node.annotation is not None else []
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.returns is not None:
        return [node.returns]
    if isinstance(node, ast.AnnAssign):
        return [node.annotation]
    return []


def _bindings(tree: ast.Module) -> tuple[list[ast.AST], dict[str, list[ast.AST]]]:
    """What a cell defines when it runs: its definitions, also those inside if/try/with/
    for/while/match blocks, and the top-level statements that bind any other name (an
    assignment, a walrus, a for or with target), by name."""
    definitions: list[ast.AST] = []
    bound: dict[str, list[ast.AST]] = {}
    todo: list[ast.AST] = list(tree.body)
    while todo:
        node = todo.pop(0)
        if isinstance(node, DEFINITIONS):
            definitions.append(node)
            continue
        if isinstance(node, ast.stmt):
            for sub in _outside_definitions(node):
                if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store):
                    bound.setdefault(sub.id, []).append(node)
            for name in _imported_names(node):
                bound.setdefault(name, []).append(node)
        todo += [child for child in ast.iter_child_nodes(node)
                 if isinstance(child, ast.stmt | ast.excepthandler | ast.match_case)]
    return definitions, bound


def _outside_definitions(node: ast.AST) -> list[ast.AST]:
    """`node` and what it holds, but not the bodies of the functions, classes and lambdas
    in it."""
    out, todo = [], [node]
    while todo:
        current = todo.pop()
        out.append(current)
        if current is not node and isinstance(current, (*DEFINITIONS, ast.Lambda)):
            continue
        todo += list(ast.iter_child_nodes(current))
    return out


def _free(node: ast.AST) -> set[str]:
    """The names `node` reads that it does not bind itself: for a function or lambda,
    not its parameters, nor the names it assigns (unless declared global)."""
    names = referenced(node)
    if not isinstance(node, FUNCTIONS):
        return names
    declared = {n for sub in ast.walk(node) if isinstance(sub, ast.Global | ast.Nonlocal)
                for n in sub.names}
    stored = {sub.id for sub in ast.walk(node)
              if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store)}
    return names - set(parameters(node)) - (stored - declared)


def _definition_time(node: ast.AST) -> list[tuple[ast.AST, bool]]:
    """The parts of a definition that run when its cell runs, each with whether a class
    it names is reached (not a base or an annotation: naming a class there runs none of
    its methods)."""
    parts: list[tuple[ast.AST, bool]] = [(d, True) for d in getattr(node, "decorator_list", [])]
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        args = node.args
        parts += [(d, True) for d in [*args.defaults, *args.kw_defaults] if d is not None]
        # An annotation naming a class runs none of its methods either.
        parts += [(a.annotation, False) for a in (*args.posonlyargs, *args.args,
                                                  *args.kwonlyargs, args.vararg, args.kwarg)
                  if a is not None and a.annotation is not None]
        parts += [(node.returns, False)] if node.returns is not None else []
    elif isinstance(node, ast.ClassDef):
        parts += [(b, False) for b in node.bases] + [(k, True) for k in node.keywords]
        for item in node.body:
            parts += _definition_time(item) if isinstance(item, DEFINITIONS) else [(item, True)]
    return parts


def _escaping(tree: ast.Module) -> set[str]:
    """Names used as values anywhere (not only called): a function passed or stored; not
    a class's bases or an annotation, which hand nothing to anyone."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    quiet = {id(n) for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for n in c.bases}
    quiet |= {id(n) for a in ast.walk(tree) for part in _annotations(a) for n in ast.walk(part)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load) and id(n) not in called | quiet}


def _stored_on_attributes(tree: ast.Module) -> list[tuple[ast.AST, ast.AST | None]]:
    """Values assigned to an attribute anywhere (`torch.Tensor.grad_of = lambda ...`),
    each with the top-level definition it is in (None: the cell's top level)."""
    out: list[tuple[ast.AST, ast.AST | None]] = []
    for top in tree.body:
        home = top if isinstance(top, DEFINITIONS) else None
        out += [(n.value, home) for n in ast.walk(top) if isinstance(n, ast.Assign | ast.AugAssign)
                and any(isinstance(t, ast.Attribute)
                        for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))]
    return out
