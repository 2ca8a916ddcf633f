"""The PyTorch edition's hidden checks (EECS 498-007 A2's API).

The losses are checked exactly as in the NumPy edition (assignments/linear/checks.py: the same
hidden cases, oracle, tolerances, mutation and speed checks; the child hands them to
student code as float64 tensors), and so are training and prediction (through the same
operations, on the same hidden problems) and the CIFAR-10 accuracy (the grader's reference
trained with the saved hyperparameters). What this edition adds:

- `sample_batch`: rows and labels drawn together, a new random minibatch each call
  (with or without replacement);
- the search functions: at least two learning rates and two regularization strengths,
  at most 25 combinations;
- `test_one_param_set`: trains the classifier it is given and reports the accuracies
  that the grader computes itself from the returned W;
- rules on the source (assignment.toml [rules], read by intake): no autograd in a function
  that computes its gradient by hand (its checks are not graded), and tensors made on the
  inputs' device (`device_agnostic`, one check per loss function).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping

import numpy as np

from autograder.assignments.linear import accuracy
from autograder.assignments.linear import checks as numpy_checks
from autograder.assignments.linear.checks import Api, Grading
from autograder.assignments.linear.grading import wrong_answer
from autograder.assignments.linear.inputs import LossCase
from autograder.assignments.linear_torch import reference
from autograder.checks import Check, CheckResult, Verdict, failed, passed
from autograder.outcome import Session
from autograder.rubric import Rubric

LOSS_FUNCTIONS = numpy_checks.LOSS_FUNCTIONS
CLASSIFIERS = numpy_checks.CLASSIFIERS
NAIVE_OF = numpy_checks.NAIVE_OF
VECTORIZED = numpy_checks.VECTORIZED
SEARCH = ("svm_get_search_params", "softmax_get_search_params")
TARGETS = (*LOSS_FUNCTIONS, "sample_batch", "train_linear_classifier",
           "predict_linear_classifier", *SEARCH, "test_one_param_set", *CLASSIFIERS)
API = Api(
    train="train_linear_classifier", predict="predict_linear_classifier",
    train_target="train_linear_classifier", predict_target="predict_linear_classifier",
    sample="sample_batch drawing indices with torch.randint(num_train, (batch_size,))",
    update="update W -= learning_rate * grad",
    init="keep the given W = 0.000001 * torch.randn(D, C, device=X.device, dtype=X.dtype)",
    classes="C = torch.max(y) + 1",
    argmax="torch.argmax(X.mm(W), dim=1)",
    argmax_scores="torch.argmax(scores, dim=1)",
    left_W="train_linear_classifier returned W None",
    training_also=("sample_batch: rows of X with their labels",),
    notebooks=dict.fromkeys(TARGETS[:-2], "linear_classifier.ipynb"),
    spellings=(
        ("np.max(scores, axis=1, keepdims=True)", "scores.max(dim=1, keepdim=True).values"),
        ("np.max(scores)", "scores.max()"),
        ("W.T.dot(W)", "W.t().mm(W)"), ("W.dot(W.T)", "W.mm(W.t())"),
        ("X.T.dot(", "X.t().mm("), ("X.dot(W)", "X.mm(W)"),
        ("np.clip(p, ", "torch.clamp(p, "), ("np.exp", "torch.exp"),
        ("np.sum(", "torch.sum("), ("np.arange(", "torch.arange("), ("np.empty", "torch.empty"),
        ("axis=1", "dim=1"), ("keepdims=True", "keepdim=True"),
    ),
)

DEVICE = "device"


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, 7_498, stream])


# ---------------------------------------------------------------- rules on the source


def device_check(fn: str) -> Check:
    """The source of `fn` (and the helpers it uses) makes no tensor off its inputs'
    device and moves none: read by intake, not reported by the child."""

    def evaluate(g: Grading) -> Verdict:
        # Only code that runs earns it (an untouched stub makes no tensor either).
        out = g.loss(fn, g.cases(fn)[0])
        if not out.ok:
            return failed(g.failure(fn, out.error))
        found = g.findings.get(DEVICE, {}).get(fn)
        if not found:
            return passed("every tensor it makes follows its inputs' device")
        return failed(f"{fn} would fail on a GPU: {', '.join(found[:3])}; make new tensors "
                      "with device=X.device (or torch.zeros_like(W)) and keep the inputs "
                      "where they are, without .cuda(), .cpu(), .numpy() or .to(device)")

    return Check(f"{fn}: device-agnostic", fn, "device_agnostic", evaluate, of_correctness=False)


# ---------------------------------------------------------------- sample_batch


def _batch(g: Grading, N: int, batch_size: int, memo: str, seed: int | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None, str | None]:
    """(X, y, X_batch, y_batch, why not) of one sample_batch call on N distinct rows, with
    torch seeded by `seed` (the grading run's by default)."""
    rng = _rng(g.seed, N)
    X = rng.normal(size=(N, 4))
    y = rng.integers(0, 10, size=N).astype(np.int64)
    out = g.call("sample_batch", "sample_batch", memo=("sample", memo), X=X, y=y,
                 num_train=N, batch_size=batch_size, seed=g.seed if seed is None else seed)
    if not out.ok:
        return X, y, None, None, g.failure("sample_batch", out.error)
    value = out.value if isinstance(out.value, Mapping) else {}
    return X, y, np.asarray(value.get("X_batch")), np.asarray(value.get("y_batch")), None


def _rows_of(X: np.ndarray, X_batch: np.ndarray) -> np.ndarray | None:
    """The index in X of each row of X_batch, or None if one is not a row of X."""
    if X_batch.ndim != 2 or X_batch.shape[1] != X.shape[1]:
        return None
    match = np.all(X_batch[:, None, :] == X[None, :, :], axis=2)
    if not np.all(match.any(axis=1)):
        return None
    return match.argmax(axis=1)


def sample_rows_check() -> Check:
    """sample_batch(X, y, 50, 20): 20 rows of X with their own labels."""

    def evaluate(g: Grading) -> Verdict:
        X, y, X_batch, y_batch, why = _batch(g, 50, 20, "rows")
        if why:
            return failed(why)
        if X_batch.shape != (20, X.shape[1]) or y_batch.shape != (20,):
            return failed(f"sample_batch(X, y, 50, batch_size=20) returned X_batch of shape "
                          f"{X_batch.shape} and y_batch of shape {y_batch.shape}: expected "
                          f"(20, {X.shape[1]}) and (20,)")
        rows = _rows_of(X, X_batch)
        if rows is None:
            return failed("X_batch holds rows that are not rows of X: index X with the "
                          "sampled indices, X[idx]")
        if not np.array_equal(y_batch, y[rows]):
            return failed("y_batch does not hold the labels of the rows in X_batch: index X "
                          "and y with the same indices")
        return passed("20 rows of X with their labels")

    return Check("sample_batch: rows of X with their labels", "sample_batch", "rows_and_labels",
                 evaluate)


def sample_random_check() -> Check:
    """Two calls of sample_batch(X, y, 50, 20), torch seeded differently, draw different
    rows: a new minibatch at random each call. With or without replacement alike: the
    course hints at torch.randint, and nothing larger than the data is asked."""

    def evaluate(g: Grading) -> Verdict:
        X, _, first, _, why = _batch(g, 50, 20, "rows")
        if why:
            return failed(why)
        _, _, second, _, why = _batch(g, 50, 20, "again", seed=g.seed + 1)
        if why:
            return failed(why)
        rows = [_rows_of(X, batch) for batch in (first, second)]
        if any(r is None for r in rows):
            return failed("X_batch holds rows that are not rows of X (see sample_batch: rows "
                          "of X with their labels), so whether they are drawn at random "
                          "cannot be told")
        if np.array_equal(np.sort(rows[0]), np.sort(rows[1])):
            return failed("two calls of sample_batch(X, y, num_train=50, batch_size=20) "
                          "returned the same rows: draw new indices at random in each call, "
                          "idx = torch.randint(num_train, (batch_size,)) (or without "
                          "replacement, torch.randperm(num_train)[:batch_size])")
        return passed("a new random minibatch each call")

    return Check("sample_batch: random minibatches", "sample_batch", "random_minibatches",
                 evaluate)


# ---------------------------------------------------------------- the search


def search_check(fn: str, least: int = 2, most: int = 25) -> Check:
    """`fn()` returns (learning_rates, regularization_strengths): at least `least` of each
    (positive finite rates, strengths >= 0) and at most `most` combinations, as the
    starter's docstring asks ("at least two param for each, and total grid search
    combinations should be less than 25"; 5 x 5 is what many students try). A list, a
    tuple, an array or a tensor: the notebook's loops take any of them."""

    def evaluate(g: Grading) -> Verdict:
        out = g.call(fn, "search_params", memo=("search", fn), fn=fn)
        if not out.ok:
            return failed(g.failure(fn, out.error))
        value = out.value if isinstance(out.value, Mapping) else {}
        rates = np.asarray(value.get("learning_rates"), dtype=np.float64).reshape(-1)
        strengths = np.asarray(value.get("regularization_strengths"),
                               dtype=np.float64).reshape(-1)
        if not (np.all(np.isfinite(rates)) and np.all(rates > 0)):
            return failed(f"{fn} returned learning rates {rates.tolist()}: each must be a "
                          "positive number")
        if not (np.all(np.isfinite(strengths)) and np.all(strengths >= 0)):
            return failed(f"{fn} returned regularization strengths {strengths.tolist()}: "
                          "each must be a number >= 0")
        few = [f"{len(np.unique(found))} different {what}" for what, found in
               (("learning rates", rates), ("regularization strengths", strengths))
               if len(np.unique(found)) < least]
        if few:
            return failed(f"{fn} returned {' and '.join(few)}: a search tries at least "
                          f"{least} different values of each")
        combos = len(rates) * len(strengths)
        if combos > most:
            return failed(f"{fn} gives {len(rates)} x {len(strengths)} = {combos} "
                          f"combinations: the search should try at most {most}")
        return passed(f"{len(rates)} x {len(strengths)} = {combos} combinations")

    return Check(f"{fn}: at least {least} of each, at most {most} combinations", fn,
                 "combinations", evaluate)


def _clusters(rng: np.random.Generator, N: int, C: int, centres: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(N) % C
    X = centres[y] + rng.normal(scale=0.3, size=(N, centres.shape[1]))
    X[:, -1] = 1.0
    return X, y.astype(np.int64)


def _reports(reported: object, accuracy: float | None) -> bool:
    """`reported` is `accuracy`, as a fraction or a percentage."""
    try:
        value = float(reported)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return accuracy is not None and any(
        math.isclose(value, scale * accuracy, abs_tol=1e-6 * scale) for scale in (1.0, 100.0))


def _shown(reported: object) -> str:
    try:
        return f"{float(reported):.4g}"  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return repr(reported)[:40]


def _own_accuracy(g: Grading, split: str, W: np.ndarray, X: np.ndarray, y: np.ndarray
                  ) -> float | None:
    """Accuracy of the student's predict_linear_classifier's labels (None if it fails)."""
    out = g.call("predict_linear_classifier", "predict", memo=("one", split), cls="LinearSVM",
                 W=W, X=X)
    labels = out.value.get("y_pred") if out.ok and isinstance(out.value, Mapping) else None
    labels = np.asarray(labels) if labels is not None else None
    if labels is None or labels.shape != y.shape or not np.issubdtype(labels.dtype, np.number):
        return None
    return float(np.mean(labels == y))


# test_one_param_set's second problem: every row a copy of one unit row of class 2 (so
# C = 3), and a learning rate at which SGD needs 5,000 iterations before any SVM margin
# closes. Until then every step is -lr * G, the same G whatever the batch, so cls.W tells
# how many iterations of lr it got: ITERATIONS, unless num_iters (or lr) was replaced. The
# starting W (the template's 0.000001 * randn, drawn by the student's seed) moves that
# count by about 0.01 of an iteration: far inside STEPS_TOLERANCE, whatever the seed.
ITERATIONS = 7
MARGIN_STEPS = 5_000
STEPS_TOLERANCE = 0.5


def _iterations_problem(g: Grading) -> str | None:
    """How far test_one_param_set trained on copies of one row, if not ITERATIONS steps of
    the given lr; None when it did (or when your loss or train cannot tell it)."""
    rng = _rng(g.seed, 1)
    x = np.append(rng.normal(size=3), 1.0)
    x /= np.linalg.norm(x)
    X, y = np.tile(x, (300, 1)), np.full(300, 2, dtype=np.int64)
    lr = 1.0 / (MARGIN_STEPS * 3)
    out = g.call("test_one_param_set", "one_param_set", memo=("one", "iterations"),
                 cls="LinearSVM", X_train=X, y_train=y, X_val=X[:10], y_val=y[:10], lr=lr,
                 reg=0.0, num_iters=ITERATIONS, seed=g.seed)
    W = np.asarray(out.value.get("W")) if out.ok and isinstance(out.value, Mapping) else None
    case = LossCase("copies of one row, W = 0", np.zeros((4, 3)), X[:200], y[:200], 0.0)
    if W is None or W.shape != (4, 3) or \
            wrong_answer(g, "svm_loss_vectorized", case, g.loss("svm_loss_vectorized", case)):
        return None
    G = g.oracle("svm_loss_vectorized", case)[1]
    steps = -float(np.sum(W * G)) / (lr * float(np.sum(G * G)))
    if abs(steps - ITERATIONS) <= STEPS_TOLERANCE:
        return None
    far = f"{MARGIN_STEPS:,} or more" if steps > 0.9 * MARGIN_STEPS else f"about {steps:.0f}"
    return (f"test_one_param_set(cls, data_dict, lr, reg, num_iters={ITERATIONS}) left cls.W "
            f"where {far} iterations of that lr take it: train with the num_iters and lr it "
            "is given, cls.train(X_train, y_train, lr, reg, num_iters) (remove a num_iters = "
            "... left from testing)")


def one_param_set_check() -> Check:
    """test_one_param_set(LinearSVM(), data, lr, reg, num_iters) on well separated
    clusters (a tenth of the validation labels flipped): the returned cls is trained (its
    W classifies them), and the accuracies it reports are those of that W on each split,
    computed here (as fractions, or as percentages)."""
    lr, reg, num_iters = 1e-1, 1e-3, 100

    def evaluate(g: Grading) -> Verdict:
        rng = _rng(g.seed, 0)
        centres = rng.normal(scale=3.0, size=(3, 8))
        # More rows than the default batch (200): a sample_batch drawing without
        # replacement, as honest as one with, never meets a batch larger than the data.
        X_train, y_train = _clusters(rng, 300, 3, centres)
        X_val, y_val = _clusters(rng, 60, 3, centres)
        # A tenth of the validation labels wrong: its accuracy is then about 0.9, not the
        # training split's 1.0, so the two reported accuracies cannot be swapped unseen.
        wrong = rng.choice(len(y_val), size=6, replace=False)
        y_val[wrong] = (y_val[wrong] + 1) % 3
        out = g.call("test_one_param_set", "one_param_set", memo=("one",), cls="LinearSVM",
                     X_train=X_train, y_train=y_train, X_val=X_val, y_val=y_val, lr=lr,
                     reg=reg, num_iters=num_iters, seed=g.seed)
        if not out.ok:
            return failed(g.failure("test_one_param_set", out.error))
        value = out.value if isinstance(out.value, Mapping) else {}
        W = np.asarray(value.get("W"))
        if W.shape != (X_train.shape[1], 3) or not np.all(np.isfinite(W)):
            return failed(f"cls.W after test_one_param_set has shape {W.shape}: train cls "
                          "with cls.train(X_train, y_train, lr, reg, num_iters)")
        train_acc = accuracy.accuracy_of(W, X_train, y_train)
        val_acc = accuracy.accuracy_of(W, X_val, y_val)
        for name, reported, actual, X, y in (
                ("train_acc", value.get("train_acc"), train_acc, X_train, y_train),
                ("val_acc", value.get("val_acc"), val_acc, X_val, y_val)):
            # Right for this W, or for what your own predict says of it (whose own check
            # tells what is wrong with it: one bug costs one check).
            if not (_reports(reported, actual)
                    or _reports(reported, _own_accuracy(g, name, W, X, y))):
                return failed(f"test_one_param_set reported {name} = {_shown(reported)}, "
                              f"but the W of the cls it returned scores {actual:.4f} on that "
                              "split: compute it from cls.predict on data_dict's split")
        verified = g.verified("train_linear_classifier", "sample_batch")
        iterations = _iterations_problem(g) if verified else None
        if iterations:
            return failed(iterations)
        if train_acc < 0.9 and verified:
            return failed(f"after test_one_param_set, cls.W classifies only {train_acc:.2f} "
                          "of three well separated clusters: train cls with the lr, reg and "
                          "num_iters given (see also train_linear_classifier's checks)")
        if train_acc < 0.9:
            # Your train is at fault, and its own checks say so: one bug, one check.
            return passed(f"reported both accuracies of the cls it trained (train accuracy "
                          f"{train_acc:.2f}: how well it trains is judged by "
                          "train_linear_classifier's checks)")
        return passed(f"trained (train accuracy {train_acc:.2f}, val {val_acc:.2f}) and "
                      "reported both accuracies")

    return Check("test_one_param_set: trains cls and reports its accuracies",
                 "test_one_param_set", "trains_and_scores", evaluate)


# ---------------------------------------------------------------- the reference


def reference_cells() -> dict[str, str]:
    """The torch reference losses as definition cells for the timing session."""
    return {name: inspect.getsource(getattr(reference, name)) for name in LOSS_FUNCTIONS}


# The parent's own training (NumPy, float32) with each student's hyperparameters, on the
# same pixels and the same rubric tables: the same model whichever library the student
# wrote it in.
reference_train = numpy_checks.reference_train
# The loss functions' class-common probe calls: the same operation, here on tensors.
probes = numpy_checks.probes
prepare_data = numpy_checks.prepare_data
parse_rubric = numpy_checks.parse_rubric
limits_note = numpy_checks.limits_note


# ---------------------------------------------------------------- the list


def build_checks(seed: int, rubric: Rubric) -> list[Check]:
    """Every hidden check of this edition, in the order they run (the same list for every
    submission, whatever its layout or the files it holds)."""
    checks = [c for c in numpy_checks.build_checks(seed, rubric, api=API)
              if c.target in LOSS_FUNCTIONS]
    checks += [device_check(fn) for fn in LOSS_FUNCTIONS]
    checks += [sample_rows_check(), sample_random_check()]
    checks += numpy_checks.classifier_checks(API)
    checks += [search_check(fn) for fn in SEARCH]
    checks.append(one_param_set_check())
    checks += accuracy.accuracy_checks(rubric, CLASSIFIERS)
    return checks


def run_checks(session: Session, seed: int, rubric: Rubric,
               targets: Iterable[str] | None = None, *,
               submission: object = None, **options: object) -> list[CheckResult]:
    """Run this edition's checks (see autograder.checks.run_checks for the options)."""
    return numpy_checks.run(build_checks(seed, rubric), TARGETS, session, seed,
                            rubric, targets=targets, api=API,
                            findings=getattr(submission, "findings", None) or {},
                            **options)
