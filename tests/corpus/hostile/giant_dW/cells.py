# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (protocol, size): a right loss with a 60 MiB "gradient" on every call, close to
# the reply cap, to exhaust the parent's memory or time. Defence: replies are capped at
# 64 MiB and read into one buffer; the shape check fails the gradient only.


# --- cell: svm_loss_naive
def _honest_naive(W, X, y, reg):
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
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_loss_naive(W, X, y, reg):
    loss, _ = _honest_naive(W, X, y, reg)
    return loss, np.zeros(60 * 2**20 // 8)
