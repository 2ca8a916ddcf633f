"""The Dask cluster as a way in: who may join, which task is whose, what comes back.

A course's cluster is made as the README says (`cluster-certs`, then `dask scheduler` and
`dask worker` with the course's certificates, here on 127.0.0.1), and attacked as anyone
on the network, or a worker taken over, would: connecting without the course's
certificate, forging results, sending pickles. The grading itself on a real cluster (real
CIFAR-10, a killed worker) is tests/test_batch.py's
`test_a_dask_cluster_grades_the_class_and_survives_a_killed_worker`.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from dask_cluster import course_client, tls_cluster

from autograder import cli
from autograder.assignment import load as load_assignment
from autograder.batch import Found
from autograder.certs import ROLES, make_certificates
from autograder.cluster import expected_checks, leaderboard_columns, validated
from autograder.rubric import load as load_rubric

FORGING_WORKER = Path(__file__).parent / "cluster" / "forging_worker.py"
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("course") / "certs"
    make_certificates(folder)
    return folder


def submissions(folder: Path, names: list[str]) -> Path:
    """A folder of submissions with these ids (their notebooks hold nothing to grade)."""
    for name in names:
        (folder / name).mkdir(parents=True)
        for notebook in ("svm.ipynb", "softmax.ipynb"):
            (folder / name / notebook).write_text("{}")
    return folder


def batch(folder: Path, store: Path, scheduler: str, env: dict[str, str]
          ) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder", "batch", str(folder),
                           "--store", str(store), "--backend", "dask", "--scheduler",
                           scheduler], env=env, capture_output=True, text=True, timeout=300)


def stored(store: Path) -> dict[str, tuple[str, float, str]]:
    """submission -> (status, score, the stored result's first problem)."""
    if not store.exists():
        return {}
    db = sqlite3.connect(store)
    try:
        rows = db.execute("SELECT submission, status, score, result FROM grades").fetchall()
    finally:
        db.close()
    return {s: (status, score, (json.loads(r)["problems"] or [""])[0])
            for s, status, score, r in rows}


# --------------------------------------------------------------------- the certificates


def test_cluster_certs_makes_a_ca_and_private_key_pairs_and_never_overwrites(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from cryptography import x509

    out = tmp_path / "cluster"
    assert cli.main(["cluster-certs", "--out", str(out)]) == 0
    ca = x509.load_pem_x509_certificate((out / "ca.pem").read_bytes())
    assert out.stat().st_mode & 0o777 == 0o700
    for role in ROLES:
        assert (out / f"{role}-key.pem").stat().st_mode & 0o777 == 0o600
        cert = x509.load_pem_x509_certificate((out / f"{role}.pem").read_bytes())
        cert.verify_directly_issued_by(ca)  # raises when another CA signed it
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["ca.pem"] + [f"{r}{s}.pem" for r in ROLES for s in ("", "-key")])  # no CA key
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert cli.main(["cluster-certs", "--out", str(out)]) == 2
    assert "already holds ca.pem" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# --------------------------------------------------------------------- refused addresses


@pytest.fixture
def env(certs: Path) -> dict[str, str]:
    return {**os.environ, "AUTOGRADER_CLUSTER_CERTS": str(certs),
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(FORGING_WORKER.parent)])}


def test_batch_refuses_an_unencrypted_tcp_scheduler(tmp_path: Path, env: dict) -> None:
    folder = submissions(tmp_path / "submitted", ["alice"])
    store = tmp_path / "grades.sqlite"
    done = batch(folder, store, "tcp://127.0.0.1:8786", env)
    assert done.returncode == 2
    assert "give tls://HOST:PORT" in done.stderr
    assert all(status != "graded" for status, _, _ in stored(store).values())


def test_batch_without_the_course_certificates_says_how_to_make_them(
        tmp_path: Path, env: dict, certs: Path) -> None:
    folder = submissions(tmp_path / "submitted", ["alice"])
    empty = tmp_path / "no-certs"
    empty.mkdir()
    done = batch(folder, tmp_path / "a.sqlite", "tls://127.0.0.1:8786",
                 {**env, "AUTOGRADER_CLUSTER_CERTS": str(empty)})
    assert done.returncode == 2
    assert f"python -m autograder cluster-certs --out {empty}" in done.stderr
    # A client key others can read is refused too: whoever reads it joins the cluster.
    shared = tmp_path / "shared-certs"
    make_certificates(shared)
    (shared / "client-key.pem").chmod(0o644)
    done = batch(folder, tmp_path / "b.sqlite", "tls://127.0.0.1:8786",
                 {**env, "AUTOGRADER_CLUSTER_CERTS": str(shared)})
    assert done.returncode == 2
    assert f"chmod 600 {shared / 'client-key.pem'}" in done.stderr


def test_task_keys_are_random_and_never_name_the_submission(
        monkeypatch: pytest.MonkeyPatch, certs: Path) -> None:
    from autograder import cluster

    monkeypatch.setenv("AUTOGRADER_CLUSTER_CERTS", str(certs))
    jobs = []

    class NoCluster:
        """Stands for the relay: records the job and answers nothing."""

        def __init__(self, job: dict) -> None:
            jobs.append(job)

        def __enter__(self) -> NoCluster:
            return self

        def __exit__(self, *exc: object) -> None:
            pass

        def lines(self) -> list:
            return []

        def why(self) -> str:
            return "no cluster in this test"

    monkeypatch.setattr(cluster, "_Relay", NoCluster)
    todo = [(Found("alice", Path("/x/alice"), None), "a1" * 32),
            (Found("bob", Path("/x/bob"), None), "b2" * 32)]
    rubric = load_rubric(spec=load_assignment("linear"))
    for _ in range(2):
        attempts = list(cluster.grade_all_dask(todo, rubric, "tls://127.0.0.1:1", None))
        assert [a.action for a in attempts] == ["error", "error"]
    keys = [key for job in jobs for key, _, _ in job["tasks"]]
    assert len(set(keys)) == 4  # new keys every run
    for key in keys:
        assert len(key) == 32 and all(c in "0123456789abcdef" for c in key)
        assert "alice" not in key and "bob" not in key and "a1a1" not in key


# --------------------------------------------------------------------- validating results


@pytest.fixture(scope="module")
def checks() -> dict[str, float]:
    spec = load_assignment("linear")
    return expected_checks(load_rubric(spec=spec), spec)[0]


def result_doc(checks: dict[str, float], fraction: float = 1.0) -> dict:
    tests = [{"name": name, "score": points * fraction, "max_score": points, "output": "",
              "visibility": "visible", "target": ""} for name, points in checks.items()]
    return {"submission": "alice", "content_hash": "c0ffee", "tests": tests,
            "score": round(sum(t["score"] for t in tests), 4),
            "max_score": round(sum(t["max_score"] for t in tests), 4),
            "problems": [], "elapsed_s": 2.0, "limits": "", "confinement": ""}


def test_a_well_formed_result_is_stored_with_its_own_score(checks: dict) -> None:
    spec = load_assignment("linear")
    expected = expected_checks(load_rubric(spec=spec), spec)
    full = validated(json.dumps(result_doc(checks)), "alice", "c0ffee", expected)
    assert (full.score, full.max_score) == (100.0, 100.0)
    half = validated(json.dumps(result_doc(checks, 0.5)), "alice", "c0ffee", expected)
    assert (half.score, half.max_score) == (50.0, 100.0)


def test_a_result_s_leaderboard_columns_are_the_parent_s_own(checks: dict) -> None:
    """The accuracy checks keep their leaderboard columns through the relay (the report's
    accuracy plot and Gradescope's leaderboard read them), named by the batch's own check
    list: a column the worker adds to another check is not taken."""
    spec = load_assignment("linear")
    rubric = load_rubric(spec=spec)
    columns = leaderboard_columns(rubric, spec)
    assert columns, "the linear edition's accuracy checks name leaderboard columns"
    doc = result_doc(checks)
    for test in doc["tests"]:
        test["leaderboard"] = "forged column"
    result = validated(json.dumps(doc), "alice", "c0ffee", expected_checks(rubric, spec),
                       columns)
    assert {t["name"]: t["leaderboard"] for t in result.tests if "leaderboard" in t} == columns


def _lie(checks: dict, how: str) -> str:
    doc = result_doc(checks, 0.68)
    first = doc["tests"][0]
    if how == "check over its points":
        first["score"] = first["max_score"] + 32
        doc["score"] += 32
    elif how == "negative check":
        first["score"] = -1.0
        doc["score"] -= first["max_score"] * 0.68 + 1
    elif how == "total above its checks":
        doc["score"] = 100.0
    elif how == "a check left out":
        doc["max_score"] -= doc["tests"].pop()["max_score"]
        doc["score"] = round(sum(t["score"] for t in doc["tests"]), 4)
    elif how == "a check of its own":
        doc["tests"].append({"name": "bonus", "score": 32.0, "max_score": 32.0})
        doc["score"] += 32
        doc["max_score"] += 32
    elif how == "other content":
        doc["content_hash"] = "0" * 6
    elif how == "score not finite":
        return json.dumps(doc).replace(f'"score": {doc["score"]}', '"score": NaN', 1)
    elif how == "a boolean for a number":
        first["score"] = True
    elif how == "an extra field":
        doc["__class__"] = "GradeResult"
    elif how == "a pickle":
        return pickle.dumps(doc).hex()
    return json.dumps(doc)


@pytest.mark.parametrize("how", [
    "check over its points", "negative check", "total above its checks", "a check left out",
    "a check of its own", "other content", "score not finite", "a boolean for a number",
    "an extra field", "a pickle"])
def test_a_result_that_lies_is_refused(checks: dict, how: str) -> None:
    spec = load_assignment("linear")
    expected = expected_checks(load_rubric(spec=spec), spec)
    with pytest.raises(ValueError):
        validated(_lie(checks, how), "alice", "c0ffee", expected)


def test_the_relay_rebuilds_no_result_type_but_builtin_ones(tmp_path: Path) -> None:
    """The Dask client unpickles each result's type as the worker sends it: in the relay
    that is limited to builtin types, so a forged type runs nothing."""
    marker = tmp_path / "marker"
    payload = pickle.dumps(type("Sneaky", (), {"__reduce__": lambda self: (
        exec, (f"open({str(marker)!r}, 'w').write('ran')",))})())
    code = ("import pickle, sys, distributed.client as dc\n"
            "from autograder.cluster import _plain_result_types\n"
            "_plain_result_types()\n"
            "assert dc.loads(pickle.dumps(str)) is str\n"
            "try:\n    dc.loads(bytes.fromhex(sys.argv[1]))\n"
            "except pickle.UnpicklingError as exc:\n    print('refused:', exc)\n")
    done = subprocess.run([sys.executable, "-c", code, payload.hex()], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert "refused: builtins.exec is not a builtin type" in done.stdout
    assert not marker.exists()


# --------------------------------------------------------------------- a real cluster


def test_only_a_peer_with_the_course_certificate_joins_the_cluster(
        certs: Path, env: dict, tmp_path: Path) -> None:
    from dask_cluster import start_worker
    from distributed import Client

    other = tmp_path / "another-course"
    make_certificates(other)
    with tls_cluster(certs, env) as (address, _):
        # The honest twin: the course's client joins and runs a task.
        with course_client(address, certs) as client:
            assert client.submit(sum, [1, 2]).result(timeout=60) == 3
            # A worker with another CA's certificate never joins.
            stranger = start_worker(address, other, env)
            try:
                with pytest.raises(TimeoutError):
                    client.wait_for_workers(2, timeout=10)
            finally:
                stranger.kill()
                stranger.wait()
        # Anyone on the network, without TLS: the scheduler's port never answers.
        with pytest.raises((OSError, TimeoutError)):
            Client(address.replace("tls://", "tcp://"), timeout="5s", set_as_default=False)
        with pytest.raises((OSError, TimeoutError)):
            course_client(address, other, timeout="5s")
        # TLS that trusts the course's CA but shows no certificate: the scheduler ends the
        # connection in TLS (an alert, or at once); with the course's client key pair the
        # same bytes reach Dask's own protocol (no TLS error, whatever Dask answers).
        host, port = address.removeprefix("tls://").split(":")
        with pytest.raises(ssl.SSLError, match="CERTIFICATE_REQUIRED|EOF occurred"):
            raw_tls(host, int(port), certs, None)
        with contextlib.suppress(TimeoutError):
            raw_tls(host, int(port), certs, "client")


def raw_tls(host: str, port: int, certs: Path, role: str | None) -> bytes:
    """Open TLS to host:port trusting the course's CA, showing `role`'s key pair (or none),
    send a few bytes and read one back."""
    context = ssl.create_default_context(cafile=str(certs / "ca.pem"))
    context.check_hostname = False
    if role:
        context.load_cert_chain(certs / f"{role}.pem", certs / f"{role}-key.pem")
    with socket.create_connection((host, port), timeout=5) as raw, \
            context.wrap_socket(raw) as tls:
        tls.sendall(b"\0" * 8)
        return tls.recv(1)


def test_forged_results_are_refused_and_a_pickled_one_never_runs(
        certs: Path, env: dict, tmp_path: Path) -> None:
    """A worker taken over forges each submission's result (tests/cluster/forging_worker.py):
    only the well-formed one is stored; the lies and pickles are each that submission's
    error; no payload runs, in the batch or in its Dask client."""
    # The marker's folder is writable by anyone (the relay may run as nobody).
    markers = Path(tempfile.mkdtemp(prefix="cluster-marker-", dir="/tmp"))
    markers.chmod(0o777)
    marker = markers / "ran"
    names = ["honest_twin", "over_max", "other_content", "not_json", "worker_failed",
             "pickled", "pickled_type"]
    folder = submissions(tmp_path / "submitted", names)
    store = tmp_path / "grades.sqlite"
    worker_env = {**env, "FORGER_MARKER": str(marker)}
    try:
        with tls_cluster(certs, worker_env,
                         worker_args=("--preload", str(FORGING_WORKER))) as (address, _):
            done = batch(folder, store, address, env)
        assert not marker.exists(), marker.read_text()
    finally:
        marker.unlink(missing_ok=True)
        markers.rmdir()
    assert done.returncode == 1, done.stderr[-3000:]
    grades = stored(store)
    assert grades["honest_twin"][:2] == ("graded", 100.0)
    for name in names[1:]:
        status, score, problem = grades[name]
        assert (status, score) == ("error", 0.0), name
    assert "refused (the check 'svm_loss_naive" in grades["over_max"][2]
    assert "other content than this submission's" in grades["other_content"][2]
    assert "refused (not JSON)" in grades["not_json"][2]
    assert ("the grader failed on this submission on its Dask worker (GradingError: "
            "CIFAR-10 not found on this worker)") in grades["worker_failed"][2]
    for name in ("pickled", "pickled_type"):
        assert "only able to deserialize data with ['msgpack']" in grades[name][2]


@pytest.mark.skipif(os.geteuid() != 0, reason="the relay becomes nobody only when root")
def test_the_relay_drops_root_before_it_connects() -> None:
    """What the cluster could make the relay run (the exceptions and warnings distributed
    unpickles) runs as nobody: it cannot write the grade store or read the grader's
    secret, both root's."""
    code = ("import os\nfrom autograder.cluster import _confine\n_confine()\n"
            "status = open('/proc/self/status').read()\n"
            "print(os.getuid(), os.getgid(), os.getgroups(), 'NoNewPrivs:\\t1' in status)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["65534", "65534", "[]", "True"]
