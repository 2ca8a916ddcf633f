# ruff: noqa
# Attack: write the autograd call as a string and exec it.
# Defence: exec is attribute access the reader cannot follow: the rule counts it.


# --- cell: softmax_loss_naive
def softmax_loss_naive(W, X, y, reg):
    scope = {"W": W, "X": X, "y": y, "reg": reg, "torch": torch}
    exec(bytes.fromhex("").decode() + """
Wg = W.detach().clone().requires_grad_(True)
rows = torch.arange(X.shape[0], device=X.device)
loss = -torch.log_softmax(X.mm(Wg), dim=1)[rows, y].mean() + reg * torch.sum(Wg * Wg)
loss.backward()
dW = Wg.grad
""", scope)
    return scope["loss"].detach(), scope["dW"]
