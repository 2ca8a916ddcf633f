"""Update rules for the Solver (the course's file; you do not edit it).

Each rule has the interface

    next_w, config = update(w, dw, config)

Inputs:
- w: an array of the current weights, of any shape.
- dw: an array of the same shape as w: the gradient of the loss with respect to w.
- config: a dict of the rule's hyperparameters (the learning rate, ...) and of anything
  the rule carries from one step to the next. The Solver keeps one config per parameter.

Returns:
- next_w: the weights after the step, of the shape of w.
- config: the config to pass to the next step.
"""

from __future__ import annotations

import numpy as np


def sgd(w: np.ndarray, dw: np.ndarray, config: dict | None = None
        ) -> tuple[np.ndarray, dict]:
    """Vanilla stochastic gradient descent: w - learning_rate * dw.

    config:
    - learning_rate: (float) the step size, 1e-2 by default.
    """
    config = {} if config is None else config
    config.setdefault("learning_rate", 1e-2)
    # A new array, not w -= ...: the caller's w (a model's params) is replaced, not changed.
    next_w = w - config["learning_rate"] * dw
    return next_w, config
