# ruff: noqa
# Attack: the helper is a lambda bound by an assignment at another cell's top level: not a
# definition, so never followed; the device rule does not read other cells' top level.
# Defence: what a cell binds to a name at its top level is followed like a definition,
# when a function reads that name without binding it itself.


# --- cell: sample_batch
blank_like_shape = lambda shape: torch.zeros(shape)

def sample_batch(X, y, num_train, batch_size):
    idx = torch.randint(num_train, (batch_size,), device=X.device)
    return X[idx], y[idx]


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    scores = X.mm(W)
    margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * torch.sum(W * W)
    coeff = blank_like_shape(margins.shape).type(X.dtype)
    coeff += (margins > 0).type(X.dtype)
    coeff[rows, y] = -coeff.sum(dim=1)
    dW = X.t().mm(coeff) / num_train + 2 * reg * W
    return loss, dW
