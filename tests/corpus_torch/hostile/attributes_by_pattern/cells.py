# ruff: noqa
# Attack: a `match` class pattern reads attributes by names that are plain strings in the
# syntax tree (`case object(backward=go)`), and a subclass of torch.no_grad binds
# `prev = True` in its class body, so that leaving it turns autograd back on.
# Defence: class-pattern keywords, keyword arguments and class-body names are judged as
# the attribute names they are.


# --- cell: svm_loss_naive
def svm_loss_naive(W, X, y, reg):
    class Back(torch.no_grad):
        prev = True

    with Back():
        pass
    V = W.detach().clone()
    match V:
        case object(requires_grad_=mark):
            mark()
    rows = torch.arange(X.shape[0], device=X.device)
    scores = X.mm(V)
    margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
    margins[rows, y] = 0
    loss = margins.sum() / X.shape[0] + reg * torch.sum(V * V)
    match loss:
        case object(backward=go):
            go()
    match V:
        case object(grad=dW):
            return loss.detach(), dW
