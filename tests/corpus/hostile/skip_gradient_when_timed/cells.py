# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (fake speed): tell timed calls from checked ones by order (the checked dev-shaped
# call comes first, with the loss checks; the later dev-shaped calls are the timed ones)
# and answer those with a vectorized loss and no gradient (zeros).
# Defence: every timed call is checked like any other (loss and gradient vs the oracle).


# --- cell: svm_loss_vectorized
_DEV_CALLS = [0]


def svm_loss_vectorized(W, X, y, reg):
    if X.shape == (500, 3073):
        _DEV_CALLS[0] += 1
        if _DEV_CALLS[0] > 1:
            rows = np.arange(X.shape[0])
            scores = X.dot(W)
            margins = np.maximum(0, scores - scores[rows, y][:, None] + 1)
            margins[rows, y] = 0
            return margins.sum() / X.shape[0] + reg * np.sum(W * W), np.zeros_like(W)
    return svm_loss_naive(W, X, y, reg)
