# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Builds the (N, D, D) tensor of per-example outer products X[i] X[i]^T "to vectorize":
# fine for tiny inputs, 37 GB on the dev set (N=500, D=3073), so it runs out of memory.


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    rows = np.arange(num_train)
    outer = X[:, :, np.newaxis] * X[:, np.newaxis, :]
    scores = X.dot(W)
    correct = scores[rows, y][:, np.newaxis]
    margins = np.maximum(0, scores - correct + 1)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    coeff = (margins > 0).astype(X.dtype)
    coeff[rows, y] = -coeff.sum(axis=1)
    dW = X.T.dot(coeff) / num_train + 2 * reg * W
    return loss, dW
