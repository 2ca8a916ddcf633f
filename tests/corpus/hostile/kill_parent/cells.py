# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: kill the grader (the child's parent) or every process the child may signal.
# Defence: the child runs under its own uid, so it may signal nothing but itself.


# --- cell: svm_loss_naive
import os
import signal


def svm_loss_naive(W, X, y, reg):
    results = []
    for pid, sig in ((os.getppid(), signal.SIGKILL), (os.getppid(), signal.SIGTERM),
                     (1, signal.SIGKILL)):
        try:
            os.kill(pid, sig)
            results.append(f"kill({pid}, {sig.name}): sent")
        except OSError as exc:
            results.append(f"kill({pid}, {sig.name}): {type(exc).__name__}")
    raise RuntimeError("; ".join(results))
