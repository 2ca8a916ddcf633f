"""Download CIFAR-10 (python version), check its MD5 and extract it.

    python -m cs231n_data.download [--dest DIR] [--url URL] [--md5 MD5]

By default the data ends in ``cs231n_data/cifar-10-batches-py``, where ``load_cifar10`` looks
for it. An interrupted download leaves ``cifar-10-python.tar.gz.part`` behind and the next run
continues it; a run that finds the data already extracted does nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from cs231n_data.cifar10 import DEFAULT_DIR, TEST_BATCH, TRAIN_BATCHES

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
MD5 = "c58f30108f718f92721af3b95e74349a"
ARCHIVE_NAME = "cifar-10-python.tar.gz"
FOLDER_NAME = "cifar-10-batches-py"
EXPECTED_FILES = ("batches.meta", *TRAIN_BATCHES, TEST_BATCH)
CHUNK = 1 << 16
TIMEOUT_S = 60


class DownloadError(Exception):
    """A failure the user can act on; the message is one line."""


def download_cifar10(
    dest: str | os.PathLike[str] = DEFAULT_DIR.parent, url: str = URL, md5: str = MD5
) -> Path:
    """Make sure ``dest/cifar-10-batches-py`` holds CIFAR-10; return that folder.

    Downloads ``url`` to ``dest/cifar-10-python.tar.gz`` (continuing a ``.part`` file left by
    an interrupted run), checks its MD5, extracts it and deletes the archive.
    Raises DownloadError with a one-line message on any failure.
    """
    dest = Path(dest).expanduser()
    folder = dest / FOLDER_NAME
    if folder.exists():
        missing = [name for name in EXPECTED_FILES if not (folder / name).is_file()]
        if missing:
            raise DownloadError(
                f"{folder} exists but lacks {', '.join(missing)}; delete it and run this again"
            )
        print(f"CIFAR-10 is already in {folder}; nothing to download.")
        return folder

    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DownloadError(f"cannot create {dest} ({exc}); choose another --dest") from exc
    if not os.access(dest, os.W_OK):
        raise DownloadError(f"cannot write to {dest}; choose another --dest")
    archive = dest / ARCHIVE_NAME
    if archive.exists() and _md5_of(archive) == md5:
        print(f"Using the archive already downloaded at {archive}.")
    else:
        archive.unlink(missing_ok=True)
        part = archive.with_name(archive.name + ".part")
        _fetch(url, part)
        got = _md5_of(part)
        if got != md5:
            part.unlink()
            raise DownloadError(
                f"checksum mismatch for {url}: MD5 {got}, expected {md5}; "
                f"the bad file {part} was deleted, run this again to retry"
            )
        os.replace(part, archive)

    _extract(archive, folder)
    archive.unlink()
    print(f"CIFAR-10 is ready in {folder}.")
    return folder


def _fetch(url: str, part: Path) -> None:
    """Download ``url`` into ``part``, continuing it with a Range request if it exists."""
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "cs231n-data-download"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_S)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            if exc.headers.get("Content-Range", "").endswith(f"/{offset}"):
                return  # the .part is already whole: an earlier run stopped before checking it
            # The .part is longer than the file the server has now: start again.
            part.unlink()
            _fetch(url, part)
            return
        raise DownloadError(f"{url} answered HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"cannot reach {url} ({reason}); check the network, or set CIFAR10_DIR to an "
            "existing copy of cifar-10-batches-py"
        ) from exc

    with response:
        resumed = bool(offset) and response.status == 206
        if resumed:
            total = _total_from_content_range(response.headers.get("Content-Range"), offset)
        else:
            # A 200 answer to a Range request is the whole file: start the .part again.
            offset = 0
            length = response.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
        if offset:
            print(f"Resuming the download of {url} at byte {offset}.")
        try:
            with (
                open(part, "ab" if resumed else "wb") as out,
                tqdm(
                    total=total,
                    initial=offset,
                    unit="B",
                    unit_scale=True,
                    unit_divisor=1024,
                    desc=ARCHIVE_NAME,
                ) as bar,
            ):
                while chunk := response.read(CHUNK):
                    out.write(chunk)
                    bar.update(len(chunk))
        except (OSError, http.client.HTTPException) as exc:
            raise DownloadError(
                f"the download of {url} stopped ({exc}); run this again to resume it"
            ) from exc
    size = part.stat().st_size
    if total is not None and size != total:
        raise DownloadError(
            f"the download of {url} stopped at {size} of {total} bytes; run this again to resume it"
        )


def _total_from_content_range(header: str | None, offset: int) -> int | None:
    """Total size from ``Content-Range: bytes START-END/TOTAL``; checks START is ``offset``."""
    if not header or not header.startswith(f"bytes {offset}-"):
        raise DownloadError(f"the server resumed at the wrong place (Content-Range: {header})")
    total = header.rpartition("/")[2]
    return int(total) if total.isdigit() else None


def _md5_of(file: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with open(file, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _extract(archive: Path, folder: Path) -> None:
    """Extract the archive's ``cifar-10-batches-py`` into ``folder`` all at once.

    Extraction goes to a temporary sibling folder that is renamed into place, so an
    interrupted extraction never leaves a half folder that a later run would take as done.
    """
    if not hasattr(tarfile, "data_filter"):
        raise DownloadError(
            "this Python's tarfile cannot extract safely (no extraction filters); "
            "use Python 3.10.12+, 3.11.4+ or newer"
        )
    staging = Path(tempfile.mkdtemp(prefix=".cifar-10-extract-", dir=folder.parent))
    try:
        with tarfile.open(archive, "r:*") as tar:
            # The "data" filter refuses absolute paths, "..", links out of the folder and
            # device files, so a malicious archive cannot write outside `staging`.
            tar.extractall(staging, filter="data")
        extracted = staging / FOLDER_NAME
        missing = [name for name in EXPECTED_FILES if not (extracted / name).is_file()]
        if missing:
            raise DownloadError(
                f"{archive} does not hold a complete {FOLDER_NAME}/ (missing {', '.join(missing)})"
            )
        os.replace(extracted, folder)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise DownloadError(f"cannot extract {archive}: {exc}") from exc
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (``cs231n-download``); returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m cs231n_data.download",
        description="Download CIFAR-10 (python version), check its MD5 and extract it.",
    )
    parser.add_argument(
        "--dest",
        type=Path,
        default=DEFAULT_DIR.parent,
        help=f"folder that will hold {FOLDER_NAME}/ (default: %(default)s)",
    )
    parser.add_argument("--url", default=URL, help="archive to download (default: %(default)s)")
    parser.add_argument("--md5", default=MD5, help="expected MD5 of the archive")
    args = parser.parse_args(argv)
    try:
        folder = download_cifar10(args.dest, args.url, args.md5.lower())
    except DownloadError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted; run this again to resume the download", file=sys.stderr)
        return 130
    if folder.resolve() != DEFAULT_DIR.resolve():
        print(f"Point the loader at it with: export CIFAR10_DIR={folder}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
