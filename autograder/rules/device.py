"""The device detector (a rule's `calls`, `factories`, `converters`, `library`,
`scalar_factories` and the `dtypes` read from its library): tensors made off the inputs'
device, or moved off it.

Where the inputs are is known only from the inputs themselves, so a device or a tensor
passes where it follows an input: a parameter the caller must pass (of a function the
grader calls, or of a helper every call of which passes such a value), never rebound to
anything else, and what is read, computed or bound from one (`X.device`, `dev = X.device`,
`scores = X.mm(W)`, `scores.device`). A name is followed through every binding it has in
its function: one `X = "cpu"` anywhere, a default value, a module constant, an unpacking
the reader cannot pair up, and the name no longer follows the inputs."""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

from autograder.rules.modules import names
from autograder.rules.syntax import FUNCTIONS, Names, dotted, finding, parameters, parents


def is_device_rule(rule: Mapping[str, object]) -> bool:
    return bool(rule.get("factories") or rule.get("calls") or rule.get("converters"))


def in_library(name: str, rule: Mapping[str, object]) -> bool:
    """Whether the resolved name `name` is in the rule's tensor `library` (torch.zeros,
    torch.nn.Module for torch); never where the rule names none."""
    library = rule.get("library")
    return bool(library) and name.startswith(f"{library}.")


class Scopes:
    """Which names follow the inputs, in every function of the submission's cells.

    `entry`: the functions the grader calls (their required parameters are inputs). A
    helper's required parameter is an input where every call of the helper by name, in
    any cell, passes a value that follows the caller's inputs; a helper handed around as a
    value, decorated or a method is called by code the reader does not see: none."""

    def __init__(self, trees: Iterable[ast.Module], entry: set[str],
                 rule: Mapping[str, object]) -> None:
        self.factories = set(names(rule.get("factories", ())))
        self.rule = rule
        # What `.to(...)` may name besides a tensor or device that follows the inputs: a
        # dtype of the library (read from it where the assignment is loaded).
        self.dtypes = set(names(rule.get("dtypes", ())))
        self.parent: dict[int, ast.AST] = {}
        self.names: dict[int, Names] = {}
        functions: list[ast.AST] = []
        calls: list[ast.Call] = []
        escaping: set[str] = set()
        for tree in trees:
            self.parent.update(parents(tree))
            resolver = Names(tree, rule)
            called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
            for node in ast.walk(tree):
                self.names[id(node)] = resolver
                if isinstance(node, FUNCTIONS):
                    functions.append(node)
                elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                    calls.append(node)
                elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) \
                        and id(node) not in called:
                    escaping.add(node.id)
        self.name_of = {id(f): n for f in functions if (n := self._name(f))}
        self.inputs: dict[int, set[str]] = {}
        for f in functions:
            name = self.name_of.get(id(f))
            top = self.enclosing(f) is None and not isinstance(self.parent.get(id(f)),
                                                               ast.ClassDef)
            if name in entry and top:
                self.inputs[id(f)] = set(parameters(f, required=True))
            elif name and name not in escaping and not getattr(f, "decorator_list", None) \
                    and not isinstance(self.parent.get(id(f)), ast.ClassDef):
                self.inputs[id(f)] = set(parameters(f, required=True))
        by_name: dict[str, list[ast.AST]] = {}
        for f in functions:
            if id(f) in self.inputs and self.name_of.get(id(f)) not in entry:
                by_name.setdefault(self.name_of[id(f)], []).append(f)
        for f in (f for fs in by_name.values() for f in fs):
            if not any(c.func.id == self.name_of[id(f)] for c in calls):
                self.inputs[id(f)] = set()
        self._settle(calls, by_name)

    def _name(self, f: ast.AST) -> str | None:
        if not isinstance(f, ast.Lambda):
            return f.name
        holder = self.parent.get(id(f))
        if isinstance(holder, ast.Assign) and len(holder.targets) == 1 \
                and isinstance(holder.targets[0], ast.Name):
            return holder.targets[0].id
        return None

    def _settle(self, calls: list[ast.Call], by_name: Mapping[str, list[ast.AST]]) -> None:
        """Drop every helper parameter that some call passes a value not following the
        caller's inputs, until none changes."""
        changed = True
        while changed:
            changed = False
            self._memo: dict[int, set[str]] = {}
            for call in calls:
                for helper in by_name.get(call.func.id, ()):
                    given = self._arguments(call, helper)
                    for param in list(self.inputs[id(helper)]):
                        value = given.get(param)
                        if value is None or not self.follows_at(value, call):
                            self.inputs[id(helper)].discard(param)
                            changed = True
        self._memo = {}

    @staticmethod
    def _arguments(call: ast.Call, helper: ast.AST) -> dict[str, ast.AST]:
        """parameter -> the value this call passes for it (none through * or **)."""
        if any(isinstance(a, ast.Starred) for a in call.args) \
                or any(k.arg is None for k in call.keywords):
            return {}
        positional = [a.arg for a in (*helper.args.posonlyargs, *helper.args.args)]
        given = dict(zip(positional, call.args, strict=False))
        given.update({k.arg: k.value for k in call.keywords})
        return given

    def enclosing(self, node: ast.AST) -> ast.AST | None:
        holder = self.parent.get(id(node))
        while holder is not None and not isinstance(holder, FUNCTIONS):
            holder = self.parent.get(id(holder))
        return holder

    def safe(self, function: ast.AST | None) -> set[str]:
        """The names that follow the inputs inside `function` (None: a cell's top level,
        where nothing does)."""
        if function is None:
            return set()
        if id(function) not in self._memo:
            self._memo[id(function)] = set()   # a cycle through itself follows nothing
            self._memo[id(function)] = self._safe(function)
        return self._memo[id(function)]

    def _safe(self, function: ast.AST) -> set[str]:
        bindings, declared = _bindings(function)
        for param in parameters(function):
            bindings.setdefault(param, []).append(
                None if param in self.inputs.get(id(function), ()) else ast.Constant(None))
        outer = self.safe(self.enclosing(function)) - set(bindings) - declared
        safe = set(bindings) - declared
        changed = True
        while changed:   # the largest set whose every binding follows it
            changed = False
            for name in list(safe):
                if not all(v is None or self.follows(v, safe | outer, function)
                           for v in bindings[name]):
                    safe.discard(name)
                    changed = True
        return safe | outer

    def follows_at(self, value: ast.AST, where: ast.AST) -> bool:
        function = self.enclosing(where)
        return self.follows(value, self.safe(function), function)

    def follows(self, e: ast.AST, safe: set[str], where: ast.AST | None) -> bool:
        """Whether the value of `e` is a tensor, device or dtype that follows the inputs."""
        resolver = self.names.get(id(e)) or self.names.get(id(where))
        if isinstance(e, ast.Name):
            return e.id in safe
        if isinstance(e, ast.Attribute):
            return self.follows(e.value, safe, where) or (
                resolver is not None and in_library(resolver.resolved(e), self.rule)
                and e.attr in self.dtypes)
        if isinstance(e, ast.Subscript | ast.Starred):
            return self.follows(e.value, safe, where)
        if isinstance(e, ast.Call):
            if isinstance(e.func, ast.Attribute) and self.follows(e.func.value, safe, where):
                return True    # a method of a tensor that follows them (moves are flagged)
            callee = resolver.resolved(e.func) if resolver else ""
            return in_library(callee, self.rule) and callee not in self.factories \
                and bool(e.args) and self.follows(e.args[0], safe, where)
        if isinstance(e, ast.BinOp):
            sides = (e.left, e.right)
            return any(self.follows(s, safe, where) for s in sides) and not any(
                isinstance(s, ast.Constant) and isinstance(s.value, str) for s in sides)
        if isinstance(e, ast.UnaryOp):
            return self.follows(e.operand, safe, where)
        if isinstance(e, ast.IfExp):
            return self.follows(e.body, safe, where) and self.follows(e.orelse, safe, where)
        if isinstance(e, ast.BoolOp):
            return all(self.follows(v, safe, where) for v in e.values)
        return False


def _bindings(function: ast.AST) -> tuple[dict[str, list[ast.AST]], set[str]]:
    """name -> the values `function` binds it to (an ast.Constant(None) where the reader
    cannot pair a value with it), and the names declared global or nonlocal; not looking
    into nested functions and classes, whose names are bindings of their own."""
    bound: dict[str, list[ast.AST]] = {}
    declared: set[str] = set()

    def bind(target: ast.AST, value: ast.AST | None) -> None:
        if isinstance(target, ast.Name):
            bound.setdefault(target.id, []).append(
                value if value is not None else ast.Constant(None))
        elif isinstance(target, ast.Tuple | ast.List):
            pairs = isinstance(value, ast.Tuple | ast.List) and len(value.elts) == len(
                target.elts) and not any(isinstance(e, ast.Starred) for e in target.elts)
            for i, element in enumerate(target.elts):
                bind(element, value.elts[i] if pairs else None)
        elif isinstance(target, ast.Starred):
            bind(target.value, None)

    todo = [n for n in ast.iter_child_nodes(function) if n is not function.args]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Global | ast.Nonlocal):
            declared.update(node.names)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                bind(target, node.value)
        elif isinstance(node, ast.AnnAssign | ast.NamedExpr):
            bind(node.target, node.value)
        elif isinstance(node, ast.AugAssign):
            bind(node.target, node.target if node.value is None else ast.BinOp(
                node.target, node.op, node.value))
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bound.setdefault(node.id, []).append(ast.Constant(None))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.setdefault(node.name, []).append(ast.Constant(None))
            continue
        elif isinstance(node, ast.Lambda):
            continue
        elif isinstance(node, ast.alias):
            bound.setdefault((node.asname or node.name).split(".")[0], []).append(
                ast.Constant(None))
        elif isinstance(node, ast.ExceptHandler | ast.MatchAs | ast.MatchStar) and node.name:
            bound.setdefault(node.name, []).append(ast.Constant(None))
        if isinstance(node, ast.Assign | ast.AnnAssign | ast.NamedExpr | ast.AugAssign):
            todo += [node.value] if node.value is not None else []
            continue
        todo += list(ast.iter_child_nodes(node))
    return bound, declared


def _index_parts(starts: Iterable[ast.AST]) -> set[int]:
    """The nodes whose value is only an index (`scores[torch.arange(N), y]`: an index
    tensor may live on another device): the index itself, the elements of a tuple index,
    and what arithmetic, subscripts and method calls on those are made of; not a value
    that can leave the index (`y[(t := torch.zeros(N)).shape[0]]`, `y[f(torch.zeros(N))]`)."""
    out: set[int] = set()
    todo = list(starts)
    while todo:
        node = todo.pop()
        out.add(id(node))
        if isinstance(node, ast.Tuple):
            todo += node.elts
        elif isinstance(node, ast.BinOp):
            todo += [node.left, node.right]
        elif isinstance(node, ast.UnaryOp):
            todo.append(node.operand)
        elif isinstance(node, ast.Subscript | ast.Attribute):
            todo.append(node.value)
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            todo.append(node.func.value)   # torch.arange(N).unsqueeze(1): the arange
    return out


def in_an_index(root: ast.AST) -> set[int]:
    """The nodes of `root` that are only an index: in a subscript's index, or the value
    of a name bound once, by a plain assignment, and read only in indexes
    (`rows = torch.arange(N)`, then `scores[rows, y]`)."""
    indexed = _index_parts(sub.slice for sub in ast.walk(root) if isinstance(sub, ast.Subscript))
    if not isinstance(root, FUNCTIONS):
        return indexed   # a cell's names are read by other cells too
    stores: dict[str, list[ast.AST]] = {}
    loads: dict[str, list[ast.Name]] = {}
    for node in ast.walk(root):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).setdefault(
                node.id, []).append(node)
    plain = {}
    for node in ast.walk(root):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                and isinstance(node.targets[0], ast.Name):
            plain.setdefault(node.targets[0].id, []).append(node.value)
    changed = True
    while changed:
        changed = False
        for name, values in plain.items():
            if len(stores.get(name, ())) == len(values) \
                    and not all(id(v) in indexed for v in values) \
                    and loads.get(name) and all(id(n) in indexed for n in loads[name]):
                indexed |= _index_parts(values)
                changed = True
    return indexed


def device_breaks(root: ast.AST, rule: Mapping[str, object], scopes: Scopes | None
                  ) -> list[tuple[int, str]]:
    """What `root` does that the rule's device side forbids: (line, construct)."""
    if scopes is None or not is_device_rule(rule):
        return []
    calls = set(names(rule.get("calls", ())))
    factories = set(names(rule.get("factories", ())))
    converters = set(names(rule.get("converters", ())))
    scope = Names(root, rule)
    indexed = in_an_index(root) | _scalar_operands(root, scope, rule)
    called = {id(n.func) for n in ast.walk(root) if isinstance(n, ast.Call)}

    def follows(value: ast.AST, where: ast.AST) -> bool:
        return scopes.follows_at(value, where)

    found: list[tuple[int, str]] = []
    for node in ast.walk(root):
        if isinstance(node, ast.Call):
            callee = scope.resolved(node.func)
            method = node.func.attr if isinstance(node.func, ast.Attribute) else None
            keywords = _spelled_out(node.keywords)
            device = [v for k, v in keywords if k == "device"]
            if method in calls and method not in ("to", "type"):
                found.append(finding(node, f"`.{method}()`"))
            elif method in ("to", "type") and method in calls and (
                    any(not follows(a, node) for a in [*node.args, *(
                        v for k, v in keywords if k in ("device", "dtype"))])
                    or any(k is None for k, _ in keywords)):
                found.append(finding(node, f"`.{method}(...)` to a fixed device"))
            if isinstance(node.func, ast.Call):
                found.append(finding(node, "a tensor built by calling a type (`type(W)(...)`)"))
            if callee in converters or any(c.endswith(".*") and callee.startswith(c[:-1])
                                           for c in converters):
                found.append(finding(node, f"`{dotted(node.func)}(...)`, which leaves the "
                                           "inputs' device"))
            if callee in factories and id(node) not in indexed and not device:
                found.append(finding(node, f"`{dotted(node.func)}(...)` without device="))
            elif device and not follows(device[0], node):
                found.append(finding(node, f"`{dotted(node.func)}(...)` with a device other "
                                           "than an input's (device=X.device)"))
        elif isinstance(node, ast.Attribute):
            text = dotted(node) or "." + node.attr
            if node.attr in calls and id(node) not in called and not (
                    isinstance(node.value, ast.Attribute) and node.value.attr == "device"):
                found.append(finding(node, f"`{text}` taken without calling it"))
            elif scope.resolved(node) in factories and id(node) not in called:
                found.append(finding(node, f"`{text}` passed around (call it with "
                                           "device=X.device)"))
            elif factories and node.attr.endswith("Tensor") and in_library(
                    scope.resolved(node), rule) and (node.attr != "Tensor" or id(node) in called):
                found.append(finding(node, f"`{text}`, whose tensors live on one device"))
        elif isinstance(node, ast.ClassDef) and factories and any(
                in_library(scope.resolved(b), rule) for b in node.bases):
            found.append(finding(node, f"class {node.name}, a subclass of a {rule['library']} "
                                       "class, whose instances live on one device"))
    return found


def _spelled_out(keywords: list[ast.keyword]) -> list[tuple[str | None, ast.AST]]:
    """A call's keywords, with `**{"device": X.device}` (a dict written out) read as the
    keywords it holds; any other `**` stays (None, value): the reader cannot see its keys."""
    out: list[tuple[str | None, ast.AST]] = []
    for k in keywords:
        literal = isinstance(k.value, ast.Dict) and all(
            isinstance(key, ast.Constant) and isinstance(key.value, str) for key in k.value.keys)
        if k.arg is None and literal:
            out += [(key.value, value) for key, value in zip(k.value.keys, k.value.values,
                                                             strict=True)]
        else:
            out.append((k.arg, k.value))
    return out


def _scalar_operands(root: ast.AST, scope: Names, rule: Mapping[str, object]) -> set[int]:
    """`torch.maximum(torch.tensor(0), margins)`: a 0-dim tensor of a number written in
    (made by one of the rule's `scalar_factories`), given to a function of its `library`
    beside a tensor that follows the inputs, acts as a scalar on any device (torch moves
    0-dim CPU tensors into the operation)."""
    factories = set(names(rule.get("scalar_factories", ())))
    out: set[int] = set()
    for call in ast.walk(root):
        if not (isinstance(call, ast.Call) and in_library(scope.resolved(call.func), rule)):
            continue
        scalars = [a for a in call.args if isinstance(a, ast.Call)
                   and scope.resolved(a.func) in factories
                   and len(a.args) == 1 and isinstance(a.args[0], ast.Constant)
                   and isinstance(a.args[0].value, int | float) and not a.keywords]
        if scalars and len(scalars) < len(call.args):
            out |= {id(a) for a in scalars}
    return out
