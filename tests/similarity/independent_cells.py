# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# A correct solution of the five definitions written apart from the source notebooks'
# (other loops, other numpy calls, other names): what an honest student who never saw the
# reference hands in. tests/test_similarity.py checks that it computes what the reference does.

# --- cell: svm_loss_naive
def svm_loss_naive(W, X, y, reg):
    """Multiclass SVM loss with loops: (loss, dW), dW of shape (D, C)."""
    n_samples = X.shape[0]
    n_classes = W.shape[1]
    total = 0.0
    grad = np.zeros_like(W)
    for k in range(n_samples):
        row = X[k]
        label = y[k]
        s = W.T @ row                     # (C,)
        hits = 0
        for cls in range(n_classes):
            if cls != label:
                hinge = 1.0 + s[cls] - s[label]
                if hinge > 0.0:
                    total = total + hinge
                    grad[:, cls] = grad[:, cls] + row
                    hits = hits + 1
        grad[:, label] = grad[:, label] - hits * row
    loss = total / n_samples + reg * (W ** 2).sum()
    dW = grad / n_samples + reg * 2.0 * W
    return loss, dW
# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    """Multiclass SVM loss without loops: (loss, dW)."""
    n = len(y)
    s = X @ W                                            # (N, C)
    true_score = np.take_along_axis(s, y.reshape(-1, 1), axis=1)   # (N, 1)
    m = np.clip(s - true_score + 1.0, 0.0, None)
    one_hot = np.eye(W.shape[1])[y]                      # (N, C)
    m = m * (1 - one_hot)
    active = np.where(m > 0, 1.0, 0.0)
    weights = active - one_hot * active.sum(axis=1, keepdims=True)
    loss = np.sum(m) / n + reg * np.vdot(W, W)
    dW = (X.T @ weights) / n + 2.0 * reg * W
    return loss, dW
# --- cell: linear_classifier
class LinearClassifier:
    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200,
              verbose=False):
        """Stochastic gradient descent; returns the loss at each step."""
        n, d = X.shape
        c = int(y.max()) + 1
        if self.W is None:
            self.W = np.random.standard_normal((d, c)).astype(np.result_type(X.dtype, np.float32)) * 1e-3
        history = []
        step = 0
        while step < num_iters:
            pick = np.random.randint(0, n, size=batch_size)
            value, g = self.loss(X[pick], y[pick], reg)
            self.W = self.W - learning_rate * g
            history += [value]
            if verbose and step % 100 == 0:
                print("step", step, "of", num_iters, "loss", value)
            step += 1
        return history

    def predict(self, X):
        """Labels (N,) of the rows of X (N, D): the highest-scoring class."""
        scores = X @ self.W
        return scores.argmax(1)

    def loss(self, X_batch, y_batch, reg):
        raise NotImplementedError("use a subclass")
# --- cell: softmax_loss_naive
def softmax_loss_naive(W, X, y, reg):
    """Softmax loss with loops: (loss, dW)."""
    count = X.shape[0]
    grad = np.zeros(W.shape)
    total = 0.0
    for k in range(count):
        logits = np.dot(X[k], W)
        logits -= logits.max()
        e = np.exp(logits)
        p = e / e.sum()
        total += np.log(e.sum()) - logits[y[k]]
        p[y[k]] -= 1.0
        grad += np.outer(X[k], p)
    loss = total / count + reg * (W ** 2).sum()
    dW = grad / count + reg * 2.0 * W
    return loss, dW
# --- cell: softmax_loss_vectorized
def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss without loops: (loss, dW)."""
    count = len(y)
    z = X @ W
    z = z - np.amax(z, axis=1)[:, None]
    p = np.exp(z)
    p /= p.sum(axis=1)[:, None]
    target = np.eye(W.shape[1])[y]
    loss = -np.sum(target * np.log(p)) / count + reg * np.vdot(W, W)
    dW = X.T @ (p - target) / count + 2.0 * reg * W
    return loss, dW
