# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Bug: the loss and the gradient are sums over the examples, never divided by N.


# --- cell: svm_loss_naive
def svm_loss_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    loss = 0.0
    num_classes = W.shape[1]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW
