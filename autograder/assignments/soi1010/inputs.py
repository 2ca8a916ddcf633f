"""The hidden inputs of the SOI1010 checks, drawn from the grading run's seed (a
submission's content hash): the same for a regrade, useless to hard-code.

- hinge: margins y * s on both sides of 1 and none within 0.05 of it (the gradient is then
  well defined), lam 0 and > 0, scores (N,) and (N, 1) (what nn.Linear(D, 1) returns);
- cross-entropy: small logits, one row, and logits around 1e3 (exp overflows in float64
  past about 709: only a stable loss survives them);
- splits: sizes whose validation share has a fraction to round;
- normalization: X_val holds copies of training rows; X_test is shifted and scaled (its own
  statistics far from the training split's) and holds copies of training rows too;
- training: small separable problems a correct SGD learns in a few epochs;
- one-vs-all: ten hidden linear models whose score scales differ by orders of magnitude
  (argmax over per-model rescaled scores then differs from the raw argmax).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NUM_CLASSES = 10
IMAGE = (3, 32, 32)   # torchvision's CIFAR-10 tensors: channels first


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([seed, stream])


@dataclass(frozen=True)
class HingeCase:
    label: str
    scores: np.ndarray   # (N,) or (N, 1)
    y: np.ndarray        # (N,) of +-1.0
    w: np.ndarray        # (1, D)
    lam: float


def hinge_cases(seed: int) -> list[HingeCase]:
    rng = _rng(seed, 1)
    cases = []
    for label, n, d, lam, column in (("N=7, D=5, lam=0, scores (N,)", 7, 5, 0.0, False),
                                     ("N=64, D=40, lam=0.1, scores (N, 1)", 64, 40, 0.1, True),
                                     ("N=200, D=3072, lam=1e-3, scores (N, 1)", 200, 3072,
                                      1e-3, True)):
        y = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
        rng.shuffle(y)
        # Margins on both sides of 1, none within 0.05 of the kink.
        low = rng.uniform(-2.0, 0.95, n)
        high = rng.uniform(1.05, 3.0, n)
        margins = np.where(rng.random(n) < 0.5, low, high)
        margins[:2] = (0.5, 2.0)
        scores = margins * y
        cases.append(HingeCase(label, scores.reshape(n, 1) if column else scores, y,
                               rng.normal(0, 0.5, (1, d)), lam))
    return cases


@dataclass(frozen=True)
class LogitsCase:
    label: str
    logits: np.ndarray   # (N, C)
    y: np.ndarray        # (N,) int64
    large: bool = False


def logits_cases(seed: int) -> list[LogitsCase]:
    rng = _rng(seed, 2)
    cases = []
    for label, n, c, scale, offset, large in (("N=50, C=10", 50, 10, 2.0, 0.0, False),
                                              ("N=1, C=3", 1, 3, 1.0, 0.0, False),
                                              ("N=40, C=10, logits around 1e3", 40, 10, 30.0,
                                               1000.0, True)):
        logits = rng.normal(0, scale, (n, c)) + offset
        cases.append(LogitsCase(label, logits, rng.integers(0, c, n), large))
    return cases


@dataclass(frozen=True)
class SplitCase:
    num_examples: int
    val_fraction: float
    seed: int


def split_cases(seed: int) -> list[SplitCase]:
    rng = _rng(seed, 3)
    return [SplitCase(50000, 0.1, int(rng.integers(0, 2**31))),
            SplitCase(int(rng.integers(200, 400)) * 10 + 5, 0.1, int(rng.integers(0, 2**31))),
            SplitCase(int(rng.integers(100, 300)), 0.25, int(rng.integers(0, 2**31)))]


@dataclass(frozen=True)
class SplitsCase:
    X_train: np.ndarray   # (N, 3, 32, 32)
    X_val: np.ndarray
    X_test: np.ndarray
    val_copies: np.ndarray    # rows (val_rows[i]) of X_val are X_train[val_copies[i]]
    test_copies: np.ndarray   # rows (test_rows[i]) of X_test are X_train[test_copies[i]]
    test_rows: np.ndarray
    val_rows: np.ndarray


def splits_case(seed: int) -> SplitsCase:
    """Image-like splits (pixels in [0, 1], per-channel statistics that differ). The
    validation and test splits are each shifted from the training split (statistics taken
    over torch.cat([X_train, X_val]) do not standardize the training split), with a few
    rows copied from it (the same statistics give them the same outputs)."""
    rng = _rng(seed, 4)
    channel = np.array([0.49, 0.48, 0.45]).reshape(1, 3, 1, 1)
    X_train = np.clip(channel + rng.normal(0, 0.25, (120, *IMAGE)), 0, 1)
    X_val = 0.5 * np.clip(channel + rng.normal(0, 0.25, (30, *IMAGE)), 0, 1) + 0.35
    val_rows = rng.choice(30, 8, replace=False)
    val_copies = rng.choice(120, 8, replace=False)
    X_val[val_rows] = X_train[val_copies]
    X_test = 0.3 * np.clip(channel + rng.normal(0, 0.25, (40, *IMAGE)), 0, 1) + 0.6
    test_rows = rng.choice(40, 8, replace=False)
    test_copies = rng.choice(120, 8, replace=False)
    X_test[test_rows] = X_train[test_copies]
    return SplitsCase(X_train, X_val, X_test, val_copies, test_copies, test_rows, val_rows)


@dataclass(frozen=True)
class SubsetCase:
    X: np.ndarray       # (N, D)
    y: np.ndarray       # (N,) int64
    positive: int
    negative: int


def subset_case(seed: int) -> SubsetCase:
    rng = _rng(seed, 5)
    positive, negative = (int(c) for c in rng.choice(NUM_CLASSES, 2, replace=False))
    return SubsetCase(rng.normal(size=(300, 12)), rng.integers(0, NUM_CLASSES, 300),
                      positive, negative)


def labels_case(seed: int) -> np.ndarray:
    """Labels (N,) holding every class, in random order."""
    rng = _rng(seed, 6)
    return rng.permutation(np.concatenate([np.arange(NUM_CLASSES),
                                           rng.integers(0, NUM_CLASSES, 53)]))


@dataclass(frozen=True)
class ModelsCase:
    W: np.ndarray   # (K, D)
    b: np.ndarray   # (K,)
    X: np.ndarray   # (N, D)


def models_case(seed: int) -> ModelsCase:
    """Ten models whose scores differ in scale by up to 1e3."""
    rng = _rng(seed, 7)
    scales = 10.0 ** rng.uniform(-1.5, 1.5, NUM_CLASSES)
    W = rng.normal(size=(NUM_CLASSES, 16)) * scales[:, None]
    b = rng.normal(size=NUM_CLASSES) * scales
    return ModelsCase(W, b, rng.normal(size=(97, 16)))


@dataclass(frozen=True)
class Problem:
    """A small training problem: X (N, D) float32, labels, and the SGD settings."""

    X: np.ndarray
    y: np.ndarray
    lr: float
    batch_size: int
    epochs: int
    seed: int


def binary_problem(seed: int) -> Problem:
    """Two well separated clusters, labels +-1.0 (float32)."""
    rng = _rng(seed, 8)
    n, d = 400, 20
    direction = rng.normal(size=d)
    direction /= np.linalg.norm(direction)
    y = np.where(rng.random(n) < 0.5, 1.0, -1.0)
    X = rng.normal(size=(n, d)) + 2.0 * y[:, None] * direction + 0.5
    return Problem(X.astype(np.float32), y.astype(np.float32), 0.05, 32, 10,
                   int(rng.integers(0, 2**31)))


def multiclass_problem(seed: int) -> Problem:
    """Ten well separated clusters, labels 0..9 (int64)."""
    rng = _rng(seed, 9)
    n, d = 600, 20
    centers = rng.normal(size=(NUM_CLASSES, d)) * 3.0
    y = rng.integers(0, NUM_CLASSES, n)
    X = centers[y] + rng.normal(size=(n, d))
    return Problem(X.astype(np.float32), y.astype(np.int64), 0.05, 32, 10,
                   int(rng.integers(0, 2**31)))


def step_problem(seed: int, classes: int) -> Problem:
    """Rows (64 x 20, entries of about 0.1) for full-batch SGD steps."""
    rng = _rng(seed, 10 + classes)
    X = rng.normal(0.0, 0.1, (64, 20)).astype(np.float32)
    y = (np.where(rng.random(64) < 0.5, 1.0, -1.0).astype(np.float32) if classes == 1
         else rng.integers(0, NUM_CLASSES, 64).astype(np.int64))
    return Problem(X, y, 0.05, 64, 1, int(rng.integers(0, 2**31)))


def batch_problem(seed: int, classes: int) -> Problem:
    """One row repeated 60 times with one label: every minibatch's mean gradient is the
    whole problem's, so one epoch at batch size 12 is exactly five full-batch steps
    whatever the shuffling (a count no batch size of 8, 16, 32 or 64 gives)."""
    rng = _rng(seed, 30 + classes)
    X = np.tile(rng.normal(0.0, 0.1, (1, 20)), (60, 1)).astype(np.float32)
    label = 1.0 if classes == 1 else int(rng.integers(0, NUM_CLASSES))
    y = np.full(60, label, dtype=np.float32 if classes == 1 else np.int64)
    return Problem(X, y, 0.05, 12, 1, int(rng.integers(0, 2**31)))
