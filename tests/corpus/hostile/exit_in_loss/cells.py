# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: end the grader's process from inside a call (os._exit, a segmentation fault).
# Defence: only the child ends; that call fails with a clear message, the next one restarts.


# --- cell: svm_loss_naive
import os


def svm_loss_naive(W, X, y, reg):
    os._exit(0)


# --- cell: softmax_loss_naive
import ctypes


def softmax_loss_naive(W, X, y, reg):
    ctypes.string_at(0)
