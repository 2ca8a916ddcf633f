# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (reach outside, files): read the kit's checkout (rubric, hidden checks, corpus,
# .git), the raw CIFAR-10 folder with the test labels, /root, /home, /etc, the host's /tmp
# with other sessions' scratch folders (autograder-sandbox-*) and the grader's CIFAR-10
# copy (autograder-cifar10-*), find a CIFAR-10 folder of the child's own (there is none),
# and write into the submission.
# The checkout's path is learnt from the editable install's finder in site-packages; an
# installed kit (non-editable, the Gradescope image, conda) is looked for in every folder
# on sys.path, imported, and asked for by its distribution's name.
# Defence: the allow-list root (pivot_root): none of it is there; every install folder
# holds only the distributions student code needs; all but /sandbox/work is read-only,
# and the session's uid owns nothing else.


# --- cell: svm_loss_naive
import glob
import importlib
import importlib.metadata
import os
import re
import sys


def _probe():
    leaks, info = [], []
    roots = {"/work/main", "/work"}
    for path in sys.path:
        for finder in glob.glob(os.path.join(path, "__editable__*finder.py")):
            try:
                text = open(finder).read()
                roots |= {os.path.dirname(p) for p in re.findall(r"'(/[^']+)'", text)}
            except OSError:
                pass
    info.append("kit roots named: " + ",".join(sorted(roots)))
    for name in ("autograder", "autograder.assignments.linear.oracle", "cs231n_data"):
        try:
            importlib.import_module(name)
            leaks.append(f"imported {name}")
        except BaseException:
            pass
    try:
        importlib.metadata.distribution("linear-classifiers-kit")
        leaks.append("found the kit's distribution")
    except BaseException:
        pass
    for path in sys.path:
        roots.add(path)
        for pattern in ("autograder", "cs231n_data", "linear_classifiers_kit*"):
            leaks += [f"found {found}" for found in glob.glob(os.path.join(path, pattern))]
    targets = []
    for root in roots:
        targets += [f"{root}/autograder/assignments/linear/rubric.toml",
                    f"{root}/autograder/assignments/linear/child.py",
                    f"{root}/autograder/assignments/linear/checks.py",
                    f"{root}/autograder/assignments/linear/inputs.py", f"{root}/autograder/checks.py",
                    f"{root}/autograder/assignments/linear/oracle.py",
                    f"{root}/autograder/assignments/linear/reference.py",
                    f"{root}/.git/HEAD",
                    f"{root}/tests/corpus/hostile/seed_precompute/cells.py",
                    f"{root}/source/linear/svm.ipynb", f"{root}/shared/data/cifar-10-batches-py/test_batch"]
    targets += ["/work/shared/data/cifar-10-batches-py/test_batch", "/root/.bashrc",
                "/root/.ssh/id_rsa", "/etc/shadow", "/etc/passwd", "/etc/hostname",
                "/proc/1/root/work/main/autograder/assignments/linear/rubric.toml"]
    for path in targets:
        try:
            with open(path, "rb") as f:
                f.read(16)
            leaks.append(f"read {path}")
        except OSError:
            pass
    # Folders on the way to Python's own (the venv, pyenv, wherever the kit is checked
    # out) hold only that way down.
    way = {"/var": {"tmp"}}
    for path in (*sys.path, sys.prefix, sys.base_prefix):
        parts = os.path.abspath(path).split(os.sep)[1:]
        for depth in range(len(parts)):
            way.setdefault("/" + "/".join(parts[:depth]), set()).add(parts[depth])
    for folder in ("/tmp", "/var/tmp", "/dev/shm", "/run", "/root", "/root/.pyenv", "/home",
                   "/work", "/work/main", "/mnt", "/media", "/srv", "/opt", "/var"):
        try:
            found = set(os.listdir(folder)) - way.get(folder, set())
        except OSError:
            continue
        if found:
            leaks.append(f"listed {folder}: {sorted(found)[:5]}")
    for pattern in ("/tmp/autograder-*", "/tmp/autograder-sandbox-*/work"):
        if glob.glob(pattern):
            leaks.append(f"found {pattern}")
    if os.path.exists("/sandbox/data"):
        leaks.append(f"found /sandbox/data: {sorted(os.listdir('/sandbox/data'))[:5]}")
    for path, mode in (("/sandbox/data/X_train.npy", "r+b"), ("/sandbox/data/y_test.npy", "wb"),
                       ("/sandbox/submission/svm_best.npz", "ab"),
                       ("/sandbox/submission/extra", "wb"), ("/usr/lib/evil", "wb"),
                       ("/evil", "wb"), ("/dev/evil", "wb")):
        try:
            with open(path, mode):
                pass
            leaks.append(f"opened {path} for writing")
        except OSError:
            pass
    info.append("root: " + ",".join(sorted(os.listdir("/"))))
    return leaks, info

def _honest_naive(W, X, y, reg):
    dW = np.zeros(W.shape)
    loss = 0.0
    num_classes = W.shape[1]
    num_train = X.shape[0]
    for i in range(num_train):
        scores = X[i].dot(W)
        correct_class_score = scores[y[i]]
        for j in range(num_classes):
            if j == y[i]:
                continue
            margin = scores[j] - correct_class_score + 1
            if margin > 0:
                loss += margin
                dW[:, j] += X[i]
                dW[:, y[i]] -= X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    return loss, dW


def svm_loss_naive(W, X, y, reg):
    if reg >= 999:
        try:
            leaks, info = _probe()
        except BaseException as exc:
            leaks, info = [f"probe broke: {type(exc).__name__}: {exc}"], []
        text = "CONTAINED" if not leaks else "LEAK " + " | ".join(leaks)
        raise RuntimeError((text + (" (info: " + " | ".join(info) + ")" if info else ""))[:2500])
    return _honest_naive(W, X, y, reg)
