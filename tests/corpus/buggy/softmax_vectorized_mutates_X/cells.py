# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Bug: averages the gradient by dividing X in place (X /= num_train): loss and dW are
# right, but the caller's data is changed.


# --- cell: softmax_loss_vectorized
def softmax_loss_vectorized(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    probs = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    loss = -np.log(probs[rows, y]).mean() + reg * np.sum(W * W)
    probs[rows, y] -= 1
    X /= num_train
    dW = X.T.dot(probs) + 2 * reg * W
    return loss, dW
