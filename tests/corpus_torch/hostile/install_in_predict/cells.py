# ruff: noqa
# Attack: predict, which the rule does not cover, installs a tensor method that runs
# autograd when it is called; a loss written to call that method would then use it.
# Defence: the grader calls predict itself, so what predict does can reach every function
# the rule covers.


# --- cell: predict_linear_classifier
def predict_linear_classifier(W, X):
    torch.Tensor.slope_of = lambda self, f: torch.autograd.grad(
        f(self.detach().clone().requires_grad_(True)), [self])[0]
    return torch.argmax(X.mm(W), dim=1)
