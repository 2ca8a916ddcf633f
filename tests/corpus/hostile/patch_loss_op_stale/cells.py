# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (patch the harness's loss op): replace the serve loop's "loss" handler (found in
# its frame) with one that answers dev-shaped calls of svm_loss_vectorized after the first
# with the first one's answer, without calling anything (instant).
# Defence: the timed calls' answers are checked against the oracle on their fresh inputs.


# --- cell: svm_loss_vectorized
import sys

_HANDLERS = sys._getframe(2).f_locals["handlers"]
_ORIG_LOSS = _HANDLERS["loss"]
_FIRST = {}


def _loss(args):
    if args.get("fn") == "svm_loss_vectorized" and args["inputs"]["X"][1] == [500, 3073]:
        if "reply" in _FIRST:
            return _FIRST["reply"]
        _FIRST["reply"] = _ORIG_LOSS(args)
        return _FIRST["reply"]
    return _ORIG_LOSS(args)


_HANDLERS["loss"] = _loss


def svm_loss_vectorized(W, X, y, reg):
    return svm_loss_naive(W, X, y, reg)
