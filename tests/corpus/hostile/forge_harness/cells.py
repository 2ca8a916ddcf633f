# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: patch the grader's harness (it shares the child's process) so that every loss
# call answers at once without running anything. Defence: the CPU clock is the kernel's,
# the inputs arrive only inside the timed window, and every timed call's loss and gradient
# are checked against the oracle: the forged reply is fast but wrong.


# --- cell: svm_loss_vectorized
import sys

_harness = sys.modules["__main__"].Harness
_harness.op_loss = lambda self, args: {"loss": 0.0, "dW": np.zeros((1, 1))}


def svm_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros_like(W)
