# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (resources): on every call, open /dev/null until EMFILE and keep them all, so
# the harness cannot open, dup or mmap anything afterwards.
# Defence: the harness maps the shared memory before the first call and needs no new
# descriptor to read requests or send replies.


# --- cell: svm_loss_naive
_KEEP = []

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
    while True:
        try:
            _KEEP.append(open("/dev/null", "rb"))
        except OSError:
            break
    return _honest_naive(W, X, y, reg)
