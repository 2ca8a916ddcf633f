# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (or a common bug): a loss that never returns. Defence: the wall-clock timeout kills
# the child; the next call gets a fresh one.


# --- cell: svm_loss_naive
def svm_loss_naive(W, X, y, reg):
    while True:
        pass
