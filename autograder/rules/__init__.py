"""Rules on the source of a submission, read by the grader (never run): an assignment's
`[rules.<name>]` tables say which constructs its functions must not use.

    findings = scan(cells, spec.rules)   # rule -> grade_id -> ["x.backward (line 12)", ...]

Runs in intake's bounded parser, over the definitions' text, so what it finds does not
depend on anything the child reports. A rule names:

- `functions`: the definitions it applies to;
- `attributes`: attribute names they must not touch (`loss.backward`, `torch.autograd`),
  and `attribute_parts` what no such name may contain (`grad`: `requires_grad=`,
  `register_full_backward_hook`), but for `attribute_exceptions` (`no_grad`), and
  `attribute_prefixes` what none may start with (`f_`, `gi_`: a frame's `f_builtins`
  hands out every builtin). An attribute name is also a keyword argument, a class
  pattern's keyword (`case object(backward=go)`), a name bound in a class body, and a
  name imported from a module;
- `modules`: modules they must not import; `imports`: the only ones they may (an
  allow-list), whose attributes are read by importing them where the assignment is
  loaded (`module_table`), so that a chain through a module (`torch.sys.modules`)
  reaches only them and names they have; `aliases`: the notebook's names for modules;
- `private`: whether private and dunder names count (`torch._C`, `f.__globals__`);
- `dynamic`: whether attribute access the reader cannot follow counts (getattr, eval,
  exec, `__import__`, globals(), vars(), `__dict__`, aliases of them included; objects
  rebuilt from bytes, `torch.load`; classes made from data, `type(name, bases, dict)`;
  files read, `open`; class patterns that read attributes, `case T(x)` included);
- `calls`: methods they must not call (`.cuda()`, `.numpy()`), nor take uncalled; `.to()`
  and `.type()` only to an input's `.device`/`.dtype`, an input, or a torch dtype;
- `factories`: functions that must be given `device=` an input's `.device` (a tensor
  made elsewhere is made on the default device), except as an index
  (`scores[torch.arange(N), y]`), nor be passed around; `factories_from`: modules whose
  functions documented with a device parameter are factories too (`device_factories`);
  `converters`: functions whose result leaves the device (`numpy.*`). An input is a
  parameter the caller must pass (not one with a default);
- `ambient`: whether code that can reach every function at run time counts against each
  of them (true, or a list of `AMBIENT`'s kinds): what runs when a cell runs (its top
  level, decorators, defaults, class bodies), functions the grader calls itself, any
  function handed around, and any value stored on an attribute
  (`torch.Tensor.grad_of = helper` installs it for everyone), with their helpers.

A function is judged on its whole cell (every definition in it, and what runs when it
runs) and the helpers of other cells they use (by name, transitively, every definition of
a name), and, for an `ambient` rule, on all the code that can reach it. What the reader
cannot follow it refuses: the rules err towards blocking, and every finding names the
construct and its line.
"""

from __future__ import annotations

import ast
import importlib
import re
import types
from collections.abc import Iterable, Mapping

DYNAMIC_CALLS = ("getattr", "setattr", "delattr", "eval", "exec", "compile", "__import__",
                 "globals", "vars", "locals", "attrgetter", "methodcaller", "import_module",
                 "getattr_static", "getmembers", "breakpoint",
                 # Objects rebuilt from bytes (a pickle names any function as a string).
                 "load", "loads")
# Builtins that make classes or objects out of data (`type(name, bases, {"__x__": f})`
# writes dunders as strings) or read them from files: dynamic where they are names.
DYNAMIC_BUILTINS = ("type", "open")
# Dunders that name nothing the rules forbid (a class's own constructor).
PUBLIC_DUNDERS = ("__init__",)
# What `.to(...)` may name besides an input's device: a dtype.
TORCH_DTYPES = ("float64", "float32", "float16", "bfloat16", "double", "float", "half",
                "int64", "int32", "int16", "int8", "uint8", "long", "int", "short", "bool")
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


DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# What an `ambient` rule can take as reaching every function: what runs when a cell runs,
# the functions the grader calls itself, functions handed around, values stored on
# attributes (`torch.Tensor.f = g`).
AMBIENT = ("top_level", "called", "escaping", "stored")


def _scan_rule(trees: Mapping[str, ast.Module], rule: Mapping[str, object]
               ) -> dict[str, list[str]]:
    covered = set(_names(rule.get("functions", ())))
    # Every cell's top-level definitions, by name: all of them where cells define a name
    # twice (which one runs depends on the order the cells run in).
    # Definitions inside a cell's if/try/with/for blocks count too, and so does what a
    # cell binds to a name at its top level (`blank = lambda n: torch.zeros(n)`).
    defined: dict[str, list[ast.AST]] = {}
    values: dict[str, list[tuple[ast.AST, str]]] = {}
    cell_of: dict[str, str] = {}
    for grade_id, tree in trees.items():
        definitions, bound = _bindings(tree)
        for node in definitions:
            defined.setdefault(node.name, []).append(node)
            cell_of.setdefault(node.name, grade_id)
        for name, statements in bound.items():
            values.setdefault(name, []).extend(
                (statement, f"in `{name}`, set at the top level of {grade_id}'s cell")
                for statement in statements)
    helpers = (defined, values)
    # A covered cell's own code: every definition in it, used by name or not (a string
    # can reach one), with the helpers they use.
    own = {g: [n for n in trees[g].body if isinstance(n, DEFINITIONS)]
           for g in covered & set(trees)}

    # Ambient: code that can reach every covered function at run time, so what it breaks
    # counts against each of them. That is what runs when a cell is defined (its top
    # level, decorators, default values, class bodies), the other cells' functions the
    # grader calls itself, any function handed around as a value (`torch.Tensor.f = g`
    # installs g for everyone), and any value stored on an attribute; with all the
    # helpers each of these uses, transitively.
    # `ambient = true` takes all of these kinds, or a list names some of them.
    kinds = rule.get("ambient")
    kinds = set(AMBIENT) if kinds is True else set(_names(kinds))
    used = {n for tree in trees.values() for node in tree.body
            for n in _referenced(node) - {getattr(node, "name", None)}}
    roots: list[tuple[ast.AST, str]] = []
    for grade_id, tree in trees.items():
        top = f"at the top level of {grade_id}'s cell"
        for node in tree.body:
            if not isinstance(node, DEFINITIONS):
                roots += [(node, top)] if "top_level" in kinds else []
                continue
            roots += [(part, top) for part in _definition_time(node) if "top_level" in kinds]
            # What another cell defines and nothing uses is what the grader calls.
            if grade_id not in covered and node.name not in used and "called" in kinds:
                roots.append((node, ""))
        roots += [(d, "") for n in _escaping(tree) if n in defined and n not in covered
                  for d in defined[n] if "escaping" in kinds]
        roots += [(value, f"stored on an attribute in {grade_id}'s cell")
                  for value in _stored_on_attributes(tree) if "stored" in kinds]
    ambient = [
        ((what, where), f"{what} {label or _in(where, cell_of, '')}, which can reach every "
                        "function")
        for what, where, label in _reach(roots, helpers, covered, rule)]

    result: dict[str, list[str]] = {}
    for grade_id, nodes in own.items():
        # The whole cell: its definitions, and what runs when the cell runs.
        top = [part for node in trees[grade_id].body for part in (
            _definition_time(node) if isinstance(node, DEFINITIONS) else [node])]
        hits = _reach([(n, "") for n in nodes] + [(t, "at the top level of its cell")
                                                  for t in top], helpers, set(), rule)
        found = [what if where == grade_id or (not where and not label) else
                 f"{what} {label}" if not where else f"{what} {_in(where, cell_of, grade_id)}"
                 for what, where, label in hits]
        mine = {(what, where) for what, where, _ in hits}
        found += [text for key, text in ambient if key not in mine]
        if found:
            result[grade_id] = list(dict.fromkeys(found))
    return result


def _in(name: str, cell_of: Mapping[str, str], cell: str) -> str:
    """'in helper', with its cell where that is another one."""
    where = cell_of[name]
    return f"in {name}" if where in (cell, name) else f"in {name} ({where}'s cell)"


def _reach(roots: list[tuple[ast.AST, str]],
           helpers: tuple[Mapping[str, list[ast.AST]], Mapping[str, list[tuple[ast.AST, str]]]],
           skip: set[str],
           rule: Mapping[str, object]) -> list[tuple[str, str, str]]:
    """What `roots` (each with a label saying where it is, or "" for a definition) and
    every definition and top-level binding they name (transitively, but not those in
    `skip`) break: (construct, the definition it is in, the label or "" for a
    definition)."""
    defined, values = helpers
    found: list[tuple[str, str, str]] = []
    seen: set[int] = set()
    todo = list(reversed(roots))
    while todo:
        node, label = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        where = node.name if isinstance(node, DEFINITIONS) else ""
        found += [(what, where, "" if where else label) for what in _breaks(node, rule)]
        todo += [(d, "") for n in _referenced(node) if n in defined and n not in skip
                 for d in defined[n] if id(d) not in seen]
        todo += [(v, text) for n in _free(node) if n in values and n not in skip
                 for v, text in values[n] if id(v) not in seen]
    return found


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
    names = _referenced(node)
    if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
        return names
    args = node.args
    params = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs,
                              *([args.vararg] if args.vararg else []),
                              *([args.kwarg] if args.kwarg else []))}
    declared = {n for sub in ast.walk(node) if isinstance(sub, ast.Global | ast.Nonlocal)
                for n in sub.names}
    stored = {sub.id for sub in ast.walk(node)
              if isinstance(sub, ast.Name) and isinstance(sub.ctx, ast.Store)}
    return names - params - (stored - declared)


def _definition_time(node: ast.AST) -> list[ast.AST]:
    """The parts of a top-level definition that run when its cell runs."""
    parts: list[ast.AST] = list(getattr(node, "decorator_list", []))
    if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
        parts += [d for d in [*node.args.defaults, *node.args.kw_defaults] if d is not None]
    elif isinstance(node, ast.ClassDef):
        parts += [*node.bases, *node.keywords]
        for item in node.body:
            parts += _definition_time(item) if isinstance(item, DEFINITIONS) else [item]
    return parts


def _escaping(tree: ast.Module) -> set[str]:
    """Names used as values anywhere (not only called): a function passed or stored."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load) and id(n) not in called}


def _stored_on_attributes(tree: ast.Module) -> list[ast.AST]:
    """Values assigned to an attribute anywhere (`torch.Tensor.grad_of = lambda ...`)."""
    return [n.value for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AugAssign)
            and any(isinstance(t, ast.Attribute)
                    for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))]


def module_table(allowed: Iterable[str]) -> dict[str, dict[str, str]]:
    """What the public attributes of each allowed module (and of each module on the way to
    one, `torch.nn` for `torch.nn.functional`) are: "" for anything but a module, else
    the module's own name. Read in the grader's process, which imports them; carried with
    the assignment to intake, which does not (an attribute chain such as `torch.sys` or
    `torch.serialization.pickle` then reaches a module the functions may not use)."""
    wanted = set(allowed)
    ancestors = {".".join(n.split(".")[:i]) for n in wanted for i in range(1, n.count(".") + 1)}
    table: dict[str, dict[str, str]] = {}
    for name in sorted(wanted | ancestors):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        table[name] = {key: (str(getattr(value, "__name__", "?"))
                             if isinstance(value, types.ModuleType) else "")
                       for key, value in vars(module).items() if not key.startswith("_")}
    return table


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


def with_modules_read(rule: Mapping[str, object]) -> dict[str, object]:
    """`rule` with what its modules hold, read by importing them: the `module_table` of
    its `imports`, and the device factories of its `factories_from` added to
    `factories`."""
    out = dict(rule)
    if "imports" in rule:
        out["module_table"] = module_table(_names(rule["imports"]))
    if "factories_from" in rule:
        out["factories"] = sorted({*_names(rule.get("factories", ())),
                                   *device_factories(_names(rule["factories_from"]))})
    return out


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


def _in_an_index(root: ast.AST) -> set[int]:
    """The nodes whose value is only an index (`scores[torch.arange(N), y]`: an index
    tensor may live on another device): the index itself, the elements of a tuple index,
    and what arithmetic, subscripts and method calls on those are made of; not a value
    that can leave the index (`y[(t := torch.zeros(N)).shape[0]]`, `y[f(torch.zeros(N))]`)."""
    out: set[int] = set()
    todo = [sub.slice for sub in ast.walk(root) if isinstance(sub, ast.Subscript)]
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


def _breaks(root: ast.AST, rule: Mapping[str, object]) -> list[str]:
    """What `root` does that `rule` forbids, each as 'construct (line N)'."""
    attributes = set(_names(rule.get("attributes", ())))
    modules = tuple(_names(rule.get("modules", ())))
    allowed = rule.get("imports")          # None: any module not in `modules`
    allowed = None if allowed is None else set(_names(allowed))
    calls = set(_names(rule.get("calls", ())))
    factories = set(_names(rule.get("factories", ())))
    dynamic = bool(rule.get("dynamic", False))
    private = bool(rule.get("private", False))
    parts = tuple(_names(rule.get("attribute_parts", ())))
    prefixes = tuple(_names(rule.get("attribute_prefixes", ())))
    exceptions = set(_names(rule.get("attribute_exceptions", ())))

    def partly(name: str) -> bool:
        return name not in exceptions and (any(p in name for p in parts)
                                           or name.startswith(prefixes))
    converters = set(_names(rule.get("converters", ())))
    table = rule.get("module_table")
    table = table if isinstance(table, Mapping) else None
    indexed = _in_an_index(root)
    called = {id(n.func) for n in ast.walk(root) if isinstance(n, ast.Call)}
    bases = {id(n.value) for n in ast.walk(root) if isinstance(n, ast.Attribute)}
    # Names bound to modules (the notebook's own, and what `root` imports), to what
    # `from m import f` imports.
    aliases = {str(k): str(v) for k, v in dict(rule.get("aliases", {})).items()}
    aliases.update({m: m for m in (allowed or ()) if "." not in m})
    for node in ast.walk(root):
        if isinstance(node, ast.Import):
            for alias in node.names:
                aliases[alias.asname or alias.name.split(".")[0]] = \
                    alias.name if alias.asname else alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"

    def resolved(node: ast.AST) -> str:
        dotted = _dotted(node)
        head, _, rest = dotted.partition(".")
        full = f"{aliases[head]}.{rest}".rstrip(".") if head in aliases else dotted
        names = full.split(".")
        # A module re-exported by another (`F.torch.zeros`, `torch.nn.functional.torch`).
        for i in range(len(names) - 1, 0, -1):
            if names[i] in ("torch", "numpy"):
                return ".".join(names[i:])
        return full

    def fixed(arg: ast.AST) -> bool:
        """Not one of the inputs' devices: only `X.device` (or an input itself, its
        `.dtype`, a torch dtype) says where the inputs are. An input is a parameter the
        caller must pass (one with a default can be a device written in)."""
        if isinstance(arg, ast.Attribute) and arg.attr in ("device", "dtype"):
            base = arg.value
            while isinstance(base, ast.Attribute | ast.Subscript):
                base = base.value
            return not (isinstance(base, ast.Name) and base.id in params)
        if isinstance(arg, ast.Name) and arg.id in params:
            return False
        if isinstance(arg, ast.Attribute) and resolved(arg).startswith("torch.") \
                and arg.attr in TORCH_DTYPES:
            return False
        return True

    def reaches(node: ast.Attribute) -> str | None:
        """Why the module chain `node` (torch.sys.modules) is not for these functions."""
        parts = _dotted(node).split(".")
        module = aliases.get(parts[0]) if len(parts) > 1 else None
        for part in parts[1:]:
            if module is None or table is None or module not in table:
                return None
            kind = table[module].get(part)
            if kind is None:
                return None if part.startswith("_") else (
                    f"`{_dotted(node)}`: {module} has no `{part}` these functions may use")
            if not kind:
                return None   # a function or class of an allowed module
            module = kind
            if not permitted(module) and not any(a.startswith(module + ".")
                                                 for a in (allowed or ())):
                return f"`{_dotted(node)}` reaches the module {module}"
        return None

    found: list[tuple[int, str]] = []
    inner: set[int] = set()   # the `torch.autograd` of `torch.autograd.grad`: told once

    def hit(node: ast.AST, what: str) -> None:
        found.append((getattr(node, "lineno", 0), f"{what} (line {getattr(node, 'lineno', '?')})"))

    def denied(name: str) -> bool:
        return any(name == x or name.startswith(x + ".") for x in modules)

    def permitted(name: str) -> bool:
        return allowed is None or name in allowed

    def named(node: ast.AST, name: str, how: str) -> None:
        """A name that reads or binds an attribute without an ast.Attribute: a keyword
        argument, a class pattern's keyword, a name bound in a class body."""
        if name in attributes or partly(name):
            hit(node, f"`{name}` ({how})")
        elif private and name.startswith("_") and name not in PUBLIC_DUNDERS:
            hit(node, f"`{name}` ({how}), a private name")
        elif dynamic and (name in DYNAMIC_ATTRIBUTES or name in DYNAMIC_CALLS):
            hit(node, f"`{name}` ({how}), which the grader cannot follow")

    params: set[str] = set()
    if isinstance(root, ast.FunctionDef | ast.AsyncFunctionDef):
        positional = root.args.posonlyargs + root.args.args
        params = {a.arg for a in positional[:len(positional) - len(root.args.defaults)]}
        params |= {a.arg for a, d in zip(root.args.kwonlyargs, root.args.kw_defaults,
                                         strict=True) if d is None}

    for node in ast.walk(root):
        if attributes or parts or prefixes or private:
            if isinstance(node, ast.Call):
                for k in node.keywords:
                    if k.arg is not None:
                        named(node, k.arg, "a keyword argument")
            elif isinstance(node, ast.MatchClass):
                for name in node.kwd_attrs:
                    named(node, name, "read by a class pattern")
                if dynamic and (node.kwd_attrs or node.patterns):
                    # Positional sub-patterns read the attributes `__match_args__` names.
                    hit(node, "a class pattern reading attributes, which the grader cannot "
                              "follow")
            elif isinstance(node, ast.ClassDef) and node is not root:
                for item in node.body:
                    targets = [item.name] if isinstance(item, DEFINITIONS) else [
                        t.id for t in getattr(item, "targets", [getattr(item, "target", None)])
                        if isinstance(t, ast.Name)]
                    for name in targets:
                        named(item, name, f"in the body of class {node.name}")
        if isinstance(node, ast.Attribute) and id(node) not in inner:
            dotted = _dotted(node) or "." + node.attr
            if node.attr in attributes or partly(node.attr):
                inner.update(id(n) for n in ast.walk(node.value))
                hit(node, f"`{dotted}`")
            elif dynamic and (node.attr in DYNAMIC_ATTRIBUTES or node.attr in DYNAMIC_CALLS):
                hit(node, f"`{dotted}`, which the grader cannot follow")
            elif private and node.attr.startswith("_") and node.attr not in PUBLIC_DUNDERS:
                inner.update(id(n) for n in ast.walk(node.value))
                hit(node, f"`{dotted}`, a private name the grader cannot follow")
            elif id(node) not in bases and (why := reaches(node)):
                hit(node, why)
            elif node.attr in calls and id(node) not in called and not (
                    isinstance(node.value, ast.Attribute) and node.value.attr == "device"):
                hit(node, f"`{dotted}` taken without calling it")
            elif resolved(node) in factories and id(node) not in called:
                hit(node, f"`{dotted}` passed around (call it with device=X.device)")
            elif factories and node.attr.endswith("Tensor") and resolved(node).startswith(
                    "torch.") and (node.attr != "Tensor" or id(node) in called):
                hit(node, f"`{dotted}`, whose tensors live on one device")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if denied(alias.name) or not permitted(alias.name):
                    hit(node, f"`import {alias.name}`")
        elif isinstance(node, ast.ImportFrom):
            # `from torch import enable_grad`, `from torch import _C`, `from torch.nn import
            # functional`: the name imported counts as an attribute of its module.
            base = "." * node.level + (node.module or "")
            for alias in node.names:
                full = f"{base}.{alias.name}"
                if alias.name in attributes or denied(base) or denied(full) \
                        or not (permitted(base) or permitted(full)):
                    hit(node, f"`from {base} import {alias.name}`")
                elif private and alias.name.startswith("_"):
                    hit(node, f"`from {base} import {alias.name}`, a private name")
        elif isinstance(node, ast.Call):
            callee = resolved(node.func)
            method = node.func.attr if isinstance(node.func, ast.Attribute) else None
            device = [k.value for k in node.keywords if k.arg == "device"]
            if method in calls and method not in ("to", "type"):
                hit(node, f"`.{method}()`")
            elif method in ("to", "type") and method in calls and (
                    any(fixed(a) for a in [*node.args, *(k.value for k in node.keywords
                                                         if k.arg in ("device", "dtype"))])
                    or any(k.arg is None for k in node.keywords)):
                hit(node, f"`.{method}(...)` to a fixed device")
            if isinstance(node.func, ast.Call) and (factories or calls):
                hit(node, "a tensor built by calling a type (`type(W)(...)`)")
            if callee in converters or any(c.endswith(".*") and callee.startswith(c[:-1])
                                           for c in converters):
                hit(node, f"`{_dotted(node.func)}(...)`, which leaves the inputs' device")
            if callee in factories and id(node) not in indexed and not device:
                hit(node, f"`{_dotted(node.func)}(...)` without device=")
            elif (factories or calls) and device and fixed(device[0]):
                hit(node, f"`{_dotted(node.func)}(...)` with a device other than an input's "
                          "(device=X.device)")
        elif isinstance(node, ast.ClassDef) and factories and any(
                resolved(b).startswith("torch.") for b in node.bases):
            hit(node, f"class {node.name}, a subclass of a torch class, whose instances "
                      "live on one device")
        elif isinstance(node, ast.Name):
            if table is not None and aliases.get(node.id) in table and id(node) not in bases:
                hit(node, f"`{node.id}` passed around as a value")
            elif dynamic and (node.id in DYNAMIC_CALLS or node.id in DYNAMIC_BUILTINS
                              or node.id in ("__builtins__", "__builtin__")):
                hit(node, f"`{node.id}`, which the grader cannot follow")
            elif private and node.id.startswith("__") and node.id.endswith("__"):
                hit(node, f"`{node.id}`, a private name the grader cannot follow")
    return [what for _, what in sorted(found, key=lambda hit: hit[0])]
