# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: uncover the kit's hidden folders: unmount the empty mount over autograder/, or
# enter a new user namespace (where it holds every capability) and unmount or bind-mount
# around it there. Defence: the child holds no capability where the hiding mounts live,
# and mounts inherited into a new namespace are locked by the kernel.


# --- cell: svm_loss_naive
import ctypes
import os
import sys

_libc = ctypes.CDLL(None, use_errno=True)


def svm_loss_naive(W, X, y, reg):
    hidden = os.path.dirname(os.path.abspath(sys.modules["__main__"].__file__))
    repo = os.path.dirname(hidden)
    steps = []

    def attempt(name, rc):
        steps.append(f"{name}: {'done' if rc == 0 else os.strerror(ctypes.get_errno())}")

    os.makedirs("peek", exist_ok=True)
    attempt("umount", _libc.umount2(hidden.encode(), 2))
    attempt("unshare", _libc.unshare(0x10000000 | 0x00020000))
    attempt("umount in own namespace", _libc.umount2(hidden.encode(), 2))
    attempt("bind the checkout", _libc.mount(repo.encode(), b"peek", None, 4096, None))
    for path in (os.path.join(hidden, "main.py"), "peek/autograder/sandbox/session.py"):
        try:
            with open(path) as f:
                steps.append(f"{path}: read {f.read(20)!r}")
        except OSError as exc:
            steps.append(f"{path}: {type(exc).__name__}")
    raise RuntimeError(" | ".join(steps))
