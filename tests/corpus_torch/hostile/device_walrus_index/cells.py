# ruff: noqa
# Attack: factories inside an index are exempt (scores[torch.arange(N), y]); a walrus
# there binds a tensor made on the default device for use outside the index.
# Defence: only what stays in the index is exempt; a walrus carries the tensor out.


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    scores = X.mm(W)
    margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * torch.sum(W * W)
    y[(coeff := torch.zeros(margins.shape, dtype=X.dtype)).shape[0] - num_train]
    coeff += (margins > 0).to(X.dtype)
    coeff[rows, y] = -coeff.sum(dim=1)
    dW = X.t().mm(coeff) / num_train + 2 * reg * W
    return loss, dW
