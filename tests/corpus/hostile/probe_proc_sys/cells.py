# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (reach outside, /proc and /sys): other processes in /proc (the grader, other
# students' children, the reference session), their environ/cmdline/maps, the kernel log
# (syslog(2)), /proc/kallsyms addresses, /sys, the host's network tables, and where the
# mounts come from (/proc/self/mountinfo names host folders).
# Defence: a PID namespace (its /proc shows the child alone), no /sys, network namespace.


# --- cell: svm_loss_naive
import ctypes
import os


def _probe():
    leaks, info = [], []
    # No /proc at all is the tightest answer; with one, only the child itself may show.
    pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit()) \
        if os.path.isdir("/proc") else [1]
    if pids != [1]:
        leaks.append(f"processes visible: {pids[:10]}")
    for path in ("/proc/1/environ", "/proc/self/cmdline"):
        try:
            info.append(f"{path}: {open(path, 'rb').read(300)!r}")
        except OSError:
            pass
    if os.path.exists("/sys/kernel") or os.path.exists("/sys/class"):
        leaks.append("/sys is there")
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(4096)
    n = libc.syscall(103, 3, buf, 4096)   # syslog(SYSLOG_ACTION_READ_ALL)
    if n > 0:
        leaks.append(f"kernel log readable: {buf.raw[:80]!r}")
    try:
        lines = open("/proc/kallsyms").read(4000).splitlines()
        if any(not l.startswith("0000000000000000") for l in lines[:20]):
            leaks.append("kernel addresses in /proc/kallsyms")
    except OSError:
        pass
    for path in ("/proc/net/tcp", "/proc/net/tcp6", "/proc/net/unix", "/proc/net/udp"):
        try:
            rows = open(path).read().splitlines()[1:]
            if rows:
                leaks.append(f"{path} has {len(rows)} rows")
        except OSError:
            pass
    try:
        mounts = open("/proc/self/mountinfo").read()
        hosts = sorted({w for w in mounts.split() if "autograder" in w or w.startswith("/work")
                        or w.startswith("/tmp/")})
        if hosts:
            info.append("mountinfo names host paths: " + ",".join(hosts[:6]))
    except OSError:
        pass
    try:
        info.append("hostname " + open("/proc/sys/kernel/hostname").read().strip())
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
