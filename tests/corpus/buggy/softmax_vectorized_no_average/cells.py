# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Bug: the vectorized softmax sums the loss and the gradient over the minibatch instead of
# averaging them (the naive version is right). Training then takes steps N times too big.


# --- cell: softmax_loss_vectorized
def softmax_loss_vectorized(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].sum() + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    dW = X.T.dot(dscores) + 2 * reg * W
    return loss, dW
