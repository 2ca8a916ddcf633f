"""Rules on the source of a submission, read by the grader (never run): an assignment's
`[rules.<name>]` tables say which constructs its functions must not use.

    findings = scan(cells, spec.rules)   # rule -> grade_id -> ["x.backward (line 12)", ...]

Runs in intake's bounded parser, over the definitions' text, so what it finds does not
depend on anything the child reports. A function is judged on the code it runs, by
meaning, not on the text around it (reach.py): its own definition and the helpers it
names (by name, across cells, transitively, every definition of a name), what its cell
runs when it runs, and, for an `ambient` rule, the code that can run inside any function.
The course's own code that no graded function reaches (a template class's `load`, the
imports of a starter module) is the course's. A starter module's relative imports
(`from ..layers import *` in cs231n/classifiers/fc_net.py) are read as the absolute ones
they are (`cs231n.layers`), given the module's file (`origins`). Two detectors read that code:

constructs.py (autograd, and what the reader cannot follow):
- `attributes`: attribute names the functions must not touch (`loss.backward`,
  `torch.autograd`), `attribute_parts` what no such name may contain (`grad`,
  `register_full_backward_hook`), but for `attribute_exceptions` (`no_grad`), and
  `attribute_prefixes` what none may start with (`f_`, `gi_`: a frame's `f_builtins`).
  A class pattern's keyword (`case object(backward=go)`), a name bound in a class body
  and a name imported from a module are attribute names too; a keyword argument is not
  (`want_grad=` names a parameter): only the `keywords` that turn gradients on count
  (`requires_grad=`, unless literally False);
- `grad_off`: switches that only turn autograd off when called with that literal or
  nothing (`torch.inference_mode()`, `torch.set_grad_enabled(False)`);
- `modules`: modules they must not import; `imports`: the only ones they may (an
  allow-list), whose attributes are read by importing them where the assignment is
  loaded (`module_table`), so that a chain through a module (`torch.sys.modules`)
  reaches only them and names they have; `aliases`: the notebook's names for modules;
- `private`: whether private and dunder names count (`torch._C`, `f.__globals__`);
- `dynamic`: whether attribute access the reader cannot follow counts (getattr, eval,
  exec, `__import__`, globals(), vars(), `__dict__`, typing.get_type_hints, aliases of
  them included; objects rebuilt from bytes, any `load` or `loads` but the safe ones;
  classes made from data, `type(name, bases, dict)`; files read, `open`; class patterns
  that read attributes, `case T(x)` included);
- `safe_loads`: the loads that rebuild data, never code, when called so (a table: full
  name -> `keyword`, the switch that allows code; `safe`, its literal value that refuses
  it; `positional`, how many arguments may be given by position, fewer than reach the
  switch; `refused`, keywords that must not be given at all, such as a pickle module).
  Left out, the switch takes the library's default, taken as safe: `"torch.load" =
  { keyword = "weights_only", safe = true, positional = 2, refused = ["pickle_module"] }`.

device.py (tensors off the inputs' device):
- `library`: the tensor library (`"torch"`). Its `dtypes` (its public instances of its
  class `dtype`, read by importing it where the assignment is loaded) are what `.to()`
  and `.type()` may name besides what follows the inputs; a call into it follows the
  device of its first argument; a subclass of one of its classes, and its legacy
  `*Tensor` constructors, make tensors on one device. Without it none of these hold;
- `scalar_factories`: the library's functions making a 0-dim tensor of a number
  (`torch.tensor(0)`), which acts as a scalar on any device when passed beside other
  arguments to a call into the library;
- `calls`: methods they must not call (`.cuda()`, `.numpy()`), nor take uncalled; `.to()`
  and `.type()` only to a tensor or device that follows the inputs, or a dtype;
- `factories`: functions that must be given `device=` that follows the inputs (a tensor
  made elsewhere is made on the default device), except as an index
  (`scores[torch.arange(N), y]`, or `rows = torch.arange(N)` read only in indexes), nor
  be passed around; `factories_from`: modules whose functions documented with a device
  parameter are factories too (`device_factories`); `converters`: functions whose result
  leaves the device (`numpy.*`). What follows the inputs is read through every binding of
  a name (device.py's docstring).

Names are read as full names (`F.relu` is torch.nn.functional.relu); a chain through a
re-export (`F.torch.zeros`) is read as the module it reaches where that module is one the
rule names (`syntax.named_roots`: its library, its aliases' modules, the first part of
its factories, converters, scalar factories and safe loads). The rules name no library
themselves: every module, function and dtype they know comes from these keys.

`ambient`: whether code that can reach every function at run time counts against each of
them (true, or a list of `AMBIENT`'s kinds): what runs when a cell runs (its top level,
decorators, defaults, annotations, class bodies), functions the grader calls itself (the
definitions named by a cell's grade_id) and the classes it runs (`classes_called`: the
base of one of its trusted classes; a table class -> methods limits a class to its body
and the methods the grader calls, so that a method nobody calls, such as CS231n's
`TwoLayerNet.load`, is the course's), any function handed around, and any value stored on
an attribute by code that can run (`torch.Tensor.grad_of = helper` installs it for
everyone), with their helpers. What the
reader cannot follow it refuses, and every finding names the construct and its line.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping

from autograder.rules import reach
from autograder.rules.constructs import autograd_breaks
from autograder.rules.device import Scopes, device_breaks, is_device_rule
from autograder.rules.modules import device_factories, module_table, names, with_modules_read

__all__ = ["scan", "check", "module_table", "device_factories", "with_modules_read",
           "AMBIENT"]
AMBIENT = reach.AMBIENT


def scan(cells: Mapping[str, str], rules: Mapping[str, Mapping[str, object]],
         origins: Mapping[str, str] | None = None) -> dict[str, dict[str, list[str]]]:
    """rule -> grade_id -> what the rule found there (with line numbers), for each
    definition a rule applies to; a definition that breaks no rule is left out.
    `origins`: grade_id -> the module file it comes from (CS231n's starter layout), whose
    relative imports are read against that file's package."""
    packages = {g: ".".join(path[:-len(".py")].split("/")[:-1])
                for g, path in (origins or {}).items()}
    graph = reach.Graph(cells, packages)
    out: dict[str, dict[str, list[str]]] = {}
    for name, rule in rules.items():
        found = _scan_rule(graph, rule)
        if found:
            out[name] = found
    return out


def _scan_rule(graph: reach.Graph, rule: Mapping[str, object]) -> dict[str, list[str]]:
    covered = set(names(rule.get("functions", ())))
    scopes = Scopes(graph.unique, covered, rule) if is_device_rule(rule) else None

    memo: dict[int, list[str]] = {}

    def breaks(node: ast.AST) -> list[str]:
        if id(node) not in memo:
            found = autograd_breaks(node, rule) + device_breaks(node, rule, scopes)
            memo[id(node)] = [what for _, what in sorted(found, key=lambda hit: hit[0])]
        return memo[id(node)]

    kinds = rule.get("ambient")
    kinds = set(AMBIENT) if kinds is True else set(names(kinds))
    ambient = [((what, where), f"{what} {label or graph.where(where, '')}, which can "
                               "reach every function")
               for what, where, label in reach.reach(
                   reach.ambient_roots(graph, kinds, covered, _classes_called(rule)),
                   graph, covered, breaks)]
    result: dict[str, list[str]] = {}
    for grade_id in sorted(covered & set(graph.trees)):
        hits = reach.reach(reach.own_roots(graph, grade_id), graph, set(), breaks)
        found = [what if where == grade_id or (not where and not label) else
                 f"{what} {label}" if not where else f"{what} {graph.where(where, grade_id)}"
                 for what, where, label in hits]
        mine = {(what, where) for what, where, _ in hits}
        found += [text for key, text in ambient if key not in mine]
        if found:
            result[grade_id] = list(dict.fromkeys(found))
    return result


def check(rule: Mapping[str, object], where: str) -> None:
    """Raise TypeError naming the key of `rule` (the table `[where]` of assignment.toml)
    whose value has the wrong shape: `library`, `scalar_factories`, `safe_loads`."""
    def fail(key: str, want: str) -> None:
        raise TypeError(f"[{where}] {key} must be {want}, got {rule[key]!r}: fix it in the "
                        "assignment's assignment.toml")

    if "library" in rule and not (isinstance(rule["library"], str) and rule["library"]):
        fail("library", "a module's name")
    if "scalar_factories" in rule and not (
            isinstance(rule["scalar_factories"], list) and rule["scalar_factories"]
            and all(isinstance(n, str) for n in rule["scalar_factories"])):
        fail("scalar_factories", "a non-empty list of names")
    loads = rule.get("safe_loads", {})
    if not isinstance(loads, Mapping) or not all(
            _load_spec(spec) for spec in loads.values()):
        fail("safe_loads", "a table function -> { keyword = name, safe = true or false, "
                           "positional = count, refused = [names] (optional) }")


def _load_spec(spec: object) -> bool:
    """Whether one entry of `safe_loads` has its keys, each of its type."""
    return isinstance(spec, Mapping) and isinstance(spec.get("keyword"), str) \
        and isinstance(spec.get("safe"), bool) \
        and type(spec.get("positional")) is int and spec["positional"] >= 0 \
        and isinstance(spec.get("refused", []), list) \
        and all(isinstance(n, str) for n in spec.get("refused", [])) \
        and set(spec) <= {"keyword", "safe", "positional", "refused"}


def _classes_called(rule: Mapping[str, object]) -> dict[str, tuple[str, ...] | None]:
    """`classes_called`: a list of classes the grader runs (every method counts), or a
    table class -> the methods it calls (only those, and the class body, count)."""
    value = rule.get("classes_called", ())
    if isinstance(value, Mapping):
        return {str(k): tuple(names(v)) for k, v in value.items()}
    return dict.fromkeys(names(value))
