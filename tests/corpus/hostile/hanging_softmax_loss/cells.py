# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (or an honest `while` bug): softmax_loss_vectorized never returns; it ignores the
# signals it can and spins. Defence: the call's wall-clock timeout kills the child's whole
# PID namespace; a function that timed out is not called again, and Softmax is not
# retrained on CIFAR-10 with it: the submission costs one timeout, not ten minutes.


# --- cell: softmax_loss_vectorized
import signal


def softmax_loss_vectorized(W, X, y, reg):
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGALRM, signal.SIGXCPU):
        signal.signal(sig, signal.SIG_IGN)
    while True:
        pass
