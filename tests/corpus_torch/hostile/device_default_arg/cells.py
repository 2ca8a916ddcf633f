# ruff: noqa
# Attack: a parameter counts as an input, so a default argument can hold a fixed device:
# device=where makes dW on the CPU whatever the inputs' device.
# Defence: only a parameter the caller must pass is an input; one with a default is not.


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg, where="cpu"):
    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    scores = X.mm(W)
    margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * torch.sum(W * W)
    coeff = torch.zeros(margins.shape, dtype=X.dtype, device=where)
    coeff += (margins > 0).to(X.dtype)
    coeff[rows, y] = -coeff.sum(dim=1)
    dW = X.t().mm(coeff) / num_train + 2 * reg * W
    return loss, dW
