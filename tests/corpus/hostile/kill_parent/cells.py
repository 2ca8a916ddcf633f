# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: kill the grader (the child's parent) or every process the child can find.
# Defence: the child is the init of its own PID namespace, under its own uid: its parent
# is outside (pid 0 to it), and it finds no other process to signal.


# --- cell: svm_loss_naive
import os
import signal


def svm_loss_naive(W, X, y, reg):
    results = [f"getppid {os.getppid()}"]
    for pid, sig in ((os.getppid(), signal.SIGKILL), (os.getppid(), signal.SIGTERM),
                     (1, signal.SIGKILL)):
        try:
            os.kill(pid, sig)
            results.append(f"kill({pid}, {sig.name}): sent")
        except OSError as exc:
            results.append(f"kill({pid}, {sig.name}): {type(exc).__name__}")
    found = 0
    for pid in range(2, 4096):
        try:
            os.kill(pid, 0)
            found += 1
        except OSError:
            pass
    results.append(f"other processes {found}")
    raise RuntimeError("; ".join(results))
