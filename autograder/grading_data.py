"""What a grading run shares between submissions, prepared once in the trusted parent.

`GradingData` holds CIFAR-10 as the assignment prepares it (its check module's
`prepare_data`: the training arrays in a private folder for the reference training, the
evaluation arrays in the parent's memory; no child is given any of it), the reference
timing (`ReferenceTiming`: the assignment's trusted reference definitions, run in a
sandbox session with the same limits as a student's) and the reference training
(`ReferenceTraining`: the only parameters any accuracy point is scored on, trained here).
The grader's secret keys the hidden inputs' seed and the reference training's.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import shutil
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from autograder import rubric as rubric_module
from autograder.assignment import Assignment, dumps
from autograder.assignment import load as load_assignment
from autograder.files import private_dir, write_private
from autograder.outcome import Outcome
from autograder.rubric import Rubric
from autograder.sandbox import Limits, SandboxSession


class GradingError(RuntimeError):
    """The grader cannot run (no data set, a broken rubric): the instructor's problem."""


def limits_for(rubric: Rubric) -> Limits:
    """Sandbox limits with the per-operation timeouts of the rubric."""
    return Limits(op_timeouts=dict(rubric.timeouts))


def grader_secret() -> bytes:
    """The grader's own secret, which keys the hidden inputs' seed.

    `AUTOGRADER_SECRET` (any text) if set, else the file `AUTOGRADER_SECRET_FILE` (default
    ~/.config/autograder/secret), created with 32 random bytes on first use, readable by
    the grader's user only. Keep it for the course: regrades then see the same inputs.
    The sandbox's file system does not hold it, so student code cannot work out its
    hidden inputs from its own source (which it can read).
    """
    if os.environ.get("AUTOGRADER_SECRET"):
        return os.environ["AUTOGRADER_SECRET"].encode()
    default = Path.home() / ".config" / "autograder" / "secret"
    path = Path(os.environ.get("AUTOGRADER_SECRET_FILE") or default)
    try:
        secret = path.read_bytes()
    except FileNotFoundError:
        private_dir(path.parent, tighten=False)
        secret = os.urandom(32)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        except FileExistsError:  # another worker made it first
            return path.read_bytes()
        with os.fdopen(fd, "wb") as f:
            f.write(secret)
    if len(secret) < 16:
        raise GradingError(f"{path} holds {len(secret)} bytes: the grader's secret needs 16 "
                           "or more; delete it to have a new one made")
    return secret


def seed_of(content_hash: str) -> int:
    """The hidden inputs' seed: 32 bits of an HMAC of the submission's content hash under
    the grader's secret (regrades match; the submission alone cannot predict it)."""
    digest = hmac.new(grader_secret(), content_hash.encode(), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


# --------------------------------------------------------------------------- reference timing


class ReferenceTiming:
    """The trusted reference losses (naive loops and vectorized) of assignment `spec`, in
    their own sandbox (its check module's `reference_cells()`, run by its child).

    Same `Limits`, same machine, same protocol as a student's session, so the speed
    checks compare like with like. The checks call it in the same round as the student's
    own calls (naive, yours, reference, back to back), so the reference is measured under
    the same load as the code it is compared with; one session per grading process is
    shared by all its submissions (calls are serialised).
    """

    def __init__(self, limits: Limits | None = None, spec: Assignment | None = None) -> None:
        self.limits = limits or Limits()
        self.spec = spec or load_assignment()
        self._live: SandboxSession | None = None
        self._lock = threading.Lock()

    def cells(self) -> dict[str, str]:
        """The reference functions as definition cells."""
        return self.spec.check_module.reference_cells()

    def call(self, op: str, **kwargs: Any) -> Outcome:
        with self._lock:
            if self._live is None:
                self._live = SandboxSession(self.cells(), assignment=dumps(self.spec),
                                            limits=self.limits)
                self._live.start()
            return self._live.call(op, **kwargs)

    def close(self) -> None:
        with self._lock:
            if self._live is not None:
                self._live.close()
                self._live = None

    def __enter__(self) -> ReferenceTiming:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ReferenceTraining:
    """The assignment's trusted references trained here, in the parent, on the training
    arrays `prepare_data` made (its check module's `reference_train`): every accuracy
    point is scored on parameters made here.

    Called with canonical settings (the checks round them and keep them inside the
    rubric's ranges and cost cap before calling), so a class of students who chose about
    the same settings costs one training. The seed comes from the grader's secret and the
    target's name only: a student can neither choose it nor move it by changing a setting
    in its last digits. The parameters (an array, or a dict of arrays) are kept in memory
    and in `cache_dir` (a folder of the parent's, shared by the workers of a batch, never
    shown to a child).
    """

    def __init__(self, train_dir: Path, cache_dir: Path, spec: Assignment | None = None
                 ) -> None:
        self.train_dir = Path(train_dir)
        self.cache_dir = Path(cache_dir)
        self._reference_train = (spec or load_assignment()).check_module.reference_train
        self._memory: dict[str, Any] = {}
        self._lock = threading.Lock()

    def __call__(self, target: str, settings: Mapping[str, float]) -> Any:
        canonical = (target, sorted((str(k), float(v)) for k, v in settings.items()))
        key = hashlib.sha256(repr(canonical).encode()).hexdigest()[:32]
        with self._lock:
            if key not in self._memory:
                self._memory[key] = self._cached(key, target, dict(settings))
            return self._memory[key]

    def _cached(self, key: str, target: str, settings: dict[str, float]) -> Any:
        path = self.cache_dir / f"{key}.npz"
        if path.is_file():
            with np.load(path, allow_pickle=False) as saved:
                return _unpacked(dict(saved))
        training = {p.stem: np.load(p, mmap_mode="r", allow_pickle=False)
                    for p in sorted(self.train_dir.glob("*.npy"))}
        trained = self._reference_train(target, settings, training, reference_seed(target))
        partial = self.cache_dir / f"{key}.{os.getpid()}.{threading.get_ident()}.npz"
        with open(partial, "wb") as f:
            np.savez(f, **_packed(trained))
        os.replace(partial, path)  # whole or absent: a worker killed mid-write leaves no file
        return trained


def _packed(trained: Any) -> dict[str, np.ndarray]:
    """A reference's parameters (one array, or a dict of arrays) as .npz members."""
    if isinstance(trained, Mapping):
        return {f"param.{k}": np.asarray(v) for k, v in trained.items()}
    return {"array": np.asarray(trained)}


def _unpacked(saved: dict[str, np.ndarray]) -> Any:
    if set(saved) == {"array"}:
        return saved["array"]
    return {k[len("param."):]: v for k, v in saved.items()}


def reference_seed(cls: str) -> int:
    """The seed of the reference training of classifier `cls`: 64 bits of an HMAC of its
    name under the grader's secret (the same for every student and setting of a course)."""
    digest = hmac.new(grader_secret(), f"reference training {cls}".encode(),
                      hashlib.sha256).digest()
    return int.from_bytes(digest[:8], "big")


def probe_seed() -> int:
    """The seed of the class-common probe inputs (autograder/probes.py): 32 bits of an HMAC
    of a fixed text under the grader's secret (the same for every submission of a course;
    no submission can predict it)."""
    digest = hmac.new(grader_secret(), b"class-common probe inputs", hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


DATA_PREFIX = "autograder-cifar10-"
REFERENCE_WEIGHTS = "reference-weights"
def prepare_training_data(training: Mapping[str, np.ndarray],
                          folder: str | os.PathLike[str]) -> None:
    """Write the training arrays (`prepare_data`'s second part) as .npy files into
    `folder`, a new or empty folder, private to the grader (0700 / 0600): the reference
    training reads them from there (memory-mapped, one copy for all the workers of a
    batch). No child is given them, nor any other CIFAR-10 file."""
    target = private_dir(folder)
    strays = sorted(p.name for p in target.iterdir())
    if strays:
        raise ValueError(f"prepare_training_data: {target} must be empty, but holds "
                         f"{', '.join(strays)}; use an empty folder")
    for name, array in training.items():
        if not name.isidentifier():
            raise ValueError(f"prepare_training_data: {name!r} is not a plain array name")
        path = write_private(target / f"{name}.npy", b"")
        np.save(path, np.ascontiguousarray(array), allow_pickle=False)


def remove_stale_folders() -> list[Path]:
    """Delete the prepared CIFAR-10 folders of grading processes that are gone (a batch or
    a worker killed with SIGKILL cannot clean up after itself): 600 MB each."""
    removed = []
    for folder in Path(tempfile.gettempdir()).glob(f"{DATA_PREFIX}*-*"):
        owner = folder.name[len(DATA_PREFIX):].split("-", 1)[0]
        if not owner.isdigit() or int(owner) == os.getpid():
            continue
        try:
            os.kill(int(owner), 0)
            continue
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


# --------------------------------------------------------------------------- CIFAR-10


class GradingData:
    """CIFAR-10 for one grading run, prepared once in the trusted parent, as assignment
    `spec` prepares it (its check module's `prepare_data`).

    `train_dir` is a private folder holding the training arrays only
    (`prepare_training_data`), which the parent's reference training reads. `parent`
    keeps what the accuracy checks score the reference's parameters on (the validation and
    test splits). No CIFAR-10 file, and no array of either, is given to a child.
    Also owns the run's `ReferenceTiming` and `ReferenceTraining`. Use as a context
    manager; `close()` deletes the folder and stops the reference session.

    Raises GradingError naming CIFAR10_DIR and the download command when the data set is
    missing or damaged: grading never falls back to made-up data.
    """

    def __init__(self, path: str | Path | None = None, *, rubric: Rubric | None = None,
                 spec: Assignment | None = None) -> None:
        from cs231n_data.cifar10 import CIFAR10Error

        spec = spec or load_assignment()
        try:
            parent, training = spec.check_module.prepare_data(path, spec)
        except CIFAR10Error as exc:
            advice = "" if "CIFAR10_DIR" in str(exc) and "cs231n_data.download" in str(exc) \
                else (" Set CIFAR10_DIR to the cifar-10-batches-py folder, or download it "
                      "with `python -m cs231n_data.download`.")
            raise GradingError(f"cannot grade without the real CIFAR-10 data set: {exc}"
                               + advice) from None
        self.parent: dict[str, np.ndarray] = dict(parent)
        remove_stale_folders()
        self._tmp = Path(tempfile.mkdtemp(prefix=f"{DATA_PREFIX}{os.getpid()}-"))
        self.train_dir = self._tmp / "training"
        try:
            prepare_training_data(training, self.train_dir)
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise
        del training
        self.spec = spec
        self.reference_timing = ReferenceTiming(
            limits_for(rubric or rubric_module.load(spec=spec)), spec)
        self.reference_training = ReferenceTraining(
            self.train_dir, private_dir(self._tmp / REFERENCE_WEIGHTS), spec)

    @classmethod
    def attach(cls, train_dir: Path, parent: Mapping[str, np.ndarray],
               rubric: Rubric, spec: Assignment | None = None) -> GradingData:
        """Another process's prepared data (a batch worker's view of the run's folder and
        labels: N workers, one copy of CIFAR-10), with a reference timing of its own.
        Closing it leaves the folder to its owner."""
        data = cls.__new__(cls)
        data.parent = dict(parent)
        data._tmp = None
        data.train_dir = Path(train_dir)
        data.spec = spec or load_assignment()
        data.reference_timing = ReferenceTiming(limits_for(rubric), data.spec)
        data.reference_training = ReferenceTraining(
            data.train_dir, data.train_dir.parent / REFERENCE_WEIGHTS, data.spec)
        return data

    def close(self) -> None:
        self.reference_timing.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> GradingData:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
