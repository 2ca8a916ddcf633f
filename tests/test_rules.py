"""Rules on a submission's source (autograder/rules.py), as the PyTorch edition states them:
which function a construct counts against, wherever the student hides it."""

from __future__ import annotations

import os
import textwrap

import pytest

from autograder.assignment import load

RULES = load("linear_torch").rules
CLEAN = {k: textwrap.dedent(v) for k, v in {
    "svm_loss_vectorized": """
        def svm_loss_vectorized(W, X, y, reg):
            scores = X.mm(W)
            return scores.sum(), torch.zeros_like(W)
    """,
    "softmax_loss_vectorized": """
        def softmax_loss_vectorized(W, X, y, reg):
            return X.sum(), W.clone()
    """,
    "predict_linear_classifier": """
        def predict_linear_classifier(W, X):
            with torch.no_grad():
                return torch.argmax(X.mm(W), dim=1)
    """,
}.items()}


def scan(**cells: str) -> dict[str, dict[str, list[str]]]:
    from autograder import rules

    merged = {**CLEAN, **cells}
    return rules.scan(merged, RULES)


def blocked(**cells: str) -> set[str]:
    return set(scan(**cells).get("autograd", {}))


def test_clean_code_breaks_no_rule():
    assert scan() == {}


@pytest.mark.parametrize("body", [
    "W.requires_grad_(True); loss = (X.mm(W)).sum(); loss.backward(); return loss, W.grad",
    "return X.sum(), torch.autograd.grad(X.mm(W).sum(), [W])[0]",
    "import torch.autograd as ag; return X.sum(), ag.grad(X.mm(W).sum(), [W])[0]",
    "from torch.func import grad; return X.sum(), grad(lambda V: X.mm(V).sum())(W)",
    "return X.sum(), getattr(torch, 'auto' + 'grad').grad(X.mm(W).sum(), [W])[0]",
    "return eval('torch.autograd.grad(X.mm(W).sum(), [W])')",
    "return X.sum(), __import__('torch').autograd.grad(X.mm(W).sum(), [W])[0]",
    "return X.sum(), torch._C._functions",
    "return X.sum(), vars(torch)['autograd']",
    # Routes found by a red team: private modules, aliases, imported names, introspection.
    "from torch._functorch.apis import grad; return X.sum(), grad(lambda V: X.mm(V).sum())(W)",
    "return X.sum(), torch._functorch.eager_transforms.grad(lambda V: X.mm(V).sum())(W)",
    "ga = getattr; return X.sum(), ga(X, 'gr' + 'ad')",
    "from torch import enable_grad as e; return X.sum(), W",
    "from torch import _C as c; c._set_grad_enabled(True); return X.sum(), W",
    "import sys; return X.sum(), sys.modules['torch.' + 'autograd']",
    "import inspect; return X.sum(), inspect.getattr_static(X, 'grad')",
    "import pickle; ga = pickle.loads(b'cbuiltins\\ngetattr\\n.'); return X.sum(), W",
    "ng = torch.no_grad(); ng.prev = True; ng.__exit__(None, None, None); return X.sum(), W",
    "return X.sum(), svm_loss_vectorized.__globals__['_helper'](W)",
    "P = torch.nn.Parameter(W.clone()); return X.sum(), P",
    "import builtins; return X.sum(), builtins.getattr(X, 'grad')",
    # ... and a second round: modules as attributes of torch, grad mode's public state.
    "return X.sum(), torch.sys.modules['torch.func']",
    "return X.sum(), torch.serialization.pickle",
    "return X.sum(), torch.inspect.currentframe()",
    "ng = torch.no_grad()\n    with ng:\n        ng.prev = True\n    return X.sum(), W",
    "return X.sum(), torch.nn.modules.module.sys",
    "t = torch; return X.sum(), t",
    "W.register_hook(print); return X.sum(), W",
    "return X.sum(), torch.nn.functional.torch.sys",
    # ... and a third: names that read or bind attributes without an attribute node.
    "match X:\n        case object(grad=g):\n            return X.sum(), g\n    return X.sum(), W",
    "class On(torch.no_grad):\n        prev = True\n    return X.sum(), W",
    "V = torch.zeros_like(W, requires_grad=True); return X.sum(), V",
    "torch.nn.Identity().register_full_backward_hook(print); return X.sum(), W",
    # ... and a fourth: objects rebuilt from bytes, classes made out of strings, positional
    # class patterns (which read the attributes `__match_args__` names).
    "get = torch.load(open('getattr.pt', 'rb'), weights_only=False); return X.sum(), W",
    "get = np.load('getattr.npy', allow_pickle=True); return X.sum(), W",
    "P = type('P', (), {'__match_args__': ('grad',)})\n    return X.sum(), P",
    "match W:\n        case torch.Tensor(g):\n            return X.sum(), g\n"
    "    return X.sum(), W",
    # ... and a fifth: the interpreter's frames (a generator's frame holds the builtins).
    "def g():\n        yield\n    b = g().gi_frame.f_builtins; return X.sum(), b",
    "return X.sum(), svm_loss_vectorized.__code__",
    "f = (lambda: 0).co_consts; return X.sum(), W",
])
def test_autograd_in_the_function_itself_blocks_it_alone(body):
    cell = f"def svm_loss_vectorized(W, X, y, reg):\n    {body}\n"
    assert blocked(svm_loss_vectorized=cell) == {"svm_loss_vectorized"}


def test_a_helper_in_another_cell_counts_against_the_function_that_calls_it():
    found = scan(predict_linear_classifier=CLEAN["predict_linear_classifier"] + """
def _tape(W, f):
    W = W.detach().requires_grad_(True)
    f(W).backward()
    return W.grad
""", svm_loss_vectorized="""
def svm_loss_vectorized(W, X, y, reg):
    return X.sum(), _twice_removed(W, lambda V: X.mm(V).sum())

def _twice_removed(W, f):
    return _tape(W, f)
""")["autograd"]
    assert set(found) == {"svm_loss_vectorized"}
    assert any("in _tape (predict_linear_classifier's cell)" in f
               for f in found["svm_loss_vectorized"])


def test_a_helper_nothing_runs_counts_against_nothing_but_a_string_that_reaches_it_does():
    # A student's leftover autograd check beside the loss never runs while it is graded:
    # it is not the loss's code. Reaching it by a string (the frame's globals) is.
    leftover = """
def check_with_autograd(W, X, y):
    W = W.clone().requires_grad_(True)
    svm_loss_vectorized(W, X, y, 0.0)[0].backward()
    return W.grad
"""
    assert blocked(svm_loss_vectorized=CLEAN["svm_loss_vectorized"] + leftover) == set()
    found = scan(svm_loss_vectorized="""
def svm_loss_vectorized(W, X, y, reg):
    return X.sum(), svm_loss_vectorized.__globals__["check_with_autograd"](W, X, y)
""" + leftover)["autograd"]
    assert set(found) == {"svm_loss_vectorized"}
    assert any("__globals__" in f for f in found["svm_loss_vectorized"])


def test_the_functional_api_is_allowed():
    # torch.nn.functional computes losses, not gradients: an honest student may use it.
    assert blocked(softmax_loss_vectorized="""
import torch.nn.functional as F

def softmax_loss_vectorized(W, X, y, reg):
    return F.cross_entropy(X.mm(W), y), torch.zeros_like(W)
""") == set()


@pytest.mark.parametrize("where, code", [
    ("top level", "torch.Tensor.slope = lambda self: self.grad\n"),
    ("installed by a function run at the top level",
     "def install():\n    torch.Tensor.slope = _helper\n\ninstall()\n"),
    ("decorator", "def deco(f):\n    torch.autograd.grad\n    return f\n\n@deco\ndef g():\n"
                  "    pass\n"),
    ("default value", "def g(x=torch.autograd):\n    return x\n"),
    ("class body", "class Hook:\n    torch.Tensor.slope = lambda self: self.grad\n"),
])
def test_code_that_runs_when_a_cell_runs_counts_against_every_function(where, code):
    cell = "def _helper(self):\n    return self.grad\n\n" + code
    assert blocked(predict_linear_classifier=CLEAN["predict_linear_classifier"] + cell) == {
        "svm_loss_vectorized", "softmax_loss_vectorized"}, where


def test_what_a_graded_function_installs_on_torch_counts_against_every_function():
    # predict is called by the grader: a method it stores on torch.Tensor reaches the losses.
    everyone = {"svm_loss_vectorized", "softmax_loss_vectorized"}
    assert blocked(predict_linear_classifier="""
def predict_linear_classifier(W, X):
    torch.Tensor.slope = lambda self, f: torch.autograd.grad(f(self), [self])[0]
    return torch.argmax(X.mm(W), dim=1)
""") == everyone
    # ... and so does a helper that one loss hands to torch.Tensor.
    assert blocked(svm_loss_vectorized="""
def _slope(self, f):
    return torch.autograd.grad(f(self), [self])[0]

def svm_loss_vectorized(W, X, y, reg):
    torch.Tensor.slope = _slope
    return X.sum(), W.slope(lambda V: X.mm(V).sum())
""") == everyone


@pytest.mark.parametrize("line, flagged", [
    ("m = torch.zeros(X.shape[0], W.shape[1])", True),
    ("m = torch.zeros(X.shape[0], W.shape[1], device=X.device)", False),
    ("m = torch.zeros_like(W)", False),
    ("m = X[torch.arange(X.shape[0]), y]", False),     # an index: it follows X
    ("m = W.cuda()", True),
    ("m = W.to('cuda')", True),
    ("m = W.to(torch.device('cpu'))", True),
    ("m = W.to(X.dtype)", False),
    ("m = W.to(X.device)", False),
    ("m = W.numpy()", True),
    ("z = torch.zeros; m = z(3)", True),                        # a factory passed around
    ("m = torch.arange(3, device='cpu')", True),                # a device written in
    ("m = torch.arange(3, device=X.device)", False),
    ("m = torch.as_tensor([1.0])", True),
    ("m = W.type(torch.DoubleTensor)", True),
    ("m = W.type(X.dtype)", False),
    ("m = torch.DoubleTensor(3)", True),
    ("from torch import zeros; m = zeros(3)", True),
    ("m = torch.Tensor(3)", True),
    ("m = torch.ones(2, device=None)", True),
    ("dev = 'cpu'; m = torch.ones(2, device=dev)", True),
    ("m = X.new_zeros(2, device='cpu')", True),
    ("m = torch.zeros_like(W, device='cpu')", True),
    ("m = np.asarray(W)", True),
    ("dev = torch.device('cpu'); m = W.to(dev)", True),
    ("m = W.to(X)", False),
    ("m = torch.zeros(2, device=W.device)", False),
    ("m = torch.scalar_tensor(1.0)", True),
    ("m = np.copy(W)", True),
    ("m = type(W)(2, 3)", True),
    ("m = torch.nn.functional.torch.zeros(2)", True),
    ("move = W.cpu; m = move()", True),
    ("m = torch.zeros(2, device=None if X.is_cuda else W.device)", True),
    ("m = W.to(**{'device': 'cpu'})", True),
    ("m = W.to(torch.float64)", False),
    ("m = W if X.device.type == 'cpu' else W", False),
    # ... every torch function that takes a device, read from torch; an index that leaves
    # its index; data taken off the device as a list; the default device changed.
    ("m = torch.empty_permuted((2, 3), (0, 1))", True),
    ("m = torch.sparse_csc_tensor([0, 1], [0], [1.0])", True),
    ("y[(m := torch.zeros(2)).shape[0] - 2]", True),
    ("m = X[torch.arange(X.shape[0]).unsqueeze(1), y]", False),
    ("m = torch.tensor(W.tolist(), device=X.device)", True),
    ("torch.set_default_device('cuda'); m = W", True),
    ("m = torch.zeros(2, device=W.T.device)", False),
    ("m = torch.zeros(2, device=X[0].device)", False),
])
def test_the_device_rule_names_tensors_made_off_the_inputs_device(line, flagged):
    cell = f"def svm_loss_vectorized(W, X, y, reg):\n    {line}\n    return m, W\n"
    found = scan(svm_loss_vectorized=cell).get("device", {})
    assert ("svm_loss_vectorized" in found) == flagged, found


# Another cell's helpers, bound where the rules must still find them.
HELPERS = CLEAN["predict_linear_classifier"] + """
if True:
    _blank = lambda n: torch.zeros(n)
"""


@pytest.mark.parametrize("cell, flagged", [
    # A parameter with a default is not an input the grader passes: it can hold a device.
    ("def svm_loss_vectorized(W, X, y, reg, where='cpu'):\n"
     "    return X.sum(), torch.zeros(2, device=where)\n", True),
    ("def svm_loss_vectorized(W, X, y, reg, *, where=torch.device('cpu')):\n"
     "    return X.sum(), W.to(where)\n", True),
    # Any other object's .device is not the inputs'.
    ("class Here:\n    device = 'cpu'\n\n"
     "def svm_loss_vectorized(W, X, y, reg):\n"
     "    return X.sum(), torch.zeros(2, device=Here.device)\n", True),
    # A helper's own parameter is its caller's input.
    ("def _zeros(t, n):\n    return torch.zeros(n, device=t.device)\n\n"
     "def svm_loss_vectorized(W, X, y, reg):\n    return X.sum(), _zeros(X, 2)\n", False),
    # A helper of another cell inside an if block, or bound by an assignment.
    ("def svm_loss_vectorized(W, X, y, reg):\n    return X.sum(), _blank(2)\n", True),
    # A global the function only shadows is not followed.
    ("def svm_loss_vectorized(W, X, y, reg):\n    _blank = torch.zeros_like\n"
     "    return X.sum(), _blank(W)\n", False),
    # The cell's own top level is part of the function's code.
    ("EPS = torch.tensor(1e-8)\n\n"
     "def svm_loss_vectorized(W, X, y, reg):\n    return X.sum() + EPS, W\n", True),
])
def test_a_device_must_come_from_an_input_the_caller_passes(cell, flagged):
    found = scan(svm_loss_vectorized=cell, predict_linear_classifier=HELPERS).get("device", {})
    assert ("svm_loss_vectorized" in found) == flagged, found


def test_a_method_installed_on_torch_counts_against_every_loss_for_its_device():
    found = scan(predict_linear_classifier=CLEAN["predict_linear_classifier"] + """
torch.Tensor.blank = lambda self, n: torch.zeros(n, dtype=self.dtype)
""").get("device", {})
    assert set(found) == {"svm_loss_vectorized", "softmax_loss_vectorized"}
    assert all("stored on an attribute in predict_linear_classifier's cell" in f[0]
               for f in found.values())
    # ... and so does a function of another cell handed around as a value.
    found = scan(predict_linear_classifier=CLEAN["predict_linear_classifier"] + """
def _blank(n):
    return torch.zeros(n)

MAKERS = {"blank": _blank}
""", svm_loss_vectorized="""
def svm_loss_vectorized(W, X, y, reg):
    return X.sum(), MAKERS["blank"](3)
""").get("device", {})
    assert set(found) == {"svm_loss_vectorized", "softmax_loss_vectorized"}


def test_the_device_rule_does_not_spread_past_the_function():
    # Another cell's tensor on the default device is that cell's business, not the losses'.
    found = scan(predict_linear_classifier="""
def predict_linear_classifier(W, X):
    return torch.argmax(X.mm(W), dim=1).cpu()
""")
    assert found == {}


def test_a_cell_that_does_not_parse_is_left_to_intake():
    assert scan(svm_loss_vectorized="def svm_loss_vectorized(W, X, y, reg)\n    pass\n") == {}


# ---------------------------------------------------------------- by meaning, not by spelling


@pytest.mark.parametrize("body", [
    # A keyword argument names a parameter; only requires_grad= turns gradients on.
    "return _helper(X, W, want_grad=True, gradient=None)",
    "V = torch.zeros_like(W, requires_grad=False); return X.sum(), V",
    # Switches called only to turn autograd off.
    "with torch.inference_mode():\n        s = X.mm(W)\n    return s.sum(), W",
    "torch.set_grad_enabled(False); return X.sum(), W",
    "with torch.set_grad_enabled(mode=False):\n        s = X.mm(W)\n    return s.sum(), W",
    # The standard library's harmless modules; a load that rebuilds no code.
    "import statistics; return statistics.fmean([1.0]), W",
    "from typing import Optional; from functools import reduce; return X.sum(), W",
    "from collections import defaultdict; d = defaultdict(list); return X.sum(), W",
])
def test_honest_constructs_break_no_rule(body):
    cell = f"def svm_loss_vectorized(W, X, y, reg):\n    {body}\n\n" \
           "def _helper(X, W, want_grad=False, gradient=None):\n    return X.sum(), W\n"
    assert scan(svm_loss_vectorized=cell) == {}


@pytest.mark.parametrize("body", [
    "torch.set_grad_enabled(True); return X.sum(), W",
    "with torch.inference_mode(False):\n        pass\n    return X.sum(), W",
    "m = torch.set_grad_enabled(False); m.prev = True; return X.sum(), W",
    "get = torch.load('f.pt', weights_only=False); return X.sum(), W",
    "get = torch.load('f.pt', None, pickle); return X.sum(), W",
    "from typing import get_type_hints; return X.sum(), get_type_hints(svm_loss_vectorized)",
    "import operator; return X.sum(), W",
    "import importlib; return X.sum(), W",
])
def test_what_only_looks_honest_still_counts(body):
    cell = f"def svm_loss_vectorized(W, X, y, reg):\n    {body}\n"
    assert blocked(svm_loss_vectorized=cell) == {"svm_loss_vectorized"}


@pytest.mark.parametrize("body, flagged", [
    # The move: an input's name rebound to a device, then used as one.
    ("X = 'cpu'; m = W.to(X)", True),
    ("dev = X.device; m = torch.zeros(2, device=dev)", False),
    ("dev = X.device; dev = 'cpu'; m = torch.zeros(2, device=dev)", True),
    ("dev, n = X.device, 2; m = torch.zeros(n, device=dev)", False),
    ("dev, n = 'cpu', 2; m = torch.zeros(n, device=dev)", True),
    ("dev, n = _pair(X); m = torch.zeros(n, device=dev)", True),
    ("for dev in ['cpu']:\n        pass\n    m = torch.zeros(2, device=dev)", True),
    ("m = torch.zeros(2, device=DEVICE)", True),
    ("m = torch.zeros(2, **{'device': X.device})", False),
    ("m = torch.zeros(2, **{'device': 'cpu'})", True),
    ("kw = {'device': X.device}; m = torch.zeros(2, **kw)", True),
    ("scores = X.mm(W); m = torch.zeros(2, device=scores.device)", False),
    ("m = W.to(X.double().device)", False),
    # A helper's parameter follows the inputs where every call passes what does.
    ("def make(n, where):\n        return torch.zeros(n, device=where)\n"
     "    m = make(2, X.device)", False),
    ("def make(n, where):\n        return torch.zeros(n, device=where)\n"
     "    m = make(2, X.device) + make(2, 'cpu')", True),
    ("def make(n, where):\n        return torch.zeros(n, device=where)\n"
     "    f = make; m = f(2, 'cpu')", True),
    # A tensor read only in indexes may live anywhere; one that leaves them may not.
    ("rows = torch.arange(X.shape[0]); m = X[rows, y]", False),
    ("rows = torch.arange(X.shape[0]); cols = rows.unsqueeze(1); m = X[cols, y]", False),
    ("rows = torch.arange(X.shape[0]); m = X[rows, y] + rows", True),
    ("rows = torch.arange(X.shape[0]); rows = rows + 1; m = X[rows, y]", True),
    # A 0-dim tensor of a number beside a tensor of the inputs acts as a scalar.
    ("m = torch.maximum(torch.tensor(0.0), X)", False),
    ("m = torch.tensor(0.0)", True),
])
def test_the_device_rule_follows_what_names_are_bound_to(body, flagged):
    cell = "DEVICE = 'cpu'\n\ndef _pair(t):\n    return 'cpu', 2\n\n" \
           f"def svm_loss_vectorized(W, X, y, reg):\n    {body}\n    return m, W\n"
    found = scan(svm_loss_vectorized=cell).get("device", {})
    assert ("svm_loss_vectorized" in found) == flagged, found


STARTER = textwrap.dedent('''
    import statistics
    from abc import abstractmethod
    from typing import Dict, List, Callable, Optional

    import torch


    class LinearClassifier:
        def train(self, X, y):
            self.W, history = train_linear_classifier(self.loss, self.W, X, y)
            return history

        def predict(self, X: torch.Tensor):
            return predict_linear_classifier(self.W, X)

        @abstractmethod
        def loss(self, W, X_batch, y_batch, reg):
            raise NotImplementedError

        def load(self, path: str):
            self.W = torch.load(path, map_location="cpu")["W"]

        def restore(self, path: str):
            self.W = torch.load(path, weights_only=False)["W"]


    class LinearSVM(LinearClassifier):
        def loss(self, W, X_batch, y_batch, reg):
            return svm_loss_vectorized(W, X_batch, y_batch, reg)


    def svm_loss_vectorized(W, X, y, reg):
        return X.mm(W).sum(), torch.zeros_like(W)


    def softmax_loss_vectorized(W, X, y, reg):
        return X.mm(W).sum(), torch.zeros_like(W)


    def sample_batch(X, y, num_train, batch_size):
        idx = torch.randint(num_train, (batch_size,))
        return X[idx], y[idx]


    def train_linear_classifier(loss_func, W, X, y):
        X_batch, y_batch = sample_batch(X, y, X.shape[0], 2)
        return W, [loss_func(W, X_batch, y_batch, 0.0)[0].item()]


    def predict_linear_classifier(W, X):
        y_pred = torch.zeros(X.shape[0], dtype=torch.int64)
        y_pred = X.mm(W).argmax(dim=1)
        return y_pred


    def test_one_param_set(cls: LinearClassifier, data_dict, lr, reg):
        return cls, 0.0, 0.0
''')
STARTER_IDS = ["svm_loss_vectorized", "softmax_loss_vectorized", "sample_batch",
               "train_linear_classifier", "predict_linear_classifier", "test_one_param_set"]


def starter_scan(source: str) -> dict[str, dict[str, list[str]]]:
    from autograder import rules

    return rules.scan(dict.fromkeys(STARTER_IDS, source), RULES)


def test_the_starter_s_template_code_that_no_graded_function_reaches_is_the_course_s():
    # One module provides every definition (EECS 498's layout): its imports, the template
    # class's loads (one of them unsafe, but never run by a graded function), sample_batch's
    # torch.randint and predict's torch.zeros are not the losses' code.
    assert starter_scan(STARTER) == {}


def test_a_graded_function_that_reaches_the_template_is_judged_on_it():
    reaching = STARTER.replace("return X.mm(W).sum(), torch.zeros_like(W)\n\n\ndef softmax",
                               "LinearSVM().restore('w.pt')\n"
                               "    return X.mm(W).sum(), torch.zeros_like(W)\n\n\ndef softmax", 1)
    assert reaching != STARTER
    found = starter_scan(reaching)["autograd"]
    assert any("torch.load" in f and "in LinearClassifier" in f
               for f in found["svm_loss_vectorized"])
    # What it unpickles, in code that now runs, can install anything for every function.
    assert set(found) == {"svm_loss_vectorized", "softmax_loss_vectorized",
                          "train_linear_classifier"}


def test_a_graded_function_the_grader_calls_counts_for_what_it_installs():
    # sample_batch is called by the grader itself, even though train names it too.
    installing = STARTER.replace("    idx = torch.randint(num_train, (batch_size,))\n",
                                 "    torch.Tensor.slope = lambda t: t.grad\n"
                                 "    idx = torch.randint(num_train, (batch_size,))\n")
    assert set(starter_scan(installing)["autograd"]) == {
        "svm_loss_vectorized", "softmax_loss_vectorized", "train_linear_classifier"}


NUMPY = load("linear").rules


@pytest.mark.parametrize("cell, flagged", [
    ("import torch\n\ndef svm_loss_vectorized(W, X, y, reg):\n"
     "    t = torch.tensor(W, requires_grad=True)\n    (X @ t).sum().backward()\n"
     "    return 0.0, t.grad.numpy()\n", True),
    ("def svm_loss_vectorized(W, X, y, reg):\n    import sys\n"
     "    return 0.0, sys.modules['tor' + 'ch']\n", True),
    ("def svm_loss_vectorized(W, X, y, reg):\n    return 0.0, getattr(np, 'zeros')(W.shape)\n",
     True),
    ("from builtins import range\nimport numpy as np\nfrom random import shuffle\n"
     "from past.builtins import xrange\n\n"
     "def svm_loss_vectorized(W, X, y, reg, want_grad=True):\n"
     "    import statistics\n    rows = np.arange(X.shape[0])\n"
     "    return statistics.fmean([0.0]), np.zeros_like(W)\n", False),
])
def test_the_numpy_edition_bans_automatic_differentiation_by_an_import_allow_list(cell,
                                                                                  flagged):
    from autograder import rules

    found = rules.scan({"svm_loss_vectorized": cell}, NUMPY)
    assert ("svm_loss_vectorized" in found.get("autograd", {})) == flagged, found


def test_the_numpy_classifier_the_grader_runs_counts_for_what_it_installs():
    # The grader trains its own LinearSVM, a subclass of the student's LinearClassifier:
    # a method of it that installs autograd on numpy can reach every loss.
    from autograder import rules

    cells = {"svm_loss_vectorized": "def svm_loss_vectorized(W, X, y, reg):\n"
                                    "    return 0.0, np.grad_of(W)\n",
             "linear_classifier": "class LinearClassifier:\n    def train(self, X, y):\n"
                                  "        np.grad_of = lambda W: W.backward()\n"}
    assert set(rules.scan(cells, NUMPY)["autograd"]) == {"svm_loss_vectorized"}


@pytest.mark.parametrize("line", ["import os", "import copy", "from tqdm import tqdm",
                                  "import torch.nn as nn"])
def test_an_import_nothing_graded_uses_costs_nothing(line):
    # A leftover import at the top of an unrelated cell runs none of the student's code:
    # it cost every loss and train their points (5 of 100 for the same honest work).
    search = f"{line}\n\ndef svm_get_search_params():\n    return [1e-3], [1e-2]\n"
    assert scan(svm_get_search_params=search) == {}


@pytest.mark.parametrize(("line", "use"), [
    ("import os", "os.environ"),
    ("import torch.autograd as ag", "ag.grad"),
    ("from os import environ", "environ"),
])
def test_an_import_a_graded_function_uses_counts_against_it(line, use):
    found = scan(svm_get_search_params=f"{line}\n\ndef svm_get_search_params():\n"
                                       "    return [1e-3], [1e-2]\n",
                 svm_loss_vectorized=f"""
def svm_loss_vectorized(W, X, y, reg):
    {use}
    return X.sum(), W.clone()
""")["autograd"]
    assert set(found) == {"svm_loss_vectorized"}
    assert any(line.split(" as ")[0] in f for f in found["svm_loss_vectorized"]), found


def test_an_import_top_level_code_uses_counts_against_every_function():
    found = scan(svm_get_search_params="import os\nos.environ\n\n"
                                       "def svm_get_search_params():\n"
                                       "    return [1e-3], [1e-2]\n")["autograd"]
    assert {"svm_loss_vectorized", "softmax_loss_vectorized"} <= set(found)


def test_the_class_of_one_value_is_not_dynamic_access():
    honest = """
def svm_loss_vectorized(W, X, y, reg):
    if type(reg) is int:
        reg = float(reg)
    return X.sum() * reg, W.clone()
"""
    assert blocked(svm_loss_vectorized=honest) == set()
    built = """
def svm_loss_vectorized(W, X, y, reg):
    T = type("T", (object,), {})
    return X.sum(), W.clone()
"""
    assert blocked(svm_loss_vectorized=built) == {"svm_loss_vectorized"}


@pytest.mark.parametrize("move", ["xpu", "ipu", "mtia", "to_mkldnn", "pin_memory"])
def test_every_tensor_method_that_fixes_a_device_counts(move):
    found = scan(svm_loss_vectorized=f"""
def svm_loss_vectorized(W, X, y, reg):
    dW = W.clone()
    return X.sum(), dW.{move}()
""").get("device", {})
    assert "svm_loss_vectorized" in found


# ---------------------------------------------------------------- the rules are data


@pytest.mark.parametrize("line, flagged", [
    # Every dtype of torch, read from torch where the assignment loads: no list by hand.
    ("m = W.to(torch.cdouble)", False),
    ("m = W.type(torch.complex64)", False),
    ("m = W.to(torch.cdouble, device='cpu')", True),
    # A chain through a re-export reads as the library it reaches.
    ("m = torch.maximum(torch.nn.functional.torch.tensor(0.0), X)", False),
    ("m = torch.nn.functional.torch.ones(3)", True),
    ("class Row(torch.nn.functional.torch.Tensor):\n        pass\n    m = Row(W)", True),
])
def test_the_device_rule_reads_its_library_from_the_assignment(line, flagged):
    cell = f"def svm_loss_vectorized(W, X, y, reg):\n    {line}\n    return m, W\n"
    found = scan(svm_loss_vectorized=cell).get("device", {})
    assert ("svm_loss_vectorized" in found) == flagged, found


@pytest.mark.parametrize("edition, line, flagged", [
    ("linear", "m = np.load('w.npy')", False),
    ("linear", "m = np.load('w.npy', allow_pickle=False)", False),
    ("linear", "m = np.load('w.npy', allow_pickle=True)", True),
    ("linear", "m = np.load('w.npy', None, True)", True),
    ("linear", "m = np.load('w.npy', **options)", True),
    # The NumPy edition's table names numpy's load only.
    ("linear", "m = np.torch.load('w.pt', weights_only=True)", True),
    ("linear_torch", "m = torch.load('w.pt')", False),
    ("linear_torch", "m = torch.nn.functional.torch.load('w.pt', weights_only=True)", False),
    ("linear_torch", "m = torch.load('w.pt', pickle_module=options)", True),
    ("linear_torch", "m = torch.load('w.pt', weights_only=options)", True),
])
def test_a_load_passes_only_as_its_assignment_s_safe_loads_say(edition, line, flagged):
    from autograder import rules

    cell = (f"def svm_loss_vectorized(W, X, y, reg, options=None):\n    {line}\n"
            "    return 0.0, m\n")
    found = rules.scan({"svm_loss_vectorized": cell}, load(edition).rules)
    assert ("svm_loss_vectorized" in found.get("autograd", {})) == flagged, found


@pytest.mark.parametrize("key, value", [
    ("library", "library = 7"),
    ("scalar_factories", 'scalar_factories = "torch.tensor"'),
    ("safe_loads", 'safe_loads."torch.load" = { keyword = "weights_only", safe = "yes", '
                   'positional = 2 }'),
    ("safe_loads", 'safe_loads."torch.load" = { keyword = "weights_only", safe = true }'),
])
def test_a_malformed_rule_key_is_refused_when_the_assignment_loads(key, value, tmp_path,
                                                                   monkeypatch):
    from autograder import assignment

    text = (assignment.FOLDER / "linear_torch" / "assignment.toml").read_text(encoding="utf-8")
    head, rest = text.split("[rules.device]\n", 1)
    kept = "\n".join(line for line in rest.splitlines() if not line.startswith(key))
    folder = tmp_path / "linear_torch"
    folder.mkdir()
    (folder / "assignment.toml").write_text(f"{head}[rules.device]\n{value}\n{kept}\n",
                                            encoding="utf-8")
    monkeypatch.setattr(assignment, "FOLDER", tmp_path)
    with pytest.raises(assignment.AssignmentError, match=rf"\[rules\.device\] {key} must be"):
        assignment.load.__wrapped__("linear_torch")


def test_a_regrade_names_the_same_findings_in_the_same_order():
    # A student is shown the first three findings: which ones must not depend on the
    # interpreter's hash seed, or two gradings of one submission would read differently.
    import json
    import subprocess
    import sys

    cell = ("import os\nimport sys\nimport gc\nimport json\nimport glob\n\n"
            "def svm_loss_naive(W, X, y, reg):\n"
            "    os.getpid(); sys.path; gc.collect(); json.dumps(1); glob.glob('*')\n"
            "    return 0.0, W\n")
    script = ("import json, sys; from autograder import rules; "
              "from autograder.assignment import load; "
              "print(json.dumps(rules.scan(json.loads(sys.stdin.read()), "
              "load('linear').rules)))")
    runs = [subprocess.run([sys.executable, "-c", script], input=json.dumps(
                {"svm_loss_naive": cell}), capture_output=True, text=True, check=True,
                env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
            for seed in range(4)]
    found = json.loads(runs[0])["autograd"]["svm_loss_naive"]
    assert len(found) == 5 and all("import" in f for f in found), found
    assert runs == [runs[0]] * 4
