# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: return objects that run code when the grader inspects them: a numpy subclass, an
# object array, an array view with an astronomical shape, a "number" whose __float__ tries
# to kill the grader. Defence: conversion happens in the child; the parent receives plain
# bytes and JSON, so it never calls student code.


# --- cell: svm_loss_naive
class Sneaky(np.ndarray):
    def __array_finalize__(self, obj):
        if obj is not None:
            raise RuntimeError("Sneaky.__array_finalize__ ran")

    def __reduce__(self):
        raise RuntimeError("Sneaky.__reduce__ ran")

    def __getitem__(self, key):
        raise RuntimeError("Sneaky.__getitem__ ran")


def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    sneaky = np.ndarray.__new__(Sneaky, dW.shape, buffer=dW, dtype=dW.dtype)
    return 1.5, sneaky


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    dW = np.empty(W.shape, dtype=object)
    dW[...] = None
    return 1.5, dW


# --- cell: softmax_loss_naive
def softmax_loss_naive(W, X, y, reg):
    return 1.5, np.broadcast_to(np.float64(0.0), (10**7, 10**7))


# --- cell: softmax_loss_vectorized
import os
import signal


class LazyLoss:
    def __float__(self):
        try:
            os.kill(os.getppid(), signal.SIGKILL)
        except OSError:
            pass
        return 2.5


def softmax_loss_vectorized(W, X, y, reg):
    return LazyLoss(), np.zeros_like(W)
