# ruff: noqa
# Attack: torch.func's transforms under their private module name (torch._functorch),
# which no list of autograd names mentions; they also ignore an outer no_grad.
# Defence: the functions may import only what the computation needs (the rule's
# `imports`), and no private name (`private`).


# --- cell: softmax_loss_vectorized
def softmax_loss_vectorized(W, X, y, reg):
    from torch._functorch.apis import grad_and_value
    rows = torch.arange(X.shape[0], device=X.device)

    def objective(V):
        log_probs = torch.log_softmax(X.mm(V), dim=1)
        return -log_probs[rows, y].mean() + reg * torch.sum(V * V)

    dW, loss = grad_and_value(objective)(W)
    return loss, dW
