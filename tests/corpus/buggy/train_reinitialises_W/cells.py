# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Bug: train draws a fresh random W on every call (the `if self.W is None` is gone), so
# the weights it is given (or trained before) are thrown away.


# --- cell: linear_classifier
class LinearClassifier:
    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100, batch_size=200,
              verbose=False):
        num_train, dim = X.shape
        num_classes = np.max(y) + 1
        dtype = np.result_type(X.dtype, np.float32)
        self.W = 0.001 * np.random.randn(dim, num_classes).astype(dtype)

        loss_history = []
        for it in range(num_iters):
            idx = np.random.choice(num_train, batch_size)
            X_batch = X[idx]
            y_batch = y[idx]
            loss, grad = self.loss(X_batch, y_batch, reg)
            loss_history.append(loss)
            self.W -= learning_rate * grad
            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {loss:f}")

        return loss_history

    def predict(self, X):
        y_pred = np.zeros(X.shape[0])
        y_pred = np.argmax(X.dot(self.W), axis=1)
        return y_pred

    def loss(self, X_batch, y_batch, reg):
        raise NotImplementedError("LinearClassifier is abstract: use LinearSVM or Softmax")
