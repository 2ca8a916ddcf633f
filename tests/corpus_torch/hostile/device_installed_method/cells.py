# ruff: noqa
# Attack: the device rule is not ambient and follows helpers by name only: a method
# installed on torch.Tensor at another cell's top level makes a CPU tensor, and the loss
# calls it as W.blank(...), an attribute, which the rule never follows.
# Defence: a value stored on an attribute (a method installed on torch.Tensor) can reach
# every function: its factories count against each loss.


# --- cell: predict_linear_classifier
torch.Tensor.blank = lambda self, *shape: torch.zeros(*shape, dtype=self.dtype)


def predict_linear_classifier(W, X):
    return torch.argmax(X.mm(W), dim=1)


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    scores = X.mm(W)
    margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
    margins[rows, y] = 0
    loss = margins.sum() / num_train + reg * torch.sum(W * W)
    coeff = W.blank(*margins.shape)
    coeff += (margins > 0).to(X.dtype)
    coeff[rows, y] = -coeff.sum(dim=1)
    dW = X.t().mm(coeff) / num_train + 2 * reg * W
    return loss, dW
