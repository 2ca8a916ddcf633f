"""Named bugs of the SOI1010 functions: each diagnosis recomputes what a likely mistake
would return on the same hidden input (in float64, here in the parent) and names the
mistake when the student's answer matches it. A diagnosis only explains a failure; it
never decides one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Candidate = tuple[str, Callable[[], np.ndarray | float]]

# Named bugs several checks find: one text, so the class report counts each student once.
OWN_STATISTICS = ("each split is normalized with its own mean and std: use the statistics "
                  "of the training split for the validation and test splits too")
SUBSET_LABELS_01 = ("labels in {0, 1}: the SVM needs +1 for `positive` and -1 for "
                    "`negative`")
# A training function whose penalty changes nothing; its fields hold the norms measured on
# this submission's training (left out of the diagnosis by checks.named).
NOT_APPLIED = ("with {penalty}=1 the weights have {ratio} times the norm they have with "
               "{penalty}=0 (needs at most {shrink}): {penalty} is not applied")
MEASURED = (NOT_APPLIED,)


def _matches(got: np.ndarray | float, expected: np.ndarray | float, tol: float = 1e-5) -> bool:
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    if got.shape != expected.shape or not np.all(np.isfinite(expected)):
        return False
    return bool(np.all(np.abs(got - expected) <= tol * np.maximum(1.0, np.abs(expected))))


def first_match(got: np.ndarray | float, candidates: list[Candidate]) -> str | None:
    """The name of the first candidate bug whose answer equals `got`."""
    for name, compute in candidates:
        try:
            if _matches(got, compute()):
                return name
        except (ValueError, FloatingPointError):
            continue
    return None


def hinge_loss_bug(got: float, scores: np.ndarray, y: np.ndarray, w: np.ndarray,
                   lam: float) -> str | None:
    """Why the hinge loss `got` differs from the oracle's, if a known mistake explains it."""
    s = scores.reshape(-1)
    reg = lam * np.sum(w ** 2)

    def hinge(margins: np.ndarray) -> float:
        return float(np.maximum(0.0, 1 - margins).mean())

    y01 = (y > 0).astype(np.float64)
    return first_match(got, [
        ("labels in {0, 1}: the hinge loss needs y in {-1, +1} (2 * y - 1 turns 0/1 into "
         "-1/+1)", lambda: hinge(y01 * s) + reg),
        ("lam * ||w|| (a square root): the penalty is lam * sum(w ** 2), the squared norm",
         lambda: hinge(y * s) + lam * np.sqrt(np.sum(w ** 2))),
        ("scores of shape (N, 1) times labels of shape (N,) broadcast to an (N, N) matrix: "
         "flatten the scores first (scores.view(-1) or squeeze(1))",
         lambda: float(np.maximum(0.0, 1 - scores.reshape(-1, 1) * y.reshape(1, -1)).mean())
         + reg),
        ("the margins summed, not averaged over the N examples",
         lambda: float(np.maximum(0.0, 1 - y * s).sum()) + reg),
        ("the penalty lam * sum(w ** 2) is missing", lambda: hinge(y * s)),
        ("the penalty is lam * sum(w) or lam * sum(|w|): square the weights",
         lambda: hinge(y * s) + lam * float(np.sum(np.abs(w)))),
        ("the margin 1 - y * s is not clamped at 0", lambda: float((1 - y * s).mean()) + reg),
    ]) if scores.size else None


def cross_entropy_bug(got: float, logits: np.ndarray, y: np.ndarray) -> str | None:
    """Why the cross-entropy `got` differs from nn.CrossEntropyLoss, if a known mistake
    explains it."""
    rows = np.arange(len(y))

    def log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
        z = z - z.max(axis=axis, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))

    if not np.isfinite(got):
        return ("overflow: exp of logits around 1e3 is inf; subtract each row's max before "
                "exp (log-sum-exp written out)")
    return first_match(got, [
        ("the softmax is taken over the wrong axis (dim 0, over the examples): normalize "
         "each row over its classes (dim 1)",
         lambda: float(-log_softmax(logits, 0)[rows, y].mean())),
        ("the loss is summed over the rows, not averaged",
         lambda: float(-log_softmax(logits, 1)[rows, y].sum())),
        ("the log-probabilities of every class are averaged, not those of the true class "
         "(pick column y[i] of row i)", lambda: float(-log_softmax(logits, 1).mean())),
    ])


def normalize_bug(val_out: np.ndarray, train_out: np.ndarray, copies: np.ndarray
                  ) -> str | None:
    """What normalizing differently does to training rows copied into another split
    (`val_out`: the outputs of those rows, in the order of `copies`)."""
    flat_val = val_out.reshape(len(val_out), -1)
    flat_train = train_out.reshape(len(train_out), -1)[copies]
    if flat_val.shape == flat_train.shape and not np.allclose(flat_val, flat_train, atol=1e-4):
        return OWN_STATISTICS
    return None


def pooled_statistics_bug(train_out: np.ndarray, splits: dict[str, np.ndarray]
                          ) -> str | None:
    """Which splits besides the training split the statistics were computed on, when the
    normalized training split `train_out` (N, D) matches (X_train - mean) / std with the
    statistics of X_train pooled with them (per channel or over every pixel)."""
    X_train = splits["X_train"]
    for others in (("X_val",), ("X_test",), ("X_val", "X_test")):
        pooled = np.concatenate([X_train, *(splits[o] for o in others)])
        for dims in ((0, 2, 3), None):
            mean = pooled.mean(axis=dims, keepdims=dims is not None)
            std = pooled.std(axis=dims, keepdims=dims is not None, ddof=1)
            if _matches(train_out, ((X_train - mean) / std).reshape(train_out.shape), 1e-4):
                return (f"the mean and std are computed over torch.cat([X_train, "
                        f"{', '.join(others)}]): compute them on X_train alone (the other "
                        "splits only reuse them)")
    return None


def predict_bug(got: np.ndarray, W: np.ndarray, b: np.ndarray, X: np.ndarray) -> str | None:
    """Why the one-vs-all predictions differ from the argmax of the raw scores."""
    scores = X @ W.T + b                                       # (N, K)
    if got.shape == (W.shape[0],) and got.shape != (X.shape[0],):
        return ("the argmax is taken over dim 0 (over the examples): take it over the "
                "models (dim 1 of the (N, K) scores)")

    def softmax(z: np.ndarray, axis: int) -> np.ndarray:
        e = np.exp(z - z.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    rescaled = [softmax(scores, 0), scores / scores.std(axis=0),
                scores / np.abs(scores).max(axis=0), (scores - scores.mean(0)) / scores.std(0)]
    if any(np.array_equal(got, np.argmax(r, axis=1)) for r in rescaled):
        return ("the argmax is over per-model rescaled scores (a softmax or a normalization "
                "of each model's column): the ten models are calibrated differently, so "
                "compare their raw scores")
    if got.shape == (X.shape[0],) and np.array_equal(got, np.argmin(scores, axis=1)):
        return "argmin instead of argmax"
    return None


def labels_bug(got: np.ndarray, y: np.ndarray, num_classes: int) -> str | None:
    """Why the one-vs-all label matrix differs from the expected +1 / -1 columns."""
    onehot = (y[:, None] == np.arange(num_classes)[None, :]).astype(np.float64)
    if got.shape == onehot.shape and np.array_equal(got, onehot):
        return "labels in {0, 1}: the SVMs need +1 for the class and -1 elsewhere"
    if got.shape == onehot.T.shape:
        return "the matrix is (num_classes, N): column k holds the labels of class k, (N, K)"
    return None
