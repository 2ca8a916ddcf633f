# ruff: noqa
# Attack: a no_grad object restores, on exit, the mode its `prev` says: set inside its own
# with, it turns autograd back on; a hook on a layer's weight then receives the gradient.
# Defence: `prev` and `register_hook` are autograd's names like `backward`.


# --- cell: softmax_loss_vectorized
def softmax_loss_vectorized(W, X, y, reg):
    switch = torch.no_grad()
    with switch:
        switch.prev = True
    layer = torch.nn.Linear(W.shape[0], W.shape[1], bias=False).to(W.dtype)
    layer.weight.data = W.t().clone()
    caught = []
    layer.weight.register_hook(caught.append)
    rows = torch.arange(X.shape[0], device=X.device)
    V = layer.weight.t()
    loss = -torch.log_softmax(X.mm(V), dim=1)[rows, y].mean() + reg * torch.sum(V * V)
    loss.sum().backward()
    return loss.detach(), caught[0].t()
