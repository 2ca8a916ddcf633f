# ruff: noqa
# Attack: torch.empty_permuted (and the other factories missing from the list) makes a
# tensor on the default device without device=, and is not in the rule's factories.
# Defence: the factories are also read from torch itself: every function whose
# documentation gives it a device parameter (but the *_like ones, which follow their input).


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    scores = X.mm(W)
    margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * torch.sum(W * W)
    coeff = torch.empty_permuted(margins.shape, (0, 1), dtype=X.dtype).zero_()
    coeff += (margins > 0).to(X.dtype)
    coeff[rows, y] = -coeff.sum(dim=1)
    dW = X.t().mm(coeff) / num_train + 2 * reg * W
    return loss, dW
