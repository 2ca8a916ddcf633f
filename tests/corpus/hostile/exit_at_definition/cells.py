# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: stop the grader while the definition cells are run (sys.exit, os._exit).
# Defence: SystemExit is an ordinary error of that cell; a cell that ends the child is
# remembered and left out of the next child, so the other targets are still graded.


# --- cell: svm_loss_naive
import sys

sys.exit(3)


def svm_loss_naive(W, X, y, reg):
    return 0.0, W


# --- cell: softmax_loss_naive
import os

os._exit(1)
