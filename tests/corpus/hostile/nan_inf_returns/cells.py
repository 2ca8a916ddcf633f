# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (return values): NaN loss and an all-inf gradient, returned at once (no loop), so
# the "naive" timing is nothing. Defence: NaN/inf are compared like any number (they fail),
# and the naive version's time only enters the speedup, where a tiny naive time hurts.


# --- cell: svm_loss_naive
def svm_loss_naive(W, X, y, reg):
    return float("nan"), np.full(W.shape, np.inf)
