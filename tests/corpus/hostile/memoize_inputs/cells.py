# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (fake speed): memoize every answer by a hash of (W, X, y, reg), in case a timed
# call repeats an input already computed (a checked case, an earlier round).
# Defence: every timed call gets a fresh input; nothing repeats, so the loop is timed.


# --- cell: svm_loss_vectorized
import hashlib

_MEMO = {}


def svm_loss_vectorized(W, X, y, reg):
    key = hashlib.sha1(W.tobytes() + X.tobytes() + y.tobytes() + repr(reg).encode()).hexdigest()
    if key not in _MEMO:
        _MEMO[key] = svm_loss_naive(W, X, y, reg)
    loss, dW = _MEMO[key]
    return loss, dW.copy()
