"""The Solver: trains a classification model by minibatch gradient descent (the course's
file; you do not edit it).

    solver = Solver(model, data, update_rule="sgd", optim_config={"learning_rate": 1e-3},
                    lr_decay=0.95, num_epochs=10, batch_size=200, print_every=100)
    solver.train()
    model.params            # the best parameters seen on the validation set
    solver.loss_history, solver.train_acc_history, solver.val_acc_history

The model must have:
- model.params: a dict from parameter names to numpy arrays;
- model.loss(X, y): (loss, grads) with grads a dict of the same keys as params, each
  gradient of its parameter's shape; model.loss(X) (y None): scores of shape (N, C).

data holds X_train (N_train, d_1, ..., d_k), y_train (N_train,), X_val and y_val.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from cs231n import optim


class Solver:
    """Minibatch training with one update rule, a learning rate decayed after every epoch,
    the training and validation accuracy measured after the first iteration and every epoch,
    and the parameters of the best validation accuracy put back in the model at the end."""

    def __init__(self, model: object, data: Mapping[str, np.ndarray], *,
                 update_rule: str = "sgd", optim_config: Mapping[str, float] | None = None,
                 lr_decay: float = 1.0, batch_size: int = 100, num_epochs: int = 10,
                 num_train_samples: int | None = 1000, num_val_samples: int | None = None,
                 print_every: int = 10, verbose: bool = True) -> None:
        """
        Inputs:
        - model: the model to train (see the module's docstring).
        - data: X_train, y_train, X_val, y_val.
        - update_rule: the name of a function of cs231n/optim.py ("sgd").
        - optim_config: the update rule's hyperparameters (learning_rate, ...).
        - lr_decay: after each epoch, the learning rate is multiplied by this.
        - batch_size: examples per minibatch.
        - num_epochs: passes over the training data.
        - num_train_samples: training examples the training accuracy is measured on
          (None: all of them).
        - num_val_samples: validation examples the validation accuracy is measured on
          (None: all of them).
        - print_every: print the loss every this many iterations (when verbose).
        - verbose: whether to print progress.
        """
        if not hasattr(optim, update_rule):
            raise ValueError(f"Solver: cs231n/optim.py has no update rule {update_rule!r}")
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
        self.update_rule = getattr(optim, update_rule)
        self.optim_config = dict(optim_config or {})
        self.lr_decay = lr_decay
        self.batch_size = batch_size
        self.num_epochs = num_epochs
        self.num_train_samples = num_train_samples
        self.num_val_samples = num_val_samples
        self.print_every = print_every
        self.verbose = verbose
        self._reset()

    def _reset(self) -> None:
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params: dict[str, np.ndarray] = {}
        self.loss_history: list[float] = []
        self.train_acc_history: list[float] = []
        self.val_acc_history: list[float] = []
        # One config per parameter: a rule with state (momentum, ...) keeps it per array.
        self.optim_configs = {p: dict(self.optim_config) for p in self.model.params}

    def _step(self) -> None:
        """One minibatch, drawn with replacement, one update of every parameter."""
        batch = np.random.choice(len(self.X_train), self.batch_size)
        loss, grads = self.model.loss(self.X_train[batch], self.y_train[batch])
        self.loss_history.append(float(loss))
        for name, w in self.model.params.items():
            next_w, config = self.update_rule(w, grads[name], self.optim_configs[name])
            self.model.params[name] = next_w
            self.optim_configs[name] = config

    def check_accuracy(self, X: np.ndarray, y: np.ndarray, num_samples: int | None = None,
                       batch_size: int = 100) -> float:
        """The model's accuracy on (a sample of num_samples rows of) X, y, scored in
        batches of batch_size rows."""
        if num_samples is not None and len(X) > num_samples:
            rows = np.random.choice(len(X), num_samples)
            X, y = X[rows], y[rows]
        predictions = [np.argmax(self.model.loss(X[i:i + batch_size]), axis=1)
                       for i in range(0, len(X), batch_size)]
        return float(np.mean(np.concatenate(predictions) == y))

    def _record_accuracies(self) -> None:
        """Measure both accuracies; keep a copy of the parameters of the best validation
        accuracy so far."""
        train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        if self.verbose:
            print(f"(Epoch {self.epoch} / {self.num_epochs}) train acc: {train_acc:f}; "
                  f"val_acc: {val_acc:f}")
        if val_acc > self.best_val_acc:
            self.best_val_acc = val_acc
            self.best_params = {k: v.copy() for k, v in self.model.params.items()}

    def train(self) -> None:
        """Run num_epochs epochs, then put the best parameters back in the model.

        The learning rate is multiplied by lr_decay after every epoch; the accuracies are
        measured after the first iteration, after every epoch and after the last iteration.
        """
        iterations_per_epoch = max(len(self.X_train) // self.batch_size, 1)
        num_iterations = self.num_epochs * iterations_per_epoch
        for t in range(num_iterations):
            self._step()
            if self.verbose and t % self.print_every == 0:
                print(f"(Iteration {t + 1} / {num_iterations}) loss: {self.loss_history[-1]:f}")
            epoch_end = (t + 1) % iterations_per_epoch == 0
            if epoch_end:
                self.epoch += 1
                for config in self.optim_configs.values():
                    config["learning_rate"] *= self.lr_decay
            if t == 0 or epoch_end or t == num_iterations - 1:
                self._record_accuracies()
        if self.best_params:
            self.model.params = self.best_params
