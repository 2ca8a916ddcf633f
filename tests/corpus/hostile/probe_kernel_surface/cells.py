# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (kernel surface, leaving the sandbox): io_uring, bpf, userfaultfd, keyrings,
# perf_event_open, a new user namespace (unshare, then mount), setns, ptrace, chroot,
# fork/clone3 (a process that outlives the grade), clearing PR_SET_PDEATHSIG, x32 system
# calls, setuid(0), timers.
# Defence: the seccomp filter (EPERM), RLIMIT_NPROC=1, no capabilities, no_new_privs.


# --- cell: svm_loss_naive
import ctypes
import os


def _probe():
    leaks, info = [], []
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(256)
    calls = {
        "io_uring_setup": (425, 8, buf), "bpf": (321, 0, buf, 48), "userfaultfd": (323, 0),
        "keyctl": (250, 0, -1, 0), "add_key": (248, b"user", b"k", b"v", 1, -3),
        "perf_event_open": (298, buf, 0, -1, -1, 0), "unshare(USER)": (272, 0x10000000),
        "unshare(NS)": (272, 0x00020000), "setns": (308, 0, 0), "ptrace(TRACEME)": (101, 0, 0, 0, 0),
        "chroot": (161, b"/sandbox/work"), "pivot_root": (155, b".", b"."),
        "prctl(PDEATHSIG,0)": (157, 1, 0, 0, 0), "x32 getpid": (39 | 0x40000000,),
        "setuid(0)": (105, 0), "fsopen": (430, b"tmpfs", 0), "open_tree": (428, -100, b"/", 0),
        "process_vm_readv": (310, 1, buf, 1, buf, 1, 0), "iopl": (172, 3), "mount": (165, b"none", b"/sandbox/work", b"tmpfs", 0, None),
        "clone3": (435, buf, 88),
        # Timers: a handler run after the reply could undo what the parent is to see.
        "setitimer": (38, 0, buf, None), "alarm": (37, 1), "timer_create": (222, 1, None, buf),
        "timerfd_create": (283, 1, 0),
    }
    for name, (nr, *args) in calls.items():
        if name == "clone3":
            ctypes.memset(buf, 0, 88)
            ctypes.c_uint64.from_buffer(buf, 32).value = 17   # exit_signal SIGCHLD
        result = libc.syscall(nr, *args)
        if result == 0 and name == "clone3":
            os._exit(0)    # the clone itself, if it ever runs
        if result >= 0:
            leaks.append(f"{name} returned {result}")
    try:
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        leaks.append("fork worked")
        os.waitpid(pid, 0)
    except OSError:
        pass
    try:
        import threading
        threading.Thread(target=lambda: None).start()
        leaks.append("a thread started")
    except (RuntimeError, OSError):
        pass
    for path in ("/dev/userfaultfd", "/dev/kvm", "/dev/mem", "/dev/tty", "/dev/fuse"):
        if os.path.exists(path):
            leaks.append(f"{path} exists")
    info.append(f"uid {os.getuid()} euid {os.geteuid()} groups {os.getgroups()}")
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
