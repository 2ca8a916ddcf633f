"""nbgrader's weaker mode: the hidden checks run inside the student's own kernel.

The source notebooks' hidden test cells call

    from autograder.inkernel import assert_checks
    assert_checks("svm_loss_naive", globals())                      # the NumPy edition
    assert_checks("svm_loss_naive", globals(), assignment="linear_torch")

which runs the same checks as the sandboxed grader for one target, through an in-process
Session over the notebook's names, and raises AssertionError listing what failed. The
session is an `OperationsSession`, which serves the very operations the assignment's
sandbox serves (its child.py) on the notebook's names, so the messages are the sandboxed
grader's; the assignment's rules (rules.py) are read from the functions' source. Student code shares
the process here, so it could tamper with the checks: use the sandboxed grader
(`python -m autograder grade`) for grades that matter.
"""

from __future__ import annotations

import importlib
import inspect
import time
import types
import zlib
from collections.abc import Mapping

import numpy as np

from autograder import rubric as rubric_module
from autograder import rules
from autograder.assignment import DEFAULT, Assignment
from autograder.assignment import load as load_assignment
from autograder.outcome import Outcome
from autograder.rubric import Rubric
from autograder.sandbox import oplib
from autograder.threads import one_blas_thread, one_torch_thread

# Said in every hidden cell's output, so the feedback shows how little this mode holds.
WEAKER_MODE = ("(checked in the notebook's own kernel, nbgrader's weaker mode: no sandbox "
               "between this code and its checks; see SECURITY.md)")


class OperationsSession:
    """The Session protocol over an edition's own operations (its child.py, the code its
    sandbox serves), run in this process on the functions and classes of a namespace.

    It stands in for the sandbox's harness (`h`): the student's names are the namespace's,
    the loss inputs are copies held here (compared afterwards for the mutation check),
    and no model file is at hand (those checks are the sandboxed grader's).
    """

    model_files: Mapping[str, str] = types.MappingProxyType({})

    def __init__(self, namespace: Mapping[str, object], spec: Assignment) -> None:
        self.namespace = namespace
        self.spec = spec
        self._inputs: dict[str, np.ndarray] = {}
        with one_torch_thread():  # importing child.py must not change the kernel's threads
            module = importlib.import_module(f"autograder.assignments.{spec.name}.child")
        self._ops = module.operations(self, oplib)
        self.names: Mapping[str, object] = getattr(module, "NAMES", {})

    # --- what the operations ask of the harness
    def frozen_or_missing(self, name: str, cell: str) -> object:
        if name not in self.namespace:
            raise oplib.StudentError(f"{name} is not defined: run the cell "
                                           f"`{cell}` first")
        return self.namespace[name]

    def trusted_or_missing(self, name: str) -> object:
        trusted = self.spec.trusted.get(name)
        if name not in self.namespace and trusted and trusted["base"] in self.namespace:
            # A class the grader adds (Softmax, checked from svm.ipynb's kernel): its own
            # source over the notebook's names, as the sandbox adds it.
            names = dict(self.namespace)
            exec(compile(trusted["source"], f"<{name}>", "exec"), names)  # noqa: S102
            return names[name]
        return self.frozen_or_missing(name, f"that defines {name}")

    def shared_array(self, key: str) -> np.ndarray:
        return self._inputs[key]

    # --- the Session protocol
    def call(self, op: str, *, timeout_s: float | None = None, **kwargs: object) -> Outcome:
        # No timeout in-kernel: the student's own kernel runs the code (the weaker mode).
        handler = self._ops.get(op)
        if handler is None:
            return Outcome(ok=False, error=f"{op}: not available in-kernel")
        # Arrays cross as copies, as they would cross the sandbox's pipe.
        kwargs = {k: v.copy() if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        # The arrays the sandbox would share with the child (to see them changed).
        shared = self.spec.operations.get(op, {}).get("shared", [])
        sent = {k: np.asarray(kwargs.pop(k)) for k in shared if k in kwargs}
        if sent:
            self._inputs = {k: v.copy() for k, v in sent.items()}
            kwargs["inputs"] = {k: [k] for k in sent}
        try:
            with one_blas_thread(), one_torch_thread():
                start = time.thread_time()
                value = handler(kwargs)
                seconds = time.thread_time() - start
        except oplib.StudentError as exc:
            return Outcome(ok=False, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - student code may raise anything
            return Outcome(ok=False, error=oplib.describe(exc, op))
        if sent:
            value["mutated"] = [k for k, v in sent.items()
                                if not np.array_equal(self._inputs[k], v)]
        return Outcome(ok=True, value=value, cpu_seconds=seconds)


def _rule_findings(namespace: Mapping[str, object], spec: Assignment
                   ) -> dict[str, dict[str, list[str]]]:
    """The edition's rules on the source of the namespace's definitions (as intake reads
    them from a submission's cells)."""
    cells = {}
    for grade_id, names in spec.definitions.items():
        parts = []
        for name in names:
            try:
                parts.append(inspect.getsource(namespace[name]))  # type: ignore[arg-type]
            except (KeyError, TypeError, OSError):
                continue
        if parts:
            cells[grade_id] = "\n\n".join(parts)
    return rules.scan(cells, spec.rules)


def _seed(namespace: Mapping[str, object], target: str, spec: Assignment) -> int:
    # Inputs vary with the submission, as in the sandboxed grader: hash the target's code.
    blob = b""
    for name in spec.definitions.get(target, (target,)):
        obj = namespace.get(name)
        members = vars(obj).values() if isinstance(obj, type) else [obj]
        blob += b"".join(m.__code__.co_code for m in members if hasattr(m, "__code__"))
    return zlib.crc32(target.encode() + blob)


def assert_checks(target: str, namespace: Mapping[str, object], seed: int | None = None,
                  rubric: Rubric | None = None, assignment: str = DEFAULT) -> None:
    """Run the hidden checks of `target` (of `assignment`) against the names in `namespace`.

    The CIFAR-10 accuracy checks are not run here (they need the held-out labels).
    Raises AssertionError
    listing every failed check and its message; prints a one-line summary otherwise
    (returning nothing, so a notebook cell does not display a list of results).
    """
    spec = load_assignment(assignment)
    rubric = rubric or rubric_module.load(spec=spec)
    seed = _seed(namespace, target, spec) if seed is None else seed
    findings = _rule_findings(namespace, spec)
    for name, found in findings.items():
        rule = spec.rules[name]
        if rule.get("block") and target in found:
            raise AssertionError(
                f"{target} {rule.get('what', 'breaks ' + name)}: "
                f"{', '.join(found[target][:3])}; {rule.get('fix', '')}".rstrip("; "))
    session = OperationsSession(namespace, spec)
    # The reference, as the sandbox's timing session runs it: its cells in a namespace of
    # what the notebook's import cell gives.
    ours: dict[str, object] = {"np": np, **session.names}
    for source in spec.check_module.reference_cells().values():
        exec(compile(source, "<reference>", "exec"), ours)  # noqa: S102 - our own code
    results = spec.check_module.run_checks(
        session, seed, rubric, targets=[target], reference_session=OperationsSession(ours, spec),
        submission=types.SimpleNamespace(findings=findings))
    failures = [r for r in results if not r.passed]
    if failures:
        lines = [f"- {r.name}: {r.output}" for r in failures]
        raise AssertionError(f"{len(failures)} of {len(results)} hidden checks failed for "
                             f"{target}:\n" + "\n".join(lines) + "\n" + WEAKER_MODE)
    print(f"{target}: all {len(results)} hidden checks passed\n{WEAKER_MODE}")
