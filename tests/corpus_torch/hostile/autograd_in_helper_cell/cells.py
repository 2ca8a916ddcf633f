# ruff: noqa
# Attack: put the autograd call in a helper defined in another cell (sample_batch's),
# so that the graded function's own text is clean.
# Defence: a function is judged with the helpers it uses, across cells, transitively.


# --- cell: sample_batch
def sample_batch(X, y, num_train, batch_size):
    idx = torch.randint(num_train, (batch_size,), device=X.device)
    return X[idx], y[idx]


def _slope(f, W):
    Wg = W.detach().clone().requires_grad_(True)
    f(Wg).backward()
    return Wg.grad


def _margin_loss(W, X, y, reg):
    rows = torch.arange(X.shape[0], device=X.device)
    scores = X.mm(W)
    margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
    margins[rows, y] = 0
    return margins.sum() / X.shape[0] + reg * torch.sum(W * W)


def _gradient_of(f, W):
    return _slope(f, W)


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    loss = _margin_loss(W, X, y, reg)
    return loss, _gradient_of(lambda V: _margin_loss(V, X, y, reg), W)
