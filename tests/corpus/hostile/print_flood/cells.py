# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (or forgotten debug prints): print 100 MB through print() and straight to fd 1.
# Defence: the parent keeps only the tail of the child's output; the call itself succeeds.


# --- cell: svm_loss_vectorized
import os


def svm_loss_vectorized(W, X, y, reg):
    line = "spam " * 200_000
    for _ in range(50):
        print(line)
    for _ in range(50):
        os.write(1, line.encode())
    return svm_loss_naive(W, X, y, reg)  # the reference cell's: the right answer
