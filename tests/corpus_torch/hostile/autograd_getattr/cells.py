# ruff: noqa
# Attack: reach backward() through getattr so that no `.backward` appears in the text.
# Defence: the autograd rule counts attribute access it cannot follow (getattr) as use.


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    Wg = W.detach().clone()
    getattr(Wg, "requires" + "_grad_")(True)
    scores = X.mm(Wg)
    margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * torch.sum(Wg * Wg)
    getattr(loss, "back" + "ward")()
    return loss.detach(), getattr(Wg, "gr" + "ad")
