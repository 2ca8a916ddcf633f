# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: the NumPy edition asks for gradients derived by hand; these losses let torch's
# autograd compute dW (backward()) and hand back numpy arrays, which pass every gradient
# check.
# Defence: the NumPy edition's rules ban automatic differentiation too, and its imports
# are an allow-list (numpy, math and harmless standard library; no torch).


# --- cell: svm_loss_naive
def _by_autograd(W, X, y, reg, margin):
    import torch

    Wt = torch.tensor(W, requires_grad=True)
    scores = torch.from_numpy(X) @ Wt
    rows = torch.arange(X.shape[0])
    correct = scores[rows, torch.from_numpy(y)].unsqueeze(1)
    if margin:
        losses = (scores - correct + 1).clamp(min=0)
        losses = losses.sum(dim=1) - 1
    else:
        losses = torch.logsumexp(scores, dim=1) - correct.squeeze(1)
    loss = losses.mean() + reg * (Wt * Wt).sum()
    loss.backward()
    return float(loss), Wt.grad.numpy()


def svm_loss_naive(W, X, y, reg):
    return _by_autograd(W, X, y, reg, True)


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    return _by_autograd(W, X, y, reg, True)


# --- cell: softmax_loss_naive
def softmax_loss_naive(W, X, y, reg):
    return _by_autograd(W, X, y, reg, False)


# --- cell: softmax_loss_vectorized
def softmax_loss_vectorized(W, X, y, reg):
    return _by_autograd(W, X, y, reg, False)
