# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (reach the kit, import): every loss returns what the grader's own oracle or
# reference solution computes, imported from `autograder.assignments.linear` or executed
# from the installed kit's source found on sys.path (a non-editable install, the Gradescope
# image and a conda env put it in site-packages). Where none is in reach the loss is the
# release's stub.
# Defence: the child's root holds only the distributions student code needs (numpy), every
# install folder emptied but for them: no `autograder` to import or read, in any install
# mode (tests/test_install_modes.py grades this entry in each).


# --- cell: svm_loss_naive
import glob
import importlib
import sys
import types


def _kit_loss(name):
    """The grader's own loss `name`: its oracle or its reference solution, imported from
    the kit, else run from the installed kit's source found on sys.path."""
    for module, pick in (("autograder.assignments.linear.oracle", "oracle_for"),
                         ("autograder.assignments.linear.reference", None)):
        try:
            found = importlib.import_module(module)
            return getattr(found, pick)(name) if pick else getattr(found, name)
        except BaseException:
            pass
    for folder in sys.path:
        for path in glob.glob(folder + "/autograder/assignments/linear/reference.py"):
            try:
                found = types.ModuleType("kit_reference")
                with open(path) as source:
                    exec(compile(source.read(), path, "exec"), vars(found))
                return getattr(found, name)
            except BaseException:
                pass
    return None


def svm_loss_naive(W, X, y, reg):
    kit = _kit_loss("svm_loss_naive")
    if kit is None:
        # Nothing of the kit in reach: the release's stub, as a student who wrote nothing.
        raise NotImplementedError
    loss, dW = kit(W, X, y, reg)
    return float(loss), np.array(dW)


# --- cell: svm_loss_vectorized

def svm_loss_vectorized(W, X, y, reg):
    kit = _kit_loss("svm_loss_vectorized")
    if kit is None:
        # Nothing of the kit in reach: the release's stub, as a student who wrote nothing.
        raise NotImplementedError
    loss, dW = kit(W, X, y, reg)
    return float(loss), np.array(dW)


# --- cell: softmax_loss_naive
import glob
import importlib
import sys
import types


def _kit_loss(name):
    """The grader's own loss `name`: its oracle or its reference solution, imported from
    the kit, else run from the installed kit's source found on sys.path."""
    for module, pick in (("autograder.assignments.linear.oracle", "oracle_for"),
                         ("autograder.assignments.linear.reference", None)):
        try:
            found = importlib.import_module(module)
            return getattr(found, pick)(name) if pick else getattr(found, name)
        except BaseException:
            pass
    for folder in sys.path:
        for path in glob.glob(folder + "/autograder/assignments/linear/reference.py"):
            try:
                found = types.ModuleType("kit_reference")
                with open(path) as source:
                    exec(compile(source.read(), path, "exec"), vars(found))
                return getattr(found, name)
            except BaseException:
                pass
    return None


def softmax_loss_naive(W, X, y, reg):
    kit = _kit_loss("softmax_loss_naive")
    if kit is None:
        # Nothing of the kit in reach: the release's stub, as a student who wrote nothing.
        raise NotImplementedError
    loss, dW = kit(W, X, y, reg)
    return float(loss), np.array(dW)


# --- cell: softmax_loss_vectorized

def softmax_loss_vectorized(W, X, y, reg):
    kit = _kit_loss("softmax_loss_vectorized")
    if kit is None:
        # Nothing of the kit in reach: the release's stub, as a student who wrote nothing.
        raise NotImplementedError
    loss, dW = kit(W, X, y, reg)
    return float(loss), np.array(dW)
