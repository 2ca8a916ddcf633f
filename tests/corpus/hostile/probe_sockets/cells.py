# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (reach outside, sockets): TCP/UDP to localhost and the outside, IPv6, unix sockets
# in the abstract namespace (X11, systemd, other sandboxes' names), a listening abstract
# socket left for another student's child to find, raw/packet sockets, netlink, vsock to
# the host (CID 2).
# Defence: a network namespace with no interface up (abstract unix sockets are per
# network namespace), no capabilities for raw sockets, nothing in /run.


# --- cell: svm_loss_naive
import os
import socket


def _probe():
    leaks, info = [], []
    attempts = [(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 22)),
                (socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 8888)),
                (socket.AF_INET, socket.SOCK_STREAM, ("1.1.1.1", 443)),
                (socket.AF_INET6, socket.SOCK_STREAM, ("::1", 22)),
                (socket.AF_UNIX, socket.SOCK_STREAM, "\0/tmp/.X11-unix/X0"),
                (socket.AF_UNIX, socket.SOCK_STREAM, "\0autograder-leak"),
                (socket.AF_UNIX, socket.SOCK_STREAM, "/run/systemd/journal/stdout"),
                (socket.AF_UNIX, socket.SOCK_DGRAM, "/dev/log")]
    for family, kind, address in attempts:
        try:
            s = socket.socket(family, kind)
            s.settimeout(0.5)
            s.connect(address)
            leaks.append(f"connected to {address!r}")
            s.close()
        except OSError:
            pass
    try:
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(b"x", ("8.8.8.8", 53))
        leaks.append("UDP packet sent")
    except OSError:
        pass
    try:
        keep = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        keep.bind("\0autograder-leak")
        keep.listen(1)
        globals()["_kept_socket"] = keep
        info.append("abstract socket bound")
    except OSError:
        pass
    for family, kind in ((socket.AF_PACKET, socket.SOCK_RAW), (socket.AF_INET, socket.SOCK_RAW)):
        try:
            socket.socket(family, kind, 0x0300 if family == socket.AF_PACKET else 1)
            leaks.append(f"raw socket {family}")
        except OSError:
            pass
    try:
        v = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
        v.settimeout(0.5)
        v.connect((2, 22))
        leaks.append("vsock to the host")
    except (OSError, AttributeError):
        pass
    try:
        names = [n for _, n in socket.if_nameindex()]
        if set(names) - {"lo"}:
            leaks.append(f"interfaces {names}")
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
