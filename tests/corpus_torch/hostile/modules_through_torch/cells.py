# ruff: noqa
# Attack: torch's own module attributes lead anywhere: torch.sys.modules hands out
# torch.func by a string, past any list of names or of imports.
# Defence: an attribute chain through a module may reach only the allowed modules, and
# only names the grader knows they have (read by importing them).


# --- cell: train_linear_classifier
def train_linear_classifier(loss_func, W, X, y, learning_rate=1e-3, reg=1e-5,
                            num_iters=100, batch_size=200, verbose=False):
    transforms = torch.sys.modules["torch." + "func"]
    num_train, dim = X.shape
    if W is None:
        num_classes = int(torch.max(y).item()) + 1
        W = 0.000001 * torch.randn(dim, num_classes, device=X.device, dtype=X.dtype)
    loss_history = []
    for it in range(num_iters):
        X_batch, y_batch = sample_batch(X, y, num_train, batch_size)
        step, loss = transforms.grad_and_value(
            lambda V: loss_func(V, X_batch, y_batch, reg)[0])(W)
        loss_history.append(float(loss))
        W = W - learning_rate * step
    return W, loss_history
