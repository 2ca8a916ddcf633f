# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (return values): right numbers inside objects that lie or raise when inspected: a
# float subclass whose ==, bool and hash raise, a tuple subclass whose iteration raises, an
# ndarray subclass whose __array__, tolist, ==, len and copy raise, to crash or fool
# whoever inspects them. Defence: the harness reduces them to a plain float and the bytes
# of a base-class view in the child; the parent never sees a student object. The numbers
# are right, so nothing is lost (the honest twin returns them plainly: 70).


# --- cell: svm_loss_naive
class _LyingFloat(float):
    def __eq__(self, other):
        raise RuntimeError("__eq__")

    def __bool__(self):
        raise RuntimeError("__bool__")

    def __hash__(self):
        raise RuntimeError("__hash__")


class _LyingTuple(tuple):
    def __iter__(self):
        raise RuntimeError("__iter__")


class _LyingArray(np.ndarray):
    def __array__(self, *args, **kwargs):
        raise RuntimeError("__array__")

    def tolist(self):
        raise RuntimeError("tolist")

    def __eq__(self, other):
        raise RuntimeError("__eq__")

    def __len__(self):
        raise RuntimeError("__len__")

    def copy(self, *args, **kwargs):
        raise RuntimeError("copy")


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
    loss, dW = _honest_naive(W, X, y, reg)
    return _LyingTuple((_LyingFloat(loss), dW.view(_LyingArray)))
