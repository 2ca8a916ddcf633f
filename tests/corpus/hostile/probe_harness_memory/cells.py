# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (read what it must not, the grader's memory): walk the harness's frames and
# objects (its config, its globals), read every descriptor it holds (the request pipe's
# pending bytes, /proc/self/fd targets), the whole 64 MiB loss-input memory beyond the
# current call's inputs, looking for anything of the grader: host paths of the kit, test
# labels, another session's inputs, the parent's environment.
# Defence: the harness's config keeps only in-sandbox paths, the shared memory is this
# session's own (a fresh memfd), the child inherits only its four descriptors.


# --- cell: svm_loss_naive
import gc
import os
import sys


def _probe():
    leaks, info = [], []
    harness = [o for o in gc.get_objects() if type(o).__name__ == "Harness"][0]
    cfg = harness.cfg
    info.append("cfg keys " + ",".join(sorted(cfg)))
    text = repr(cfg)
    for word in ("/tmp", "/work", "/root", "autograder-sandbox", "cifar-10-batches"):
        if word in text:
            leaks.append(f"cfg names {word}")
    info.append("harness file " + str(getattr(sys.modules["__main__"], "__file__", "")))
    # Without /proc, find open descriptors by asking each one.
    fds, targets = [], {}
    for fd in range(256):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:
            continue
        try:
            targets[fd] = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            pass
    info.append(f"fds {targets}")
    if len(fds) > 8:
        leaks.append(f"{len(fds)} descriptors inherited")
    harness.shared_array("<f8", [1], 0)
    mem = memoryview(harness.shared)
    used = bytes(mem).rstrip(b"\0")
    info.append(f"shared region: {len(used)} of {len(mem)} bytes used")
    for word in (b"/work/", b"y_test", b"autograder", b"cifar"):
        if word in bytes(mem):
            leaks.append(f"shared region holds {word!r}")
    env = dict(os.environ)
    if set(env) - {"PATH", "HOME", "TMPDIR", "LANG", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                   "MKL_NUM_THREADS", "MPLBACKEND", "LC_CTYPE"}:
        leaks.append(f"environment {sorted(env)}")
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
