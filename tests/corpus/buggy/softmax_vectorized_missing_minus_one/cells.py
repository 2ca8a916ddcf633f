# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Bug: dW = X.T @ probabilities / N, without subtracting 1 for the correct class.


# --- cell: softmax_loss_vectorized
def softmax_loss_vectorized(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean() + reg * np.sum(W * W)
    probs = np.exp(log_probs)
    dW = X.T.dot(probs) / num_train + 2 * reg * W
    return loss, dW
