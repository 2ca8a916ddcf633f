# ruff: noqa
# Attack: svm_loss_naive (blocked anyway, it is one loop) installs an autograd helper on
# torch.Tensor; softmax_loss_vectorized, whose own text names no autograd, calls it.
# Defence: a function stored on an attribute escapes its definition: what it breaks
# counts against every covered function.


# --- cell: svm_loss_naive
def _slope(self, f):
    Wg = self.detach().clone().requires_grad_(True)
    f(Wg).backward()
    return Wg.grad


def svm_loss_naive(W, X, y, reg):
    torch.Tensor.slope_of = _slope
    return svm_loss_vectorized(W, X, y, reg)


# --- cell: softmax_loss_vectorized
def softmax_loss_vectorized(W, X, y, reg):
    rows = torch.arange(X.shape[0], device=X.device)

    def f(V):
        return -torch.log_softmax(X.mm(V), dim=1)[rows, y].mean() + reg * torch.sum(V * V)

    return f(W), W.slope_of(f)
