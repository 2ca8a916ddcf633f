# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (fake "does not modify its inputs"): the function writes into X (the bug); the
# write_all the child's serve loop calls (found on the stack) is patched to send the reply
# but its last byte, put X back from a copy taken on entry, then send the last byte.
# The parent compares the shared memory only once the whole reply is in, so it finds X as
# it sent it.
# Defence that should stop it: the grader's comparison of the shared input memory after the
# reply (it cannot tell this from a function that restores its inputs before returning).


# --- cell: softmax_loss_vectorized
import sys


def _serving_module():
    # The module of the loop that is running this cell (the child's serve loop): its
    # globals hold the reply writer and request reader that the loop calls by name.
    # No such frame: the cell fails, so the entry's score shows the attack found nothing.
    frame = sys._getframe(1)
    while frame is not None and not ("write_all" in frame.f_globals
                                     and "read_request" in frame.f_globals):
        frame = frame.f_back
    if frame is None:
        raise RuntimeError("no serve loop on the stack")
    return frame.f_globals


_LOOP = _serving_module()
_ORIG_WRITE_ALL = _LOOP["write_all"]
_PENDING = []


def _write_all(fd, parts):
    blob = b"".join(bytes(memoryview(p).cast("B")) for p in parts)
    _ORIG_WRITE_ALL(fd, [blob[:-1]])
    while _PENDING:
        view, saved = _PENDING.pop()
        view[...] = saved
    _ORIG_WRITE_ALL(fd, [blob[-1:]])


_LOOP["write_all"] = _write_all

def _mutating_softmax(W, X, y, reg):
    # The honest part: the reference, then a write into the caller's X (the bug).
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean() + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    dW = X.T.dot(dscores) / num_train + 2 * reg * W
    X[0, 0] += 1.0
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    # Keep only what is needed to put X back (one element: no time cost worth noticing).
    _PENDING.append((X[:1, :1], X[:1, :1].copy()))
    return _mutating_softmax(W, X, y, reg)
