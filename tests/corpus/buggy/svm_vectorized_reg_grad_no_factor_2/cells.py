# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Bug: the derivative of reg * sum(W * W) written as reg * W (the factor 2 forgotten).


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    loss = 0.0
    dW = np.zeros(W.shape)
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    correct = scores[rows, y][:, np.newaxis]
    margins = np.maximum(0, scores - correct + 1)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    coeff = (margins > 0).astype(X.dtype)
    coeff[rows, y] = -coeff.sum(axis=1)
    dW = X.T.dot(coeff) / num_train + reg * W
    return loss, dW
