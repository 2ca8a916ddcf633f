"""The checks of the data functions: the split, the normalization, the binary subset, the
one-vs-all labels and prediction.
Each calls the student's function through `Grading.op` on hidden inputs (inputs.py) and
compares what comes back, here, with the oracle (oracle.py) or with a property the answer
must have whatever its convention; a failure names the likely bug (diagnose.py).
"""

from __future__ import annotations

import math

import numpy as np

from autograder.assignments.soi1010 import diagnose, inputs, oracle
from autograder.assignments.soi1010.grading import (
    TORCH_IN_PLACE,
    Grading,
    bug,
    no_mutation,
    value_of,
)
from autograder.checks import Check, Verdict, failed, passed


def _array(out: object, key: str) -> np.ndarray | None:
    value = value_of(out, key)
    return None if value is None else np.asarray(value)


# ---------------------------------------------------------------- split_train_val


def _split(g: Grading, case: inputs.SplitCase, label: str) -> object:
    return g.op("split_train_val", "split_train_val", label, num_examples=case.num_examples,
                val_fraction=case.val_fraction, seed=case.seed)


def split_checks(seed: int) -> list[Check]:
    cases = inputs.split_cases(seed)

    def sizes(g: Grading) -> Verdict:
        for i, case in enumerate(cases):
            out = _split(g, case, f"case {i}")
            if not out.ok:
                return failed(g.failure("split_train_val", out.error))
            train, val = _array(out, "train"), _array(out, "val")
            exact = case.num_examples * case.val_fraction
            allowed = {math.floor(exact), round(exact), math.floor(exact + 0.5)}
            if val.ndim != 1 or train.ndim != 1:
                return failed(f"split_train_val returned index tensors of shapes "
                              f"{train.shape} and {val.shape}: both must be 1-dim",
                              diagnosis="split_train_val returns index tensors that are not "
                              "1-dim")
            if len(val) not in allowed or len(train) != case.num_examples - len(val):
                return failed(f"split_train_val({case.num_examples}, {case.val_fraction}) "
                              f"gave {len(train)} training and {len(val)} validation "
                              f"indices: expected {min(allowed)} for validation "
                              "(int(num_examples * val_fraction)) and the rest for training")
        return passed(f"train and validation sizes right on {len(cases)} calls")

    def disjoint(g: Grading) -> Verdict:
        for i, case in enumerate(cases):
            out = _split(g, case, f"case {i}")
            if not out.ok:
                return failed(g.failure("split_train_val", out.error))
            train, val = _array(out, "train"), _array(out, "val")
            if not (np.issubdtype(train.dtype, np.integer)
                    and np.issubdtype(val.dtype, np.integer)):
                return bug(f"the indices have dtypes {train.dtype} and {val.dtype}: "
                           "return int64 index tensors")
            both = np.concatenate([train.reshape(-1), val.reshape(-1)])
            if np.intersect1d(train, val).size:
                return bug("an index is in both the training and the validation split")
            if not np.array_equal(np.sort(both), np.arange(case.num_examples)):
                return failed(f"the two splits together are not every index of "
                              f"range({case.num_examples}) once")
            if len(val) > 1 and np.all(np.diff(np.sort(val)) == 1):
                return bug("the split is not shuffled: validation takes consecutive rows; "
                           "draw a random permutation from the seed")
        return passed("disjoint, covering every index once, shuffled")

    def reproducible(g: Grading) -> Verdict:
        case = cases[1]
        first = _split(g, case, "case 1")
        again = _split(g, case, "case 1 again")
        other = _split(g, inputs.SplitCase(case.num_examples, case.val_fraction,
                                           case.seed + 1), "case 1, another seed")
        for out in (first, again, other):
            if not out.ok:
                return failed(g.failure("split_train_val", out.error))
        if not np.array_equal(_array(first, "val"), _array(again, "val")):
            return bug("the same seed gave two different splits: draw the permutation from a "
                       "generator seeded with `seed` (torch.Generator().manual_seed(seed)), "
                       "not from the global random state")
        if np.array_equal(_array(first, "val"), _array(other, "val")):
            return bug("another seed gave the same split: the seed is not used")
        return passed("the same seed gives the same split, another seed another one")

    return [Check("split_train_val: 90/10 sizes", "split_train_val", "sizes", sizes),
            Check("split_train_val: disjoint and shuffled", "split_train_val", "disjoint",
                  disjoint),
            Check("split_train_val: reproducible from the seed", "split_train_val",
                  "reproducible", reproducible)]


# ---------------------------------------------------------------- normalize_splits


# How far from 0 and 1 the normalized training split's mean and std may lie.
STANDARDIZED = 1e-3


def normalize_checks(seed: int) -> list[Check]:
    case = inputs.splits_case(seed)

    def call(g: Grading) -> object:
        return g.op("normalize_splits", "normalize_splits", "splits", X_train=case.X_train,
                    X_val=case.X_val, X_test=case.X_test)

    def outputs(g: Grading) -> tuple[list[np.ndarray] | None, str]:
        out = call(g)
        if not out.ok:
            return None, g.failure("normalize_splits", out.error)
        got = [_array(out, k) for k in ("train", "val", "test")]
        for name, x, sent in zip(("X_train", "X_val", "X_test"), got,
                                 (case.X_train, case.X_val, case.X_test), strict=True):
            if x is None or x.shape[0] != sent.shape[0] or x.size != sent.size:
                return None, (f"the normalized {name} has shape "
                              f"{None if x is None else x.shape}, expected {sent.shape} "
                              "(or the same rows flattened)")
            if not np.all(np.isfinite(x)):
                return None, f"the normalized {name} contains nan or inf"
        return [x.reshape(x.shape[0], -1).astype(np.float64) for x in got], ""

    def standardized(g: Grading) -> Verdict:
        got, why = outputs(g)
        if got is None:
            return failed(why)
        # Tight: per-channel or whole-split statistics of X_train alone give mean 0 and
        # std 1 (biased or not: 4e-6 apart here); statistics pooled with the shifted
        # validation or test split are off by several hundredths.
        mean, std = got[0].mean(), got[0].std()
        if abs(mean) > STANDARDIZED or abs(std - 1) > STANDARDIZED:
            why = diagnose.pooled_statistics_bug(got[0], {
                "X_train": case.X_train, "X_val": case.X_val, "X_test": case.X_test})
            return failed(f"the normalized training split has mean {mean:.3g} and std "
                          f"{std:.3g}: " + (why or "subtract the training mean and divide "
                                            "by the training std"), diagnosis=why)
        return passed(f"the training split has mean {mean:.1e} and std {std:.4f}")

    def copies_agree(got: list[np.ndarray], split: int, rows: np.ndarray,
                     copies: np.ndarray) -> bool:
        return bool(np.allclose(got[split][rows], got[0][copies], atol=1e-4, rtol=1e-4))

    def training_statistics(g: Grading) -> Verdict:
        got, why = outputs(g)
        if got is None:
            return failed(why)
        if not copies_agree(got, 1, case.val_rows, case.val_copies):
            why = diagnose.normalize_bug(got[1][case.val_rows], got[0], case.val_copies)
            return failed("rows of X_val that equal rows of X_train are normalized "
                          "differently: " + (why or "use the training split's statistics "
                                             "for every split"), diagnosis=why)
        return passed("validation rows equal to training rows get the same outputs: the "
                      "training split's statistics are used")

    def shifted_split(g: Grading) -> Verdict:
        got, why = outputs(g)
        if got is None:
            return failed(why)
        if not copies_agree(got, 2, case.test_rows, case.test_copies):
            return failed("in a test split whose own statistics differ from the training "
                          "split's, rows equal to training rows are normalized differently: "
                          "each split is normalized with its own mean and std; use the "
                          "training split's for the test split too",
                          diagnosis=diagnose.OWN_STATISTICS)
        return passed("a shifted test split is normalized with the training statistics")

    return [Check("normalize_splits: the training split standardized", "normalize_splits",
                  "standardized", standardized),
            Check("normalize_splits: validation uses the training statistics",
                  "normalize_splits", "training_statistics", training_statistics),
            Check("normalize_splits: a shifted test split", "normalize_splits",
                  "shifted_split", shifted_split),
            Check("normalize_splits: inputs unchanged", "normalize_splits", "no_mutation",
                  lambda g: no_mutation(g, "normalize_splits", lambda: call(g),
                                        "X_train, X_val and X_test", fix=TORCH_IN_PLACE))]


# ---------------------------------------------------------------- binary_subset


def subset_checks(seed: int) -> list[Check]:
    case = inputs.subset_case(seed)
    keep = (case.y == case.positive) | (case.y == case.negative)

    def call(g: Grading) -> object:
        return g.op("binary_subset", "binary_subset", "subset", X=case.X, y=case.y,
                    positive_class=case.positive, negative_class=case.negative)

    def rows(g: Grading) -> Verdict:
        out = call(g)
        if not out.ok:
            return failed(g.failure("binary_subset", out.error))
        X = _array(out, "X")
        if X.shape != case.X[keep].shape or not np.allclose(X, case.X[keep]):
            return failed(f"binary_subset(X, y, {case.positive}, {case.negative}) returned "
                          f"rows of shape {X.shape}; expected the {keep.sum()} rows of the two "
                          "classes, in their original order")
        return passed(f"the {keep.sum()} rows of classes {case.positive} and "
                      f"{case.negative}, in order")

    def labels(g: Grading) -> Verdict:
        out = call(g)
        if not out.ok:
            return failed(g.failure("binary_subset", out.error))
        y = _array(out, "y")
        expected = np.where(case.y[keep] == case.positive, 1.0, -1.0)
        if y.shape == expected.shape and np.array_equal(y, (expected > 0).astype(y.dtype)):
            return bug(diagnose.SUBSET_LABELS_01)
        if y.shape != expected.shape or not np.array_equal(y, expected):
            return failed(f"the labels are not +1 for class {case.positive} and -1 for "
                          f"class {case.negative}, row by row")
        if not np.issubdtype(y.dtype, np.floating):
            return bug(f"the labels have dtype {y.dtype}: make them float (they multiply "
                       "the scores)")
        return passed("labels +1 / -1, float")

    return [Check("binary_subset: the two classes' rows", "binary_subset", "rows", rows),
            Check("binary_subset: labels +1 / -1", "binary_subset", "labels", labels)]


# ---------------------------------------------------------------- one-vs-all


def one_vs_all_checks(seed: int) -> list[Check]:
    y = inputs.labels_case(seed)
    models = inputs.models_case(seed)

    def labels(g: Grading) -> Verdict:
        out = g.op("one_vs_all_labels", "one_vs_all_labels", "labels", y=y,
                   num_classes=inputs.NUM_CLASSES)
        if not out.ok:
            return failed(g.failure("one_vs_all_labels", out.error))
        got = _array(out, "labels")
        expected = np.where(y[:, None] == np.arange(inputs.NUM_CLASSES)[None, :], 1.0, -1.0)
        if got.shape != expected.shape or not np.array_equal(got, expected):
            why = diagnose.labels_bug(got, y, inputs.NUM_CLASSES)
            return failed(why or f"column k must be +1 where y == k and -1 elsewhere, shape "
                          f"{expected.shape}; got shape {got.shape}", diagnosis=why)
        return passed(f"{expected.shape} labels, +1 in column y[i] and -1 elsewhere")

    def predict(g: Grading) -> Verdict:
        out = g.op("one_vs_all_predict", "one_vs_all_predict", "models", W=models.W,
                   b=models.b, X=models.X)
        if not out.ok:
            return failed(g.failure("one_vs_all_predict", out.error))
        got = _array(out, "y_pred")
        expected = oracle.predict(models.W, models.b, models.X)
        if got.shape == expected.shape and np.array_equal(got, expected):
            return passed("the argmax of ten models' raw scores, scaled unlike each other")
        why = diagnose.predict_bug(got, models.W, models.b, models.X)
        if got.shape != expected.shape:
            return failed(why or f"the predictions have shape {got.shape}, expected "
                          f"{expected.shape}", diagnosis=why)
        wrong = int(np.sum(got != expected))
        return failed(f"{wrong} of {len(expected)} predictions differ from the argmax of the "
                      "ten models' raw scores" + (f": {why}" if why else ""), diagnosis=why)

    return [Check("one_vs_all_labels: +1 / -1 columns", "one_vs_all_labels", "value", labels),
            Check("one_vs_all_predict: argmax of raw scores", "one_vs_all_predict", "value",
                  predict)]
