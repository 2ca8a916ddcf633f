# ruff: noqa
# Attack: a helper that runs backward, defined in the graded cell but never named by the
# graded function, which fetches it by a string from its own __globals__.
# Defence: `__globals__` is a private name: the graded function is blocked.


# --- cell: softmax_loss_naive
def _by_hand(objective, W):
    with torch.enable_grad():
        V = W.detach().clone().requires_grad_(True)
        loss = objective(V)
        loss.backward()
    return loss.detach(), V.grad


def softmax_loss_naive(W, X, y, reg):
    rows = torch.arange(X.shape[0], device=X.device)

    def objective(V):
        return -torch.log_softmax(X.mm(V), dim=1)[rows, y].mean() + reg * torch.sum(V * V)

    helper = softmax_loss_naive.__globals__["_by" + "_hand"]
    return helper(objective, W)
