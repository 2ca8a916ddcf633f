"""Grade a batch on the course's Dask cluster (`batch --backend dask`), inside the boundary.

The parent (`autograder.batch.run_batch`) reads the submissions and writes the store; this
module sends each submission to a worker and hands back what came of it. What crosses:

- who may join: the cluster speaks TLS only, and every party (the scheduler, each worker,
  the batch's client) shows a certificate signed by the course's own CA (`autograder.certs`,
  made by `python -m autograder cluster-certs`); a `tcp://` address is refused here, and a
  peer without such a certificate never completes the handshake;
- which task is whose: each task's key is random (`secrets.token_hex`), never derived from
  the submission, so nobody can post a result under a key the batch is waiting for;
- what comes back: the worker's task returns its GradeResult as JSON text. The Dask client
  itself runs in a relay process (`python -m autograder.cluster`), never in the batch:
  distributed's protocol unpickles what its peers send (a result's type, exceptions,
  warnings) whatever a client's deserializers say. The relay takes results as msgpack
  only and rebuilds a result's type only as a builtin type; for the rest, the process
  that talks to the cluster holds neither the store nor, when the batch runs as root,
  root (it drops to `nobody` before it connects). It hands the parent one JSON line per
  task; the parent parses each as data and validates it (`validated`: the schema, types
  and bounds, every check's points against the rubric, the content hash against its own)
  before the store sees it. Anything else becomes that submission's error, retried by the
  next run, never a grade.
"""

from __future__ import annotations

import atexit
import builtins
import contextlib
import ctypes
import io
import json
import math
import os
import pickle
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

from autograder import certs
from autograder.assignment import Assignment
from autograder.assignment import load as load_assignment
from autograder.batch import Attempt, Found
from autograder.grade import GradingData, GradingError
from autograder.probes import FINGERPRINT_HEX
from autograder.release import ASSIGNMENT
from autograder.result import GradeResult
from autograder.rubric import Rubric
from autograder.store import ERROR, GRADED, rubric_hash
from autograder.text import clean_text

MAX_LINE = 8 << 20         # bytes of one relay line (a result is far below)
MAX_TESTS = 5000
MAX_TEXT = 64 << 10        # characters of one string in a result
MAX_DIAGNOSIS = 2000       # characters of a check's diagnosis (a sentence or two)
NOBODY = 65534
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
RESULT_FIELDS = {"submission": str, "content_hash": str, "score": float, "max_score": float,
                 "tests": list, "problems": list, "elapsed_s": float, "limits": str}
KILLED = ("the grading process was killed each time it graded this submission (out of "
          "memory, or killed by a signal); the next batch run will try again")


# ------------------------------------------------------------------------- on a worker


_dask_data: dict[tuple, GradingData] = {}
_dask_lock = threading.Lock()


def _grade_on_dask_worker(path: str, submission: str, rubric: Rubric,
                          cifar10_dir: str | None, assignment: str = ASSIGNMENT) -> str:
    """A Dask task: grade one submission on this worker, its CIFAR-10 prepared once per
    worker process. Returns JSON text, never raises: a failure is `{"error": ...}`."""
    from autograder.grade import grade_submission

    try:
        key = (assignment, cifar10_dir, rubric_hash(rubric))
        with _dask_lock:
            if key not in _dask_data:
                data = GradingData(cifar10_dir, rubric=rubric,
                                   spec=load_assignment(assignment))
                atexit.register(data.close)
                _dask_data[key] = data
        result = grade_submission(Path(path), data=_dask_data[key], rubric=rubric)
        return replace(result, submission=submission).to_json()
    except Exception as exc:  # noqa: BLE001 - the submission's error, sent as data
        return json.dumps({"error": f"{type(exc).__name__}: {exc}"})


# ------------------------------------------------------------------------- the parent


def check_address(scheduler: str) -> str:
    """`scheduler` if it is a tls:// address; GradingError saying what to do otherwise."""
    if not scheduler.startswith("tls://") or len(scheduler) <= len("tls://"):
        raise GradingError(
            f"--scheduler {scheduler}: the Dask cluster must speak TLS with the course's "
            "certificates (an unencrypted tcp:// scheduler lets anyone on the network run "
            "code on the workers and hand the batch grades): give tls://HOST:PORT and "
            "start the scheduler and workers as the README's 'A Dask cluster' shows")
    return scheduler


def grade_all_dask(todo: Sequence[tuple[Found, str]], rubric: Rubric, scheduler: str,
                   cifar10_dir: Path | None, assignment: str = ASSIGNMENT
                   ) -> Iterator[Attempt]:
    """Yield an Attempt per submission as the Dask cluster at `scheduler` finishes it.

    A worker that dies takes its tasks with it; the scheduler runs them again on another
    worker. A submission that has killed `distributed.scheduler.allowed-failures` workers
    is recorded as an error (retried by the next run). The workers read the submissions
    at the same paths as this process (a shared file system) and CIFAR-10 from
    `cifar10_dir` or their own CIFAR10_DIR.
    """
    check_address(scheduler)
    try:
        credentials = certs.client_credentials(certs.certs_dir())
    except certs.CertificateError as exc:
        raise GradingError(str(exc)) from None
    spec = load_assignment(assignment)
    expected = expected_checks(rubric, spec)
    columns = leaderboard_columns(rubric, spec)
    tasks = {secrets.token_hex(16): (item, content_hash) for item, content_hash in todo}
    job = {"scheduler": scheduler, **credentials, "rubric": rubric, "assignment": assignment,
           "cifar10_dir": str(cifar10_dir) if cifar10_dir else None,
           "tasks": [(key, str(item.path.resolve()), item.submission)
                     for key, (item, _) in tasks.items()]}
    if os.geteuid() != 0:
        print("note: the Dask client runs in its own process as this user; run batch as "
              "root so that it runs as nobody, away from the grade store", file=sys.stderr)
    with _Relay(job) as relay:
        for key, line in relay.lines():
            item, content_hash = tasks.pop(key)
            yield _attempt(item, content_hash, line, expected, columns)
        for item, content_hash in tasks.values():
            yield Attempt(item, content_hash, ERROR, "the Dask client stopped before this "
                          f"submission was graded ({relay.why()}); the next batch run will "
                          "try again")


def _attempt(item: Found, content_hash: str, line: Mapping[str, Any],
             expected: list[dict[str, float]], columns: Mapping[str, str]) -> Attempt:
    """What one relay line means for `item`: a validated grade or an error."""
    if line.get("killed"):
        return Attempt(item, content_hash, ERROR, KILLED)
    if "result" not in line:
        return Attempt(item, content_hash, ERROR, "the grader failed on this submission ("
                       f"{clean_text(line.get('error', 'no result'), 2000)})")
    failure = _worker_failure(line["result"])
    if failure is not None:
        return Attempt(item, content_hash, ERROR, "the grader failed on this submission on "
                       f"its Dask worker ({failure}); the next batch run will try again")
    try:
        result = validated(line["result"], item.submission, content_hash, expected, columns)
    except ValueError as exc:
        return Attempt(item, content_hash, ERROR, f"the Dask worker's result was refused "
                       f"({exc}); nothing was stored; the next batch run will try again")
    return Attempt(item, content_hash, GRADED, result=result)


def _worker_failure(text: object) -> str | None:
    """The task's own `{"error": ...}` (the grader raised on the worker), else None."""
    try:
        doc = json.loads(text) if isinstance(text, str) and len(text) < MAX_TEXT else None
    except ValueError:
        return None
    if isinstance(doc, dict) and set(doc) == {"error"}:
        return clean_text(doc["error"], 2000)
    return None


def expected_checks(rubric: Rubric, spec: Assignment) -> list[dict[str, float]]:
    """The set of checks (name -> points) the local grader produces under `rubric`: every
    check of the assignment, whatever the layout or the files a submission holds."""
    return [{c.name: float(c.points(rubric))
             for c in spec.check_module.build_checks(0, rubric)}]


def leaderboard_columns(rubric: Rubric, spec: Assignment) -> dict[str, str]:
    """Check name -> the leaderboard column that shows its value, from the local checks
    (a worker's word on it is not taken)."""
    return {c.name: c.leaderboard for c in spec.check_module.build_checks(0, rubric)
            if c.leaderboard}


def validated(text: object, submission: str, content_hash: str,
              expected: list[dict[str, float]],
              columns: Mapping[str, str] | None = None) -> GradeResult:
    """The GradeResult in `text` (JSON from a worker), or ValueError saying what is wrong.

    Plain data only, every field of its type and size; the result is this submission's
    (the content hash the parent computed); its checks are one of the rubric's sets of
    checks, each scored within its points; the totals are the sums of the checks.
    """
    if not isinstance(text, str) or len(text) > MAX_LINE:
        raise ValueError("not JSON text")
    try:
        doc = json.loads(text)
    except ValueError:
        raise ValueError("not JSON") from None
    if not isinstance(doc, dict) or set(doc) != {f.name for f in fields(GradeResult)}:
        raise ValueError("not a grade result")
    for name, kind in RESULT_FIELDS.items():
        _check_type(doc[name], kind, name)
    # A field added to GradeResult later crosses as text, a number, a flag or a list of
    # text, never as anything to interpret.
    extra = {name: _plain(doc[name], name) for name in doc if name not in RESULT_FIELDS}
    if doc["content_hash"] != content_hash:
        raise ValueError("it is the result of other content than this submission's")
    tests = [_test(t) for t in doc["tests"][:MAX_TESTS + 1]]
    for test in tests:
        if (columns or {}).get(test["name"]):
            test["leaderboard"] = columns[test["name"]]
    if len(tests) > MAX_TESTS:
        raise ValueError("too many checks")
    points = {t["name"]: t["max_score"] for t in tests}
    if len(points) != len(tests) or points not in expected:
        raise ValueError("its checks or their points are not the rubric's")
    score = round(sum(t["score"] for t in tests), 4)
    if not math.isclose(doc["score"], score, abs_tol=1e-3) or not math.isclose(
            doc["max_score"], round(sum(points.values()), 4), abs_tol=1e-3):
        raise ValueError("its total is not the sum of its checks")
    if len(doc["problems"]) > MAX_TESTS or not all(isinstance(p, str)
                                                    for p in doc["problems"]):
        raise ValueError("problems is not a list of text")
    return GradeResult(
        submission=submission, content_hash=content_hash, score=score,
        max_score=doc["max_score"], tests=tests,
        problems=[clean_text(p, MAX_TEXT) for p in doc["problems"]],
        elapsed_s=max(0.0, doc["elapsed_s"]), limits=clean_text(doc["limits"], MAX_TEXT),
        **extra)


def _plain(value: object, name: str) -> object:
    if isinstance(value, list) and len(value) <= MAX_TESTS \
            and all(isinstance(v, str) for v in value):
        return [clean_text(v, MAX_TEXT) for v in value]
    if isinstance(value, str):
        return clean_text(value, MAX_TEXT)
    if value is None or isinstance(value, bool):
        return value
    _check_type(value, float, name)
    return value


def _check_type(value: object, kind: type, name: str) -> None:
    if kind is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool) \
            and math.isfinite(value)
    else:
        ok = isinstance(value, kind)
    if not ok or (kind is str and len(value) > MAX_TEXT):
        raise ValueError(f"{name} is not {'a number' if kind is float else kind.__name__}")


def _test(test: object) -> dict[str, Any]:
    """One check's entry, rebuilt from its known fields with their types and bounds."""
    if not isinstance(test, dict) or not {"name", "score", "max_score"} <= set(test):
        raise ValueError("a check is not a dict with name, score and max_score")
    _check_type(test["name"], str, "a check's name")
    _check_type(test["score"], float, "a check's score")
    _check_type(test["max_score"], float, "a check's max_score")
    if not 0 <= test["score"] <= test["max_score"]:
        raise ValueError(f"the check {clean_text(test['name'], 200)!r} scores "
                         f"{test['score']} of {test['max_score']}")
    out = {"name": test["name"], "score": float(test["score"]),
           "max_score": float(test["max_score"])}
    for key in ("output", "visibility", "target"):
        if test.get(key) is not None:
            _check_type(test[key], str, f"a check's {key}")
            out[key] = clean_text(test[key], MAX_TEXT)
    if test.get("value") is not None:
        _check_type(test["value"], float, "a check's value")
        out["value"] = test["value"]
    if test.get("diagnosis") is not None:
        _check_type(test["diagnosis"], str, "a check's diagnosis")
        out["diagnosis"] = clean_text(test["diagnosis"], MAX_DIAGNOSIS)
    if test.get("fingerprint") is not None:
        fingerprint = test["fingerprint"]
        if not (isinstance(fingerprint, str) and len(fingerprint) == FINGERPRINT_HEX
                and set(fingerprint) <= set("0123456789abcdef")):
            raise ValueError("a check's fingerprint is not a fingerprint")
        out["fingerprint"] = fingerprint
    return out


class _Relay:
    """The relay process: gets the job (pickled, parent -> relay only) on stdin, answers
    one JSON line per task on stdout. The parent never unpickles anything from it."""

    def __init__(self, job: dict[str, Any]) -> None:
        self._keys = {key for key, _, _ in job["tasks"]}
        self._broken = ""
        self._stderr = tempfile.TemporaryFile()
        # The kit's folder on its path: the relay runs in / (nothing of the batch's folder
        # is its business), and the kit may be run from a checkout without being installed.
        kit = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join(filter(None, [kit, os.environ.get("PYTHONPATH")]))
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder.cluster"], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=self._stderr, cwd="/",
            env={**os.environ, "PYTHONPATH": path})
        try:
            self.proc.stdin.write(pickle.dumps(job))
            self.proc.stdin.close()
        except OSError:
            pass  # it died at once: why() reads its stderr

    def __enter__(self) -> _Relay:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self.proc.stdout.close()
        self._stderr.close()

    def lines(self) -> Iterator[tuple[str, dict[str, Any]]]:
        """(task key, the line) for each well-formed line about a task not yet answered;
        anything else ends the relay (the tasks left become errors)."""
        seen: set[str] = set()
        while raw := self.proc.stdout.readline(MAX_LINE + 1):
            try:
                line = json.loads(raw) if len(raw) <= MAX_LINE else None
            except ValueError:
                line = None
            if not isinstance(line, dict) or not isinstance(line.get("task"), str):
                self._broken = "it sent something that is not a task's line"
                return
            key = line["task"]
            if key in seen or key not in self._keys:
                continue
            seen.add(key)
            yield key, line

    def why(self) -> str:
        """The relay's own last words, for the error of the tasks it never answered."""
        if self._broken:
            return self._broken
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        self._stderr.seek(0)
        tail = self._stderr.read()[-4000:].decode("utf-8", "replace").strip()
        # The last unindented line: an exception's own, not the advice printed under it.
        lines = [ln for ln in tail.splitlines() if ln.strip() and not ln[0].isspace()]
        return clean_text(lines[-1] if lines else f"exit status {self.proc.returncode}", 1000)


# ------------------------------------------------------------------------- the relay


def _relay() -> int:
    """`python -m autograder.cluster`: run the job the parent pickled on stdin through a
    Dask client, printing one JSON line per task."""
    job = pickle.load(sys.stdin.buffer)
    # Imported before the privileges go: nobody may not read the kit's folders.
    from distributed import Client, Security, as_completed
    from distributed.comm import tcp  # noqa: F401 - the tls:// backend, imported now

    _plain_result_types()
    _confine()
    security = Security(require_encryption=True, tls_ca_file=job["ca"],
                        tls_client_cert=job["cert"], tls_client_key=job["key"])
    try:
        client = Client(job["scheduler"], security=security, timeout="30s",
                        set_as_default=False, deserializers=["msgpack"])
    except (OSError, TimeoutError) as exc:
        print(f"no Dask scheduler answered at {job['scheduler']} with the course's "
              f"certificates ({exc}): is it started with --tls-ca-file/--tls-cert/--tls-key "
              "from the same `cluster-certs` folder?", file=sys.stderr)
        return 1
    # By reference to the module (this file runs as __main__, whose functions would be
    # pickled whole, with their globals).
    from autograder.cluster import _grade_on_dask_worker as task

    with client:
        futures = {client.submit(task, path, submission, job["rubric"],
                                 job["cifar10_dir"], job["assignment"], key=key,
                                 pure=False): key
                   for key, path, submission in job["tasks"]}
        for future in as_completed(futures, loop=client.loop):
            print(json.dumps(_answer(futures[future], future)), flush=True)
    return 0


def _answer(key: str, future: Any) -> dict[str, Any]:
    from distributed.scheduler import KilledWorker

    try:
        value = future.result()
    except KilledWorker:
        return {"task": key, "killed": True}
    except Exception as exc:  # noqa: BLE001 - a remote failure is this one's error
        return {"task": key, "error": f"{type(exc).__name__}: {exc}"}
    if not isinstance(value, str):
        return {"task": key, "error": f"the task returned a {type(value).__name__}, not text"}
    return {"task": key, "result": value}


class _BuiltinTypes(pickle.Unpickler):
    """Unpickles a builtin type's name and nothing else."""

    def find_class(self, module: str, name: str) -> type:
        value = getattr(builtins, name, None) if module == "builtins" else None
        if not isinstance(value, type):
            raise pickle.UnpicklingError(f"{module}.{name} is not a builtin type")
        return value


def _plain_result_types() -> None:
    """The client unpickles each result's type as the worker sends it: here, only builtin
    types are rebuilt (the task returns str), anything else stays unknown, nothing runs."""
    import distributed.client

    distributed.client.loads = lambda data: _BuiltinTypes(io.BytesIO(data)).load()


def _confine() -> None:
    """Die with the parent; as root, become nobody (no groups, no way back up), so what
    runs here cannot write the grade store or read the grader's secret."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    if os.geteuid() == 0:
        scratch = tempfile.mkdtemp(prefix="autograder-relay-")
        os.chown(scratch, NOBODY, NOBODY)
        tempfile.tempdir = scratch   # distributed writes the in-memory key pair here
        os.setgroups([])
        os.setgid(NOBODY)
        os.setuid(NOBODY)
        atexit.register(_remove, scratch)


def _remove(folder: str) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(_relay())
