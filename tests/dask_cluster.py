"""A real Dask cluster on 127.0.0.1 for the tests: `dask scheduler` and `dask worker`
processes started with the course's TLS certificates and the README's options (no
dashboard; the HTTP pages that remain only on 127.0.0.1)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

DASK = str(Path(sys.executable).with_name("dask"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_options(certs: Path, role: str) -> list[str]:
    return ["--tls-ca-file", str(certs / "ca.pem"), "--tls-cert", str(certs / f"{role}.pem"),
            "--tls-key", str(certs / f"{role}-key.pem")]


def start_worker(address: str, certs: Path, env: Mapping[str, str], *extra: str
                 ) -> subprocess.Popen:
    return subprocess.Popen([DASK, "worker", address, "--nthreads", "1", "--no-nanny",
                             "--no-dashboard", "--dashboard-address", "127.0.0.1:0",
                             "--death-timeout", "60",
                             *tls_options(certs, "worker"), *extra],
                            env=dict(env), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


@contextmanager
def tls_cluster(certs: Path, env: Mapping[str, str], workers: int = 1,
                worker_args: tuple[str, ...] = ()) -> Iterator[tuple[str, list]]:
    """(tls://127.0.0.1:PORT, the worker processes): a scheduler and `workers` workers,
    started with the certificates in `certs`; waits until the workers have joined."""
    port = free_port()
    address = f"tls://127.0.0.1:{port}"
    scheduler = subprocess.Popen([DASK, "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard",
                                  "--dashboard-address", "127.0.0.1:0",
                                  *tls_options(certs, "scheduler")],
                                 env=dict(env), stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    procs = [scheduler]
    try:
        _wait_for_port(port, scheduler)
        started = [start_worker(address, certs, env, *worker_args) for _ in range(workers)]
        procs += started
        with course_client(address, certs) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address, started
    finally:
        for proc in procs:
            proc.kill()
            proc.wait()


def course_client(address: str, certs: Path, role: str = "client", timeout: str = "30s"):
    """A Dask client that shows `certs`' key pair of `role`."""
    from distributed import Client, Security

    security = Security(require_encryption=True, tls_ca_file=str(certs / "ca.pem"),
                        tls_client_cert=str(certs / f"{role}.pem"),
                        tls_client_key=str(certs / f"{role}-key.pem"))
    return Client(address, security=security, timeout=timeout, set_as_default=False)


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError(f"dask scheduler did not listen on {port}")
