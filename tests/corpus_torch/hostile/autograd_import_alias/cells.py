# ruff: noqa
# Attack: import the autograd module under another name inside the function.
# Defence: the rule's modules are matched on the import, whatever it is bound to.


# --- cell: softmax_loss_vectorized
def softmax_loss_vectorized(W, X, y, reg):
    from torch import autograd as tape
    import torch.func as F
    rows = torch.arange(X.shape[0], device=X.device)

    def f(V):
        return -torch.log_softmax(X.mm(V), dim=1)[rows, y].mean() + reg * torch.sum(V * V)

    Wg = W.detach().clone()
    Wg.requires_grad = True
    loss = f(Wg)
    (dW,) = tape.grad(loss, [Wg])
    return loss.detach(), dW
