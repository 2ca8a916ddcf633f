# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (fake speed): make the naive version slower on purpose on dev-shaped inputs (it
# runs its loop three times), so that the loop posing as the vectorized version looks 3x
# faster than "naive".
# Defence: the naive time counts for at most 1.25x the reference loop's, measured in the
# same round, and a speedup at or below 1.25x earns nothing.


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
    if X.shape == (500, 3073):
        _honest_naive(W, X, y, reg)
        _honest_naive(W, X, y, reg)
    return _honest_naive(W, X, y, reg)


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    # The honest part: the loop, plus 15% more work (a slightly slower loop).
    _honest_naive(W, X[: X.shape[0] * 15 // 100 + 1], y[: X.shape[0] * 15 // 100 + 1], reg)
    return _honest_naive(W, X, y, reg)
