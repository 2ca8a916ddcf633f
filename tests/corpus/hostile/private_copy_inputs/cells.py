# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (fake "does not modify its inputs", patch the harness): Harness.shared_array (the
# harness's view of the shared input memory, looked up on the class at every call; the
# class found through the harness object on the stack) is patched to hand the loss
# function private copies, so the in-place X /= N lands in a copy and the parent's memory
# never changes.
# Defence that should stop it: comparing the shared memory (but the child decides what
# memory the function gets; this cannot be told from a function that copies its inputs).


# --- cell: softmax_loss_vectorized
import sys


def _harness_class():
    # The harness object running this cell (the `self` of its define), whatever module
    # it comes from. No such frame: the cell fails, so the score shows the attack missed.
    frame = sys._getframe(1)
    while frame is not None and not hasattr(frame.f_locals.get("self"), "shared_array"):
        frame = frame.f_back
    if frame is None:
        raise RuntimeError("no harness on the stack")
    return type(frame.f_locals["self"])


_HARNESS_CLASS = _harness_class()
_ORIG_SHARED_ARRAY = _HARNESS_CLASS.shared_array
_HARNESS_CLASS.shared_array = lambda self, *a: _ORIG_SHARED_ARRAY(self, *a).copy()

def _mutating_softmax(W, X, y, reg):
    # The honest part: the reference, with the bug of buggy/softmax_vectorized_mutates_X.
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean() + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    X /= num_train
    dW = X.T.dot(dscores) + 2 * reg * W
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    return _mutating_softmax(W, X, y, reg)
