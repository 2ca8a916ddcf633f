# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (or forgotten debug prints): print 100 MB through print() and straight to fd 1.
# Defence: the parent keeps only the tail of the child's output; the call itself succeeds.


# --- cell: svm_loss_vectorized
import os


def svm_loss_vectorized(W, X, y, reg):
    line = "spam " * 200_000
    for _ in range(50):
        print(line)
    for _ in range(50):
        os.write(1, line.encode())
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    margins = np.maximum(0, scores - scores[rows, y][:, np.newaxis] + 1)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    coeff = (margins > 0).astype(X.dtype)
    coeff[rows, y] = -coeff.sum(axis=1)
    return loss, X.T.dot(coeff) / num_train + 2 * reg * W
