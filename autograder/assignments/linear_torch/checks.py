"""The PyTorch edition's hidden checks (EECS 498-007 A2's API).

The losses are checked exactly as in the NumPy edition (assignments/linear/checks.py: the same
hidden cases, oracle, tolerances, mutation and speed checks; the child hands them to
student code as float64 tensors), and so are training and prediction (through the same
operations, on the same hidden problems) and the CIFAR-10 accuracy (the grader's reference
trained with the saved hyperparameters). What this edition adds:

- `sample_batch`: rows and labels drawn together, with replacement when the batch is
  larger than the data;
- the search functions: 5 to 25 (learning rate, regularization) combinations;
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
from autograder.assignments.linear import reference as numpy_reference
from autograder.assignments.linear.checks import Api, Grading
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
POINT_KEYS: dict[str, tuple[str, ...]] = {
    **{fn: (*numpy_checks.POINT_KEYS[fn], "device_agnostic") for fn in LOSS_FUNCTIONS},
    "sample_batch": ("rows_and_labels", "with_replacement"),
    "train_linear_classifier": ("train_returns_one_loss_per_iteration",
                                "train_samples_with_replacement", "train_gradient_step",
                                "train_initialises_W"),
    "predict_linear_classifier": ("predict_argmax",),
    **{fn: ("combinations",) for fn in SEARCH},
    "test_one_param_set": ("trains_and_scores",),
    **{cls: numpy_checks.POINT_KEYS[cls] for cls in CLASSIFIERS},
}

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
)

DEVICE = "device"


def _rng(seed: int, stream: int) -> np.random.Generator:
    return np.random.default_rng([int(seed) & 0xFFFFFFFF, 7_498, stream])


# ---------------------------------------------------------------- rules on the source


def device_check(fn: str, points: float) -> Check:
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

    return Check(f"{fn}: device-agnostic", fn, points, evaluate, of_correctness=False)


# ---------------------------------------------------------------- sample_batch


def _batch(g: Grading, N: int, batch_size: int, memo: str
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None, str | None]:
    """(X, y, X_batch, y_batch, why not) of one sample_batch call on N distinct rows."""
    rng = _rng(g.seed, N)
    X = rng.normal(size=(N, 4))
    y = rng.integers(0, 10, size=N).astype(np.int64)
    out = g.call("sample_batch", "sample_batch", memo=("sample", memo), X=X, y=y,
                 num_train=N, batch_size=batch_size, seed=g.seed)
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


def sample_rows_check(points: float) -> Check:
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

    return Check("sample_batch: rows of X with their labels", "sample_batch", points, evaluate)


def sample_replacement_check(points: float) -> Check:
    """batch_size 16 > num_train 5 works: 16 rows of X come back. Where batch_size <=
    num_train, either way of sampling is what the course allows (CS231n: "with
    replacement is faster"), so nothing more is asked."""

    def evaluate(g: Grading) -> Verdict:
        fix = "sample WITH replacement: idx = torch.randint(num_train, (batch_size,))"
        X, _, X_batch, _, why = _batch(g, 5, 16, "small")
        if why:
            return failed(f"{why} (batch_size=16 > num_train=5): {fix}")
        if X_batch.shape != (16, X.shape[1]) or _rows_of(X, X_batch) is None:
            return failed(f"sample_batch(X, y, num_train=5, batch_size=16) returned "
                          f"{X_batch.shape[0] if X_batch.ndim else 0} rows: {fix}")
        return passed("batch_size > num_train works: rows repeat, as with replacement")

    return Check("sample_batch: with replacement", "sample_batch", points, evaluate)


# ---------------------------------------------------------------- the search


def search_check(fn: str, points: float, low: int = 5, high: int = 25) -> Check:
    """`fn()` returns (learning_rates, regularization_strengths) giving low..high
    combinations of positive finite values (zero allowed for a strength)."""

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
        combos = len(rates) * len(strengths)
        if not low <= combos <= high:
            return failed(f"{fn} gives {len(rates)} x {len(strengths)} = {combos} "
                          f"combinations: the search should try {low} to {high}")
        return passed(f"{combos} combinations")

    return Check(f"{fn}: {low} to {high} combinations", fn, points, evaluate)


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


def one_param_set_check(points: float) -> Check:
    """test_one_param_set(LinearSVM(), data, lr, reg, num_iters) on well separated
    clusters (a tenth of the validation labels flipped): the returned cls is trained (its
    W classifies them), and the accuracies it reports are those of that W on each split,
    computed here (as fractions, or as percentages)."""
    lr, reg, num_iters = 1e-1, 1e-3, 100

    def evaluate(g: Grading) -> Verdict:
        rng = _rng(g.seed, 0)
        centres = rng.normal(scale=3.0, size=(3, 8))
        X_train, y_train = _clusters(rng, 150, 3, centres)
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
        if train_acc < 0.9 and g.verified("train_linear_classifier", "sample_batch"):
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
                 "test_one_param_set", points, evaluate)


# ---------------------------------------------------------------- the reference


def reference_cells() -> dict[str, str]:
    """The torch reference losses as definition cells for the timing session."""
    return {name: inspect.getsource(getattr(reference, name)) for name in LOSS_FUNCTIONS}


# The parent's own training (NumPy, float32) with each student's hyperparameters: the same
# model on the same pixels, whichever library the student wrote it in.
reference_train = numpy_reference.train


# ---------------------------------------------------------------- the list


def build_checks(seed: int, rubric: Rubric) -> list[Check]:
    """Every hidden check of this edition, in the order they run (the same list for every
    submission, whatever its layout or the files it holds)."""
    checks = [c for c in numpy_checks.build_checks(seed, rubric, api=API)
              if c.target in LOSS_FUNCTIONS]
    checks += [device_check(fn, rubric.points[fn]["device_agnostic"])
               for fn in LOSS_FUNCTIONS]
    points = rubric.points["sample_batch"]
    checks += [sample_rows_check(points["rows_and_labels"]),
               sample_replacement_check(points["with_replacement"])]
    checks += numpy_checks.classifier_checks(rubric, API)
    checks += [search_check(fn, rubric.points[fn]["combinations"]) for fn in SEARCH]
    checks.append(one_param_set_check(rubric.points["test_one_param_set"]
                                      ["trains_and_scores"]))
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
