# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: write straight into the grader's reply pipe (the harness shares the process; its
# descriptor numbers are in sys.argv): an absurd length prefix, a header that is not JSON,
# a header announcing a terabyte array. Defence: the parent validates every byte it reads,
# with size caps, and replaces the child.


# --- cell: svm_loss_naive
import os
import sys


def svm_loss_naive(W, X, y, reg):
    os.write(int(sys.argv[2]), b"\xff\xff\xff\xff" + b"garbage" * 100)
    return 0.0, W


# --- cell: softmax_loss_naive
import os
import sys


def softmax_loss_naive(W, X, y, reg):
    header = b"{not json"
    os.write(int(sys.argv[2]), len(header).to_bytes(4, "big") + header)
    return 0.0, W


# --- cell: svm_loss_vectorized
import json
import os
import sys


def svm_loss_vectorized(W, X, y, reg):
    header = json.dumps({"v": {"__ndarray__": 0}, "a": [["<f8", [10**6, 10**6]]]}).encode()
    os.write(int(sys.argv[2]), len(header).to_bytes(4, "big") + header)
    return 0.0, W
