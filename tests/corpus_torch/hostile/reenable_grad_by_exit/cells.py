# ruff: noqa
# Attack: turn autograd back on under the grader's no_grad without naming enable_grad
# (a no_grad object's __exit__ restores whatever its `prev` says), and reach backward and
# .grad through getattr bound to another name.
# Defence: dunder attributes are private names, and getattr counts wherever it appears.


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    look = getattr
    switch = torch.no_grad()
    switch.prev = True
    switch.__exit__(None, None, None)
    V = W.detach().clone()
    look(V, "requires_" + "grad_")(True)
    rows = torch.arange(X.shape[0], device=X.device)
    scores = X.mm(V)
    margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
    margins[rows, y] = 0
    loss = margins.sum() / X.shape[0] + reg * torch.sum(V * V)
    look(loss, "back" + "ward")()
    return loss.detach(), look(V, "gr" + "ad")
