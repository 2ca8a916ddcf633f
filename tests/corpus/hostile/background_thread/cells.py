# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: leave a thread running that later corrupts the arrays of another call (or does
# work the timing does not see). Defence: no thread can start (RLIMIT_NPROC=1). Arrays kept
# from an earlier call lie in the shared memory of the next call's inputs: writing into
# them is modifying the current inputs, which the grader sees, and spoils only this
# submission's own answers.


# --- cell: svm_loss_naive
import threading

_kept = []


def _mutate():
    while True:
        for array in _kept:
            array[...] = 0


def svm_loss_naive(W, X, y, reg):
    _kept.extend([W, X])
    threading.Thread(target=_mutate, daemon=True).start()
    return 0.0, W


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    for array in _kept_elsewhere:
        array[...] = 0
    _kept_elsewhere.extend([W, X])
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    margins = np.maximum(0, scores - scores[rows, y][:, np.newaxis] + 1)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    coeff = (margins > 0).astype(X.dtype)
    coeff[rows, y] = -coeff.sum(axis=1)
    return loss, X.T.dot(coeff) / num_train + 2 * reg * W


_kept_elsewhere = []
