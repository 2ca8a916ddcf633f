# ruff: noqa
# Attack: a positional class pattern reads the attribute its class's __match_args__ names,
# a string; the class is made by calling type() with a dict (no dunder in the syntax), and
# a metaclass's __instancecheck__ (also a dict key) lets it match any object: a getattr.
# Defence: a positional class pattern reads attributes as a keyword one does, and type()
# makes classes out of strings: both count as access the grader cannot follow.


# --- cell: svm_loss_vectorized
def fetch(obj, name):
    Every = type("Every", (type,), {"__instancecheck__": lambda cls, obj: True})
    Probe = Every("Probe", (), {"__match_args__": (name,)})
    match obj:
        case Probe(found):
            return found


def svm_loss_vectorized(W, X, y, reg):
    switch = fetch(fetch(torch.nn.functional, "torch"), "enable_" + "grad")
    with switch():
        V = W.detach().clone()
        mark = fetch(V, "requires_" + "grad_")
        mark(True)
        rows = torch.arange(X.shape[0], device=X.device)
        scores = X.mm(V)
        margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
        margins[rows, y] = 0
        loss = margins.sum() / X.shape[0] + reg * torch.sum(V * V)
        go = fetch(loss, "back" + "ward")
        go()
    return loss.detach(), fetch(V, "gr" + "ad")
