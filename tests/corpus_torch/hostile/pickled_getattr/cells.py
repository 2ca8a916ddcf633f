# ruff: noqa
# Attack: torch.load (an allowed torch function) with weights_only=False unpickles a
# bytes literal that is builtins.getattr; a home-made file-like class feeds it. The
# getattr so obtained is a local name, and the autograd names are strings.
# Defence: rebuilding objects from bytes (torch.load, np.load, pickle's loads) names any
# function as a string: the rule counts `load`/`loads` as access the grader cannot follow.


# --- cell: softmax_loss_vectorized
PAYLOAD = "80028a0a6cfc9c46f9206aa850192e80024de9032e80027d710028581000000070726f746f636f6c5f76657273696f6e71014de903580d0000006c6974746c655f656e6469616e710288580a000000747970655f73697a657371037d710428580500000073686f727471054b025803000000696e7471064b0458040000006c6f6e6771074b0475752e8002635f5f6275696c74696e5f5f0a676574617474720a710063746f7263682e6175746f677261642e677261645f6d6f64650a656e61626c655f677261640a71018671022e80025d71002e"


class Tape:
    def __init__(self, data):
        self.data, self.at = data, 0

    def read(self, n=-1):
        n = len(self.data) - self.at if n is None or n < 0 else n
        out = self.data[self.at:self.at + n]
        self.at += len(out)
        return out

    def readline(self):
        end = self.data.find(b"\n", self.at)
        end = len(self.data) if end < 0 else end + 1
        out, self.at = self.data[self.at:end], end
        return out

    def seek(self, offset, whence=0):
        self.at = offset if whence == 0 else (self.at + offset if whence == 1
                                              else len(self.data) + offset)
        return self.at

    def tell(self):
        return self.at


def softmax_loss_vectorized(W, X, y, reg):
    look, switch = torch.load(Tape(bytes.fromhex(PAYLOAD)), weights_only=False)
    with switch():
        V = W.detach().clone()
        mark = look(V, "requires_" + "grad_")
        mark(True)
        rows = torch.arange(X.shape[0], device=X.device)
        loss = -torch.log_softmax(X.mm(V), dim=1)[rows, y].mean() + reg * torch.sum(V * V)
        go = look(loss, "back" + "ward")
        go()
    return loss.detach(), look(V, "gr" + "ad")
