"""The oracle: true loss and gradient of the SVM and softmax losses.

Written independently of the notebooks' solution cells: torch autograd in float64
differentiates a direct transcription of the loss formulas, so the gradient is never
derived by hand here (the part students get wrong). Inputs are numpy arrays; so are
the outputs.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from autograder.threads import one_torch_thread

LossAndGrad = tuple[float, np.ndarray]


def _tensors(W: np.ndarray, X: np.ndarray, y: np.ndarray):
    # Copies: the oracle must never share memory with arrays the checks compare later.
    Wt = torch.tensor(np.array(W, dtype=np.float64), requires_grad=True)
    Xt = torch.tensor(np.array(X, dtype=np.float64))
    yt = torch.tensor(np.array(y, dtype=np.int64))
    return Wt, Xt, yt


def _finish(Wt: torch.Tensor, data_loss: torch.Tensor, reg: float) -> LossAndGrad:
    loss = data_loss + reg * (Wt * Wt).sum()
    loss.backward()
    return float(loss.detach()), Wt.grad.detach().numpy().copy()


def svm_loss(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> LossAndGrad:
    """Multiclass SVM loss and its gradient with respect to W.

    loss = 1/N sum_i sum_{j != y_i} max(0, s_ij - s_iy_i + 1) + reg * sum(W**2), s = X W.
    The gradient is only defined away from the hinge kink; the hidden inputs keep
    every margin at least 1e-6 away from 0.
    """
    with one_torch_thread():
        Wt, Xt, yt = _tensors(W, X, y)
        rows = torch.arange(Xt.shape[0])
        scores = Xt @ Wt
        margins = scores - scores[rows, yt].unsqueeze(1) + 1.0
        others = torch.ones_like(margins, dtype=torch.bool)
        others[rows, yt] = False
        data_loss = torch.clamp(margins[others], min=0.0).sum() / Xt.shape[0]
        return _finish(Wt, data_loss, reg)


def softmax_loss(W: np.ndarray, X: np.ndarray, y: np.ndarray, reg: float) -> LossAndGrad:
    """Softmax (cross-entropy) loss and its gradient with respect to W.

    loss = -1/N sum_i log softmax(s_i)[y_i] + reg * sum(W**2), s = X W.
    torch's log_softmax is stable for scores of any size.
    """
    with one_torch_thread():
        Wt, Xt, yt = _tensors(W, X, y)
        rows = torch.arange(Xt.shape[0])
        log_probs = torch.log_softmax(Xt @ Wt, dim=1)
        data_loss = -log_probs[rows, yt].mean()
        return _finish(Wt, data_loss, reg)


def svm_margins(W: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Margins s_ij - s_iy_i + 1 of the wrong classes j, flattened (for input generation)."""
    scores = np.asarray(X, dtype=np.float64) @ np.asarray(W, dtype=np.float64)
    rows = np.arange(scores.shape[0])
    margins = scores - scores[rows, y][:, None] + 1.0
    others = np.ones(margins.shape, dtype=bool)
    others[rows, y] = False
    return margins[others]


ORACLES: dict[str, Callable[[np.ndarray, np.ndarray, np.ndarray, float], LossAndGrad]] = {
    "svm": svm_loss,
    "softmax": softmax_loss,
}


def kind_of(fn: str) -> str:
    """'svm' or 'softmax' for a loss function name such as 'softmax_loss_naive'."""
    return fn.split("_", 1)[0]


def oracle_for(fn: str) -> Callable[[np.ndarray, np.ndarray, np.ndarray, float], LossAndGrad]:
    """The oracle that the student's function `fn` must agree with."""
    return ORACLES[kind_of(fn)]
