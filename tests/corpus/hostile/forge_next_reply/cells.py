# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (protocol): patch the write_all the child's serve loop calls (found on the stack)
# so that after each real reply it writes a well-formed forged reply for the next request
# id (ids count up from 1), loss 1.0 and a zero gradient, hoping the parent takes it as
# the answer of its next call. Defence: before each call the parent looks for bytes
# waiting in the reply pipe and replaces the child (definitions re-run); every answer then
# comes from a fresh child. The code is the reference, so nothing is lost (70).


# --- cell: svm_loss_naive
import json
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


def _write_all(fd, parts):
    _ORIG_WRITE_ALL(fd, parts)
    try:
        request_id = json.loads(bytes(parts[1]))["v"]["id"]
        forged = _LOOP["encode"]({"id": request_id + 1, "ok": True, "error": None,
                               "value": {"loss": 1.0, "dW": np.zeros((5, 10))}})
        _ORIG_WRITE_ALL(fd, forged)
    except Exception:
        pass


_LOOP["write_all"] = _write_all

def _honest_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    loss = 0.0
    num_classes = W.shape[1]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_loss_naive(W, X, y, reg):
    return _honest_naive(W, X, y, reg)
