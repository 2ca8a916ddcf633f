# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: fill the grader's disk with a 1 GB file (in the working folder, then in /tmp).
# Defence: RLIMIT_FSIZE (16 MiB per file), a size-capped tmpfs as working folder, /tmp
# read-only.


# --- cell: svm_loss_naive
import os


def _fill(path):
    written = 0
    chunk = b"x" * 2**20
    try:
        with open(path, "wb") as f:
            for _ in range(1024):
                f.write(chunk)
                f.flush()
                written += len(chunk)
        return f"{path}: wrote {written}"
    except OSError as exc:
        return f"{path}: stopped after {written} bytes: {exc.strerror}"


def svm_loss_naive(W, X, y, reg):
    here = _fill(os.path.join(os.getcwd(), "big.bin"))
    tmp = _fill("/tmp/autograder-hostile-big.bin")
    raise RuntimeError(f"{here} | {tmp}")
