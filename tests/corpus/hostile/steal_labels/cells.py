# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: find CIFAR-10 (the accuracy check's answers, or the split the grader trains on)
# in the child's own folders, in a data folder the harness might name, or in the raw data
# set. Defence: no CIFAR-10 file is given to the child at all (the grader trains and scores
# in the parent), and the raw data set's folder ($CIFAR10_DIR) is not in the child's root.


# --- cell: svm_loss_naive
import gc
import json
import os


def svm_loss_naive(W, X, y, reg):
    report = {"env": sorted(k for k in os.environ if "CIFAR" in k)}
    harness = [o for o in gc.get_objects() if type(o).__name__ == "Harness"]
    config = harness[0].cfg if harness else {}
    report["config"] = sorted(k for k in config if "data" in k or "cifar" in k.lower())
    report["/sandbox"] = sorted(os.listdir("/sandbox")) if os.path.isdir("/sandbox") else None
    paths = bytes(X.astype(np.uint8).ravel()).decode().split("\n")
    paths += [f"/sandbox/data/{n}.npy" for n in ("X_train", "y_train", "y_val", "y_test")]
    for path in paths:
        try:
            with open(path, "rb") as f:
                report[path] = "read: " + f.read(100).decode("latin1")
        except Exception as exc:
            report[path] = f"failed: {type(exc).__name__}"
    raise RuntimeError(json.dumps(report))
