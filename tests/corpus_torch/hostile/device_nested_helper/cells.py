# ruff: noqa
# Attack: the helper is defined inside an `if True:` block of another cell: the rules
# follow helpers only among top-level definitions, and the device rule does not read other
# cells' top level, so the helper's torch.zeros without device= is never seen.
# Defence: a cell's definitions inside if/try/with/for blocks are helpers like any other.


# --- cell: sample_batch
if True:
    def blank_like_shape(shape):
        return torch.zeros(shape, dtype=torch.float64)

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
