"""`python -m cs231n_data.download` against a real HTTP server on 127.0.0.1.

The server hands out a tiny tarball laid out like cifar-10-python.tar.gz (see the
``tiny_cifar10_dir`` fixture) and honours Range requests, like the real one. The command
runs in a subprocess, exactly as a user would run it.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import socket
import subprocess
import sys
import tarfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cs231n_data import cifar10
from cs231n_data.cifar10 import load_cifar10
from cs231n_data.download import MD5, URL

REPO_ROOT = Path(__file__).resolve().parent.parent
ARCHIVE = "cifar-10-python.tar.gz"
FILES = ["batches.meta", *(f"data_batch_{i}" for i in range(1, 6)), "test_batch"]


class ArchiveServer(ThreadingHTTPServer):
    """Serves ``payload`` at /cifar-10-python.tar.gz and records each request's Range header."""

    daemon_threads = True

    def __init__(self, payload: bytes):
        super().__init__(("127.0.0.1", 0), RangeHandler)
        self.payload = payload
        self.ignore_range = False
        self.ranges: list[str | None] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{ARCHIVE}"


class RangeHandler(BaseHTTPRequestHandler):
    server: ArchiveServer

    def do_GET(self) -> None:
        if self.path != f"/{ARCHIVE}":
            self.send_error(404)
            return
        body = self.server.payload
        header = self.headers.get("Range")
        self.server.ranges.append(header)
        match = re.fullmatch(r"bytes=(\d+)-", header or "")
        if match and not self.server.ignore_range:
            start = int(match[1])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
            body = body[start:]
        else:
            self.send_response(200)
        self.send_header("Content-Type", "application/x-gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""


def tarball(folder: Path, extra: dict[str, bytes] | None = None) -> bytes:
    """gzip'ed tar of ``folder`` as ``cifar-10-batches-py/``, plus raw ``extra`` members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-py")
        for name, data in (extra or {}).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def server(tiny_cifar10_dir: Path) -> Iterator[ArchiveServer]:
    srv = ArchiveServer(tarball(tiny_cifar10_dir))
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join()


@pytest.fixture
def dest(tmp_path: Path) -> Path:
    return tmp_path / "dest"


def download(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command; no proxy, so 127.0.0.1 is reached directly."""
    env = {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "cs231n_data.download", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def fetch(server: ArchiveServer, dest: Path, md5sum: str | None = None):
    return download(
        "--url", server.url, "--md5", md5sum or md5(server.payload), "--dest", str(dest)
    )


def assert_extracted(dest: Path, source: Path) -> None:
    folder = dest / "cifar-10-batches-py"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    for name in FILES:
        assert (folder / name).read_bytes() == (source / name).read_bytes(), name
    assert sorted(p.name for p in dest.iterdir()) == ["cifar-10-batches-py"], "no leftovers"


def assert_clear_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ")
    for needle in needles:
        assert needle in last
    return last


def test_download_extracts_a_loadable_data_set(server, dest, tiny_cifar10_dir, monkeypatch):
    result = fetch(server, dest)
    assert result.returncode == 0, result.stderr
    assert_extracted(dest, tiny_cifar10_dir)
    assert server.ranges == [None]
    assert "100%" in result.stderr, "tqdm shows the progress"
    assert "CIFAR10_DIR" in result.stdout, "a custom --dest is followed by how to use it"

    monkeypatch.setenv("CS231N_CACHE_DIR", str(dest.parent / "cache"))
    X_train, y_train, X_test, y_test = load_cifar10(dest / "cifar-10-batches-py")
    assert X_train.shape == (100, 32, 32, 3) and X_test.shape == (10, 32, 32, 3)
    assert y_train.shape == (100,) and y_test.shape == (10,)


def test_a_second_run_does_not_download_again(server, dest):
    assert fetch(server, dest).returncode == 0
    again = fetch(server, dest)
    assert again.returncode == 0, again.stderr
    assert "already" in again.stdout
    assert len(server.ranges) == 1, "the server was asked only once"


def test_a_truncated_part_is_resumed_with_a_range_request(server, dest, tiny_cifar10_dir):
    half = len(server.payload) // 2
    dest.mkdir()
    (dest / f"{ARCHIVE}.part").write_bytes(server.payload[:half])
    result = fetch(server, dest)
    assert result.returncode == 0, result.stderr
    assert server.ranges == [f"bytes={half}-"]
    assert "Resuming" in result.stdout
    assert_extracted(dest, tiny_cifar10_dir)


def test_a_complete_part_is_not_fetched_again(server, dest, tiny_cifar10_dir):
    dest.mkdir()
    (dest / f"{ARCHIVE}.part").write_bytes(server.payload)
    result = fetch(server, dest)
    assert result.returncode == 0, result.stderr
    assert server.ranges == [f"bytes={len(server.payload)}-"]
    assert_extracted(dest, tiny_cifar10_dir)


def test_a_server_that_ignores_range_restarts_the_download_cleanly(server, dest, tiny_cifar10_dir):
    server.ignore_range = True
    dest.mkdir()
    # A prefix that is not the archive's: appending the full file to it would break the MD5.
    (dest / f"{ARCHIVE}.part").write_bytes(b"x" * 1000)
    result = fetch(server, dest)
    assert result.returncode == 0, result.stderr
    assert server.ranges == ["bytes=1000-"]
    assert_extracted(dest, tiny_cifar10_dir)


def test_a_wrong_md5_is_a_clear_error_and_the_bad_file_is_deleted(server, dest):
    result = fetch(server, dest, md5sum="0" * 32)
    line = assert_clear_error(result, "checksum mismatch", md5(server.payload), "0" * 32)
    assert "deleted" in line
    assert list(dest.iterdir()) == [], "neither the bad archive nor a data folder is left"


def test_an_unreachable_url_is_a_clear_error(dest):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/{ARCHIVE}"  # nothing listens there any more
    result = download("--url", url, "--dest", str(dest))
    assert_clear_error(result, url, "CIFAR10_DIR")
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_http_error_names_the_url_and_the_status(server, dest):
    url = server.url.replace(ARCHIVE, "missing.tar.gz")
    assert_clear_error(download("--url", url, "--dest", str(dest)), url, "404")


def test_an_archive_cannot_write_outside_dest(server, dest, tiny_cifar10_dir):
    server.payload = tarball(tiny_cifar10_dir, extra={"../escaped.txt": b"gotcha"})
    result = fetch(server, dest)
    assert_clear_error(result, "cannot extract")
    assert not (dest.parent / "escaped.txt").exists()
    assert not (dest / "cifar-10-batches-py").exists()


def test_a_damaged_data_folder_is_reported_not_overwritten(server, dest, tiny_cifar10_dir):
    assert fetch(server, dest).returncode == 0
    (dest / "cifar-10-batches-py" / "data_batch_4").unlink()
    result = fetch(server, dest)
    assert_clear_error(result, "data_batch_4", "delete it")
    assert len(server.ranges) == 1


def test_the_defaults_are_the_official_archive_into_the_package_folder():
    assert URL == "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    assert MD5 == "c58f30108f718f92721af3b95e74349a"
    result = download("--help")
    assert result.returncode == 0
    assert URL in result.stdout
    assert str(REPO_ROOT / "cs231n_data") in " ".join(result.stdout.split())


# ---------------------------------------------------------------- the demo's own set-up


@pytest.fixture
def no_data_here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine without CIFAR-10: no CIFAR10_DIR, an empty package folder, no proxy."""
    monkeypatch.delenv("CIFAR10_DIR", raising=False)
    for name in [k for k in os.environ if "proxy" in k.lower()]:
        monkeypatch.delenv(name)
    folder = tmp_path / "cs231n_data" / "cifar-10-batches-py"
    monkeypatch.setattr(cifar10, "DEFAULT_DIR", folder)
    return folder


def test_the_demo_downloads_cifar10_once_when_the_machine_has_none(
        server, no_data_here, tiny_cifar10_dir, capsys):
    from autograder.demo import ensure_cifar10

    folder = ensure_cifar10(url=server.url, md5=md5(server.payload))
    assert folder == no_data_here
    assert_extracted(no_data_here.parent, tiny_cifar10_dir)
    assert "downloading it once" in capsys.readouterr().out
    assert ensure_cifar10(url=server.url, md5=md5(server.payload)) == no_data_here
    assert len(server.ranges) == 1, "the second run found the data and fetched nothing"


def test_the_demo_says_what_to_do_when_cifar10_cannot_be_had(
        server, no_data_here, tmp_path, monkeypatch, capsys):
    from autograder.demo import ensure_cifar10

    assert ensure_cifar10(url=server.url.replace(ARCHIVE, "missing.tar.gz")) is None
    err = capsys.readouterr().err
    assert "could not download CIFAR-10" in err and "404" in err and "CIFAR10_DIR" in err
    monkeypatch.setenv("CIFAR10_DIR", str(tmp_path / "empty"))
    assert ensure_cifar10(url=server.url, md5=md5(server.payload)) is None
    err = capsys.readouterr().err
    assert "CIFAR10_DIR=" in err and "test_batch" in err
    assert not server.ranges[1:], "a CIFAR10_DIR that is set is never replaced by a download"
