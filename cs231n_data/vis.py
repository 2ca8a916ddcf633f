"""Plots the assignment notebooks show: examples, loss curves, search heatmaps, weight templates."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from cs231n_data.cifar10 import CLASS_NAMES


def show_examples(
    X: np.ndarray, y: np.ndarray, samples_per_class: int = 7, seed: int = 0
) -> plt.Figure:
    """A grid of training images, one column per class.

    Inputs:
    - X: uint8 images of shape (N, 32, 32, 3).
    - y: labels of shape (N,), 0 <= y[i] < 10.
    """
    rng = np.random.default_rng(seed)
    fig, axes = plt.subplots(samples_per_class, len(CLASS_NAMES), figsize=(10, 7))
    for cls, name in enumerate(CLASS_NAMES):
        picks = rng.choice(np.flatnonzero(y == cls), samples_per_class, replace=False)
        for row, idx in enumerate(picks):
            ax = axes[row, cls]
            ax.imshow(np.asarray(X[idx]).astype("uint8"))
            ax.axis("off")
            if row == 0:
                ax.set_title(name, fontsize=9)
    return fig


def plot_loss_history(loss_history: Sequence[float], title: str = "Training loss") -> plt.Figure:
    """The loss of every minibatch step, the curve that shows whether training converges."""
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(loss_history, linewidth=0.8)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_title(title)
    return fig


def plot_search_results(
    results: Mapping[tuple[float, float], tuple[float, float]],
) -> plt.Figure:
    """Heatmaps of training and validation accuracy over learning rate x regularization.

    Inputs:
    - results: maps (learning_rate, reg) to (train_accuracy, val_accuracy), the dictionary
      the hyperparameter search fills in.
    """
    lrs = sorted({lr for lr, _ in results})
    regs = sorted({reg for _, reg in results})
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    panels = ((axes[0], 0, "training accuracy"), (axes[1], 1, "validation accuracy"))
    for ax, which, title in panels:
        grid = np.full((len(lrs), len(regs)), np.nan)
        for (lr, reg), accs in results.items():
            grid[lrs.index(lr), regs.index(reg)] = accs[which]
        image = ax.imshow(grid, cmap="viridis", origin="lower", aspect="auto")
        for i in range(len(lrs)):
            for j in range(len(regs)):
                if not np.isnan(grid[i, j]):
                    ax.text(j, i, f"{grid[i, j]:.3f}", ha="center", va="center", color="w")
        ax.set_xticks(range(len(regs)), [f"{r:.0e}" for r in regs])
        ax.set_yticks(range(len(lrs)), [f"{lr:.0e}" for lr in lrs])
        ax.set_xlabel("regularization strength")
        ax.set_ylabel("learning rate")
        ax.set_title(title)
        fig.colorbar(image, ax=ax)
    fig.tight_layout()
    return fig


def visualize_weight_templates(W: np.ndarray) -> plt.Figure:
    """Each class's weights (bias row dropped) rescaled to 0-255 and shown as a 32x32 image.

    Inputs:
    - W: weights of shape (3073, 10), rows ordered as the preprocessed pixels plus the bias.
    """
    W = np.asarray(W)[:-1, :]
    # Rows are image pixels in (32, 32, 3) order, as produced by get_cifar10_data.
    templates = W.reshape(32, 32, 3, -1)
    lo, hi = templates.min(), templates.max()
    fig, axes = plt.subplots(1, templates.shape[-1], figsize=(12, 2))
    for cls, ax in enumerate(axes):
        ax.imshow((255.0 * (templates[..., cls] - lo) / (hi - lo)).astype("uint8"))
        ax.axis("off")
        ax.set_title(CLASS_NAMES[cls], fontsize=9)
    return fig
