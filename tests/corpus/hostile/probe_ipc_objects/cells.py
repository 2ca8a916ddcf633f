# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (reach outside, IPC): attach the SysV shared memory, semaphores and message queues
# of the grader and of other sessions (by key and by id), open POSIX shared memory in
# /dev/shm, and leave a SysV segment, a semaphore set and a queue behind after the grade.
# Defence: an IPC namespace of its own (empty, and destroyed with the child), a read-only
# empty /dev/shm; the test checks the host's /proc/sysvipc/shm and /dev/shm afterwards.


# --- cell: svm_loss_naive
import ctypes
import os


def _probe():
    leaks, info = [], []
    libc = ctypes.CDLL(None, use_errno=True)
    libc.shmat.restype = ctypes.c_void_p
    for ident in range(0, 64):
        if libc.shmat(ident, None, 0) not in (None, ctypes.c_void_p(-1).value):
            leaks.append(f"attached shm id {ident}")
    for key in list(range(1, 256)) + [0x1234, 0x51000000]:
        if libc.shmget(key, 0, 0) >= 0:
            leaks.append(f"shm key {key:#x} exists")
        if libc.semget(key, 0, 0) >= 0:
            leaks.append(f"sem key {key:#x} exists")
        if libc.msgget(key, 0) >= 0:
            leaks.append(f"msg key {key:#x} exists")
    for path in ("/proc/sysvipc/shm", "/proc/sysvipc/sem", "/proc/sysvipc/msg"):
        try:
            rows = open(path).read().splitlines()[1:]
            if rows:
                leaks.append(f"{path}: {len(rows)} rows before ours")
        except OSError:
            pass
    # Leave things behind (IPC_CREAT | 0666), and attach the segment so it stays in use.
    shm = libc.shmget(0x7A11, 1 << 20, 0o1000 | 0o666)
    libc.shmget(0, 1 << 16, 0o1000 | 0o666)
    libc.semget(0x7A12, 4, 0o1000 | 0o666)
    libc.msgget(0x7A13, 0o1000 | 0o666)
    if shm >= 0:
        libc.shmat(shm, None, 0)
    info.append(f"made shm {shm}")
    for path in ("/dev/shm/autograder-leak", "/dev/mqueue/leak"):
        try:
            fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o666)
            os.close(fd)
            leaks.append(f"created {path}")
        except OSError:
            pass
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
