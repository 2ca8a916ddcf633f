# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (resources): fill the 64 MiB scratch tmpfs (files up to the 16 MiB file limit)
# and the inode table at definition time, then work normally, hoping the harness, the
# next child or another session needs that space. Defence: the scratch is a per-child
# tmpfs inside its own mount namespace; the harness needs no disk.


# --- cell: svm_loss_naive
import os


def _fill():
    block = b"\0" * (1 << 20)
    for i in range(100):
        try:
            with open(f"/sandbox/work/fill{i}", "wb") as f:
                for _ in range(16):
                    f.write(block)
        except OSError:
            break
    for i in range(20000):
        try:
            open(f"/sandbox/work/i{i}", "wb").close()
        except OSError:
            break


_fill()

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
    return _honest_naive(W, X, y, reg)
