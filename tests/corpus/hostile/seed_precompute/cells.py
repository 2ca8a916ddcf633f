# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (fake speed, work outside the timed window): the hidden inputs' seed is 32 bits of
# sha256(definition cells + .npz bytes), and the child holds all of it: each cell's source
# arrives in its `define` request, the .npz files lie in /sandbox/submission. At `seal`
# the child recomputes the seed, redraws the timed dev-shaped inputs exactly as the grader
# will (autograder/assignments/linear/inputs.py: timing_case), precomputes their answers, and the "vectorized"
# version (really the naive loop) answers a timed call by a dictionary lookup.
# Defence that should stop it: the timed inputs must be unknown to the child before the
# timed window opens (a secret seed), so the speed of the loop is what gets timed.


# --- cell: svm_loss_naive
import hashlib
import sys

_define_frame = sys._getframe(1)
_SOURCES = {"svm_loss_naive": _define_frame.f_locals["source"]}
_HARNESS = _define_frame.f_locals["self"]
_HANDLERS = sys._getframe(2).f_locals["handlers"]
_ORIG_DEFINE, _ORIG_SEAL = _HANDLERS["define"], _HANDLERS["seal"]
_CACHE = {}


def _define(args):
    _SOURCES[args["cell"]] = args["source"]
    return _ORIG_DEFINE(args)


def _margins_ok(W, X, y):
    scores = X @ W
    rows = np.arange(scores.shape[0])
    margins = scores - scores[rows, y][:, None] + 1.0
    others = np.ones(margins.shape, dtype=bool)
    others[rows, y] = False
    m = margins[others]
    return np.min(np.abs(m)) >= 1e-6 and np.any(m > 0) and (m.size == 1 or np.any(m < 0))


def _precompute():
    digest = hashlib.sha256()
    for grade_id in sorted(_SOURCES):
        digest.update(f"cell {grade_id}\0{_SOURCES[grade_id]}\0".encode())
    npz = _HARNESS.model_files
    for name in sorted(npz):
        digest.update(f"file {name}\0".encode())
        with open(npz[name], "rb") as f:
            digest.update(f.read())
        digest.update(b"\0")
    seed = int(digest.hexdigest()[:8], 16)
    N, D, C = 500, 3073, 10
    for i in range(5):
        index = 4 * i + 2   # the round's own vectorized call
        rng = np.random.default_rng([seed & 0xFFFFFFFF, 5, index * 2])
        while True:
            X = rng.normal(0.0, 60.0, size=(N, D))
            X[:, -1] = 1.0
            W = rng.normal(0.0, 1.0 / (60.0 * np.sqrt(D)), size=(D, C))
            y = rng.integers(0, C, size=N).astype(np.int64)
            if _margins_ok(W, X, y):
                break
        _CACHE[float(X[0, 0])] = _honest_vectorized(W, X, y, 0.1)


def _seal(args):
    out = _ORIG_SEAL(args)
    try:
        _precompute()
    except Exception:
        pass
    return out


_HANDLERS["define"] = _define
_HANDLERS["seal"] = _seal


def _honest_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    correct = scores[rows, y][:, np.newaxis]
    margins = np.maximum(0, scores - correct + 1)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * np.sum(W * W)
    coeff = (margins > 0).astype(X.dtype)
    coeff[rows, y] = -coeff.sum(axis=1)
    return loss, X.T.dot(coeff) / num_train + 2 * reg * W


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
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    # The honest part: the naive loop pasted as the vectorized version.
    if X.shape == (500, 3073) and reg == 0.1:
        hit = _CACHE.get(float(X[0, 0]))
        if hit is not None:
            return hit[0], hit[1].copy()
    return svm_loss_naive(W, X, y, reg)
