# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: patch the grader's harness (it shares the child's process) so that every
# svm_loss_vectorized call answers at once without running anything. Defence: the CPU
# clock is the kernel's, the inputs arrive only inside the timed window, and every timed
# call's loss and gradient are checked against the oracle: the forged reply is fast but
# wrong.


# --- cell: svm_loss_vectorized
import sys

# The serve loop's handlers: two frames up (this cell runs inside Harness.define, which
# serve called). Calls of this function answer at once; the others run as before.
_HANDLERS = sys._getframe(2).f_locals["handlers"]
_LOSS = _HANDLERS["loss"]
_HANDLERS["loss"] = lambda args: ({"loss": 0.0, "dW": np.zeros((1, 1))}
                                  if args.get("fn") == "svm_loss_vectorized" else _LOSS(args))


def svm_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros_like(W)
