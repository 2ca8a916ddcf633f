# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: exhaust the grader's memory, at once (50 GB) or step by step. Defence:
# RLIMIT_AS: the allocation fails with MemoryError inside the child.


# --- cell: svm_loss_naive
def svm_loss_naive(W, X, y, reg):
    blob = np.ones(50 * 2**30 // 8)
    return float(blob.sum()), W


# --- cell: softmax_loss_naive
def softmax_loss_naive(W, X, y, reg):
    hoard = []
    while True:
        hoard.append(np.empty(64 * 2**20 // 8))
