# ruff: noqa
# Attack: any `.device` attribute passes as an input's device, so a class whose body says
# device = "cpu" supplies a fixed device: device=Here.device.
# Defence: only an input's own `.device` (the chain starting at a parameter) counts.


# --- cell: svm_loss_vectorized
class Here:
    device = "cpu"


def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    scores = X.mm(W)
    margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * torch.sum(W * W)
    coeff = torch.zeros(margins.shape, dtype=X.dtype, device=Here.device)
    coeff += (margins > 0).to(X.dtype)
    coeff[rows, y] = -coeff.sum(dim=1)
    dW = X.t().mm(coeff) / num_train + 2 * reg * W
    return loss, dW
