# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: patch the grader's harness (it shares the child's process) so that `time_loss`
# answers at once without running anything. Defence: the CPU clock is the kernel's, the
# inputs arrive only inside the timed window, so the forged reply cannot hold the right loss:
# a check that compares the timed call's loss with the oracle catches it.


# --- cell: svm_loss_vectorized
import sys

_harness = sys.modules["__main__"].Harness
_harness.op_time_loss = lambda self, args: {"loss": 0.0}


def svm_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros_like(W)
