# ruff: noqa
# Attack: at a cell's top level, give every tensor a method that computes the gradient
# with autograd, then call it as if it were torch's own.
# Defence: what a definition cell does at its top level counts against every function
# the rule covers.


# --- cell: predict_linear_classifier
def _hand_made(self, f):
    Wg = self.detach().clone().requires_grad_(True)
    f(Wg).backward()
    return Wg.grad


torch.Tensor.slope_of = _hand_made


def predict_linear_classifier(W, X):
    return torch.argmax(X.mm(W), dim=1)


# --- cell: softmax_loss_vectorized
def softmax_loss_vectorized(W, X, y, reg):
    def f(V):
        rows = torch.arange(X.shape[0], device=X.device)
        log_probs = torch.log_softmax(X.mm(V), dim=1)
        return -log_probs[rows, y].mean() + reg * torch.sum(V * V)
    return f(W), W.slope_of(f)
