# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Bug: np.exp of the raw scores, without subtracting the row's maximum first: right for
# small scores, nan/inf once scores reach a few hundred.


# --- cell: softmax_loss_naive
def softmax_loss_naive(W, X, y, reg):
    loss = 0.0
    dW = np.zeros_like(W)
    num_train = X.shape[0]
    num_classes = W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        exp_scores = np.exp(scores)
        probs = exp_scores / np.sum(exp_scores)
        loss -= np.log(probs[y[i]])
        for j in range(num_classes):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    loss = loss / num_train + reg * np.sum(W * W)
    dW = dW / num_train + 2 * reg * W
    return loss, dW
