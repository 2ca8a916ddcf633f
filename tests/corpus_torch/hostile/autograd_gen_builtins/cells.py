# ruff: noqa
# Attack: an unstarted generator's frame (gi_frame) holds the builtins dict (f_builtins):
# getattr and __import__ come out of it by string subscripts, so no dynamic or private
# name appears in the text; then enable grad mode and call backward by strings.
# Defence: attribute names that start with f_, gi_, cr_, ag_, tb_ or co_ (the interpreter's
# frames, code objects and tracebacks) count as reaching autograd.


# --- cell: svm_loss_vectorized
def svm_loss_vectorized(W, X, y, reg):
    def g():
        yield
    b = g().gi_frame.f_builtins
    ga = b["get" + "attr"]
    imp = b["__imp" + "ort__"]
    t = imp("tor" + "ch")
    num_train = X.shape[0]
    rows = torch.arange(num_train, device=X.device)
    enable = ga(t, "enable" + "_gr" + "ad")
    mode = enable()
    with mode:
        Wg = W.detach().clone()
        make = ga(Wg, "requires" + "_gr" + "ad_")
        make(True)
        scores = X.mm(Wg)
        margins = (scores - scores[rows, y].unsqueeze(1) + 1).clamp(min=0)
        margins[rows, y] = 0
        loss = margins.sum() / num_train + reg * torch.sum(Wg * Wg)
        go = ga(loss, "back" + "ward")
        go()
    return loss.detach(), ga(Wg, "gr" + "ad")
