# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: survive the grader's attempts to stop a runaway call by ignoring or catching
# signals, and arm an alarm. Defence: the parent kills the child's process group with
# SIGKILL, which cannot be caught.


# --- cell: svm_loss_naive
import signal

for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGXCPU, signal.SIGALRM,
             signal.SIGUSR1):
    signal.signal(_sig, signal.SIG_IGN)


def svm_loss_naive(W, X, y, reg):
    try:
        signal.alarm(1)  # refused by the seccomp filter: spin on regardless
    except OSError:
        pass
    while True:
        pass
