"""nbgrader's weaker mode: the hidden checks run inside the student's own kernel.

The source notebooks' hidden test cells call

    from autograder.inkernel import assert_checks
    assert_checks("svm_loss_naive", globals())                      # the NumPy edition
    assert_checks("svm_loss_naive", globals(), assignment="linear_torch")

which runs the same checks as the sandboxed grader for one target, through an in-process
Session over the notebook's names, and raises AssertionError listing what failed. The
NumPy edition's session is `InProcessSession`; another edition's is `OperationsSession`,
which serves the very operations its sandbox serves (its child.py) on the notebook's
names, and its rules (rules.py) are read from the functions' source. Student code shares
the process here, so it could tamper with the checks: use the sandboxed grader
(`python -m autograder grade`) for grades that matter.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import inspect
import time
import types
import zlib
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import numpy as np

from autograder import reference, rules
from autograder import rubric as rubric_module
from autograder import sandbox_child as harness_lib
from autograder.assignment import Assignment
from autograder.assignment import load as load_assignment
from autograder.checks import CLASS_LOSS, run_checks
from autograder.oracle import one_torch_thread
from autograder.outcome import Outcome
from autograder.rubric import Rubric

_SET_THREADS = ("openblas_set_num_threads", "openblas_set_num_threads64_",
                "scipy_openblas_set_num_threads", "scipy_openblas_set_num_threads64_")
_GET_THREADS = ("openblas_get_num_threads", "openblas_get_num_threads64_",
                "scipy_openblas_get_num_threads", "scipy_openblas_get_num_threads64_")


def _loaded_openblas() -> list[tuple[Callable, Callable]]:
    """(get, set) thread-count functions of every OpenBLAS loaded in this process."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:  # not Linux: timings then include BLAS threads
        return []
    paths = {line.split()[-1] for line in maps.splitlines()
             if "openblas" in line.lower() and line.split()[-1].startswith("/")}
    found = []
    for path in sorted(paths):
        lib = ctypes.CDLL(path)
        getters = [getattr(lib, n) for n in _GET_THREADS if hasattr(lib, n)]
        setters = [getattr(lib, n) for n in _SET_THREADS if hasattr(lib, n)]
        if getters and setters:
            found.append((getters[0], setters[0]))
    return found


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Run numpy's OpenBLAS on one thread, as the sandboxed grader does.

    With several BLAS threads, CPU time also counts threads spinning while they wait,
    and on a busy machine a descheduled thread stalls the others: the timings of the
    vectorized versions would then say more about the machine than about the code.
    """
    libs = _loaded_openblas()
    before = [get() for get, _ in libs]
    for _, set_threads in libs:
        set_threads(1)
    try:
        yield
    finally:
        for (_, set_threads), n in zip(libs, before, strict=True):
            set_threads(n)


class InProcessSession:
    """The Session protocol over the functions and classes of a namespace (e.g. globals()).

    Inputs are copied before each call, so student code never touches the caller's arrays;
    the copies are compared afterwards for the mutation check. Loss calls run with one
    BLAS thread and report the calling thread's CPU time (time.thread_time): the process's
    CPU time would also count BLAS worker threads still spinning after earlier work.
    """

    def __init__(self, namespace: Mapping[str, object], folder: str | Path = ".") -> None:
        self.namespace = namespace
        self.folder = Path(folder)

    def call(self, op: str, *, timeout_s: float | None = None, **kwargs: object) -> Outcome:
        # No timeout in-kernel: the student's own kernel runs the code (the weaker mode).
        handler: Callable[..., Outcome] | None = getattr(self, f"_op_{op}", None)
        if handler is None:
            return Outcome(ok=False, error=f"{op}: not available in-kernel")
        try:
            return handler(**kwargs)
        except Exception as exc:  # student code may raise anything: report it as data
            return Outcome(ok=False, error=f"{type(exc).__name__}: {exc}")

    def _lookup(self, name: str) -> object:
        if name not in self.namespace:
            raise NameError(f"name '{name}' is not defined (run its cell first)")
        return self.namespace[name]

    def _classifier(self, cls: str) -> type:
        # Built like the sandbox builds it: the student's LinearClassifier plus the given
        # subclass, whose loss calls the student's vectorized loss.
        base = self._lookup("LinearClassifier")
        loss_name = CLASS_LOSS[cls]
        namespace = self.namespace

        def loss(self, X_batch, y_batch, reg):
            return namespace[loss_name](self.W, X_batch, y_batch, reg)

        return type(cls, (base,), {"loss": loss})

    def _op_loss(self, fn: str, W: np.ndarray, X: np.ndarray, y: np.ndarray,
                 reg: float) -> Outcome:
        sent = {"W": W, "X": X, "y": y}
        W, X, y = W.copy(), X.copy(), y.copy()
        function = self._lookup(fn)
        with one_blas_thread():
            start = time.thread_time()
            result = function(W, X, y, reg)
            seconds = time.thread_time() - start
        if not isinstance(result, tuple | list) or len(result) != 2:
            return Outcome(ok=False, error=f"returned a {type(result).__name__}, "
                                           "not the tuple (loss, dW)")
        loss, dW = result
        try:
            loss = float(loss)
        except (TypeError, ValueError):
            return Outcome(ok=False, error=f"returned a loss of type {type(loss).__name__}, "
                                           "not a float")
        mutated = [k for k, v in (("W", W), ("X", X), ("y", y)) if not np.array_equal(v, sent[k])]
        value = {"loss": loss, "dW": None if dW is None else np.array(dW), "mutated": mutated}
        return Outcome(ok=True, value=value, cpu_seconds=seconds)

    def _op_train(self, cls: str, X: np.ndarray, y: np.ndarray, learning_rate: float,
                  reg: float, num_iters: int, batch_size: int, seed: int,
                  W0: np.ndarray | None) -> Outcome:
        classifier = self._classifier(cls)()
        if W0 is not None:
            classifier.W = W0.copy()
        np.random.seed(seed)
        start = time.thread_time()
        history = classifier.train(X.copy(), y.copy(), learning_rate=learning_rate, reg=reg,
                                   num_iters=num_iters, batch_size=batch_size, verbose=False)
        seconds = time.thread_time() - start
        if history is None:
            return Outcome(ok=False, error="returned None instead of the loss history")
        W = None if classifier.W is None else np.array(classifier.W)
        value = {"loss_history": np.asarray(history, dtype=np.float64), "W": W}
        return Outcome(ok=True, value=value, cpu_seconds=seconds)

    def _op_predict(self, cls: str, W: np.ndarray, X: np.ndarray) -> Outcome:
        classifier = self._classifier(cls)()
        classifier.W = W.copy()
        y_pred = classifier.predict(X.copy())
        return Outcome(ok=True, value={"y_pred": None if y_pred is None else np.array(y_pred)})

    def _op_saved_weights(self, name: str) -> Outcome:
        with np.load(self.folder / name, allow_pickle=False) as saved:
            value = {"W": np.array(saved["W"])}
            for key, kind in (("learning_rate", float), ("reg", float), ("num_iters", int),
                              ("batch_size", int)):
                value[key] = kind(saved[key])
        return Outcome(ok=True, value=value)


class OperationsSession:
    """The Session protocol over an edition's own operations (its child.py, the code its
    sandbox serves), run in this process on the functions and classes of a namespace.

    It stands in for the sandbox's harness (`h`): the student's names are the namespace's,
    the loss inputs are copies held here (compared afterwards for the mutation check),
    and no CIFAR-10 or model file is at hand (those checks are the sandboxed grader's).
    """

    cfg: Mapping[str, object] = types.MappingProxyType({"data_dir": None, "npz": {}})

    def __init__(self, namespace: Mapping[str, object], spec: Assignment) -> None:
        self.namespace = namespace
        self.spec = spec
        self._inputs: dict[str, np.ndarray] = {}
        with one_torch_thread():  # importing child.py must not change the kernel's threads
            module = importlib.import_module(f"autograder.assignments.{spec.name}.child")
        self._ops = module.operations(self, harness_lib)
        self.names: Mapping[str, object] = getattr(module, "NAMES", {})

    # --- what the operations ask of the harness
    def frozen_or_missing(self, name: str, cell: str) -> object:
        if name not in self.namespace:
            raise harness_lib.StudentError(f"{name} is not defined: run the cell "
                                           f"`{cell}` first")
        return self.namespace[name]

    def trusted_or_missing(self, name: str) -> object:
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
        sent: dict[str, np.ndarray] = {}
        if op == "loss":
            sent = {k: np.asarray(kwargs.pop(k)) for k in ("W", "X", "y")}
            self._inputs = {k: v.copy() for k, v in sent.items()}
            kwargs["inputs"] = {k: [k] for k in sent}
        try:
            with one_blas_thread(), one_torch_thread():
                start = time.thread_time()
                value = handler(kwargs)
                seconds = time.thread_time() - start
        except harness_lib.StudentError as exc:
            return Outcome(ok=False, error=str(exc))
        except Exception as exc:  # noqa: BLE001 - student code may raise anything
            return Outcome(ok=False, error=harness_lib.describe(exc, op))
        if op == "loss":
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


def _seed(namespace: Mapping[str, object], target: str) -> int:
    # Inputs vary with the submission, as in the sandboxed grader: hash the target's code.
    obj = namespace.get("LinearClassifier" if target == "linear_classifier" else target)
    members = vars(obj).values() if isinstance(obj, type) else [obj]
    blob = b"".join(m.__code__.co_code for m in members if hasattr(m, "__code__"))
    return zlib.crc32(target.encode() + blob)


def assert_checks(target: str, namespace: Mapping[str, object], seed: int | None = None,
                  rubric: Rubric | None = None, assignment: str = "linear") -> None:
    """Run the hidden checks of `target` (of `assignment`) against the names in `namespace`.

    The CIFAR-10 accuracy checks are not run here (they need the held-out labels).
    Raises AssertionError
    listing every failed check and its message; prints a one-line summary otherwise
    (returning nothing, so a notebook cell does not display a list of results).
    """
    spec = load_assignment(assignment)
    rubric = rubric or rubric_module.load(spec=spec)
    seed = _seed(namespace, target) if seed is None else seed
    if spec.name == "linear":
        # The reference losses run beside the student's, so the speed checks have their
        # baseline.
        results = run_checks(InProcessSession(namespace), seed, rubric, targets=[target],
                             reference_session=InProcessSession(vars(reference)))
    else:
        findings = _rule_findings(namespace, spec)
        for name, found in findings.items():
            rule = spec.rules[name]
            if rule.get("block") and target in found:
                raise AssertionError(
                    f"{target} {rule.get('what', 'breaks ' + name)}: "
                    f"{', '.join(found[target][:3])}; {rule.get('fix', '')}".rstrip("; "))
        session = OperationsSession(namespace, spec)
        # The reference, as the sandbox's timing session runs it: its cells in a namespace
        # of what the notebook's import cell gives.
        ours: dict[str, object] = {"np": np, **session.names}
        for source in spec.check_module.reference_cells().values():
            exec(compile(source, "<reference>", "exec"), ours)  # noqa: S102 - our own code
        results = spec.check_module.run_checks(
            session, seed, rubric, targets=[target],
            reference_session=OperationsSession(ours, spec),
            submission=types.SimpleNamespace(findings=findings))
    failures = [r for r in results if not r.passed]
    if failures:
        lines = [f"- {r.name}: {r.output}" for r in failures]
        raise AssertionError(f"{len(failures)} of {len(results)} hidden checks failed for "
                             f"{target}:\n" + "\n".join(lines))
    print(f"{target}: all {len(results)} hidden checks passed")
