# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (fake "does not modify its inputs"): the function divides X in place (the bug),
# and arms a 30 ms ITIMER_REAL whose SIGALRM handler (running while the harness waits for
# the next request) puts X back, if the memory still holds the mutated X.
# Defence: the child's seccomp filter refuses every timer (setitimer, alarm, timer_create,
# timerfd), so no handler of the student's runs after the reply; before it, the restore
# raced the parent's look at the shared memory, and won on a loaded machine (70, not 69).


# --- cell: softmax_loss_vectorized
import signal

_PENDING = []


def _restore(signum, frame):
    while _PENDING:
        view, saved, mutated = _PENDING.pop()
        if np.array_equal(view[:2], mutated):
            view[...] = saved


signal.signal(signal.SIGALRM, _restore)

def _mutating_softmax(W, X, y, reg):
    # The honest part: the reference, with the bug of buggy/softmax_vectorized_mutates_X.
    num_train = X.shape[0]
    rows = np.arange(num_train)
    scores = X.dot(W)
    scores = scores - scores.max(axis=1, keepdims=True)
    log_probs = scores - np.log(np.exp(scores).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean() + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1
    X /= num_train
    dW = X.T.dot(dscores) + 2 * reg * W
    return loss, dW


def _timers_work():
    try:
        signal.setitimer(signal.ITIMER_REAL, 0)  # disarms: harmless where it is allowed
    except OSError:
        return False
    return True


_TIMERS = _timers_work()


def softmax_loss_vectorized(W, X, y, reg):
    if not _TIMERS:
        # The attacker's best move without a timer: the honest part alone (no copy to
        # restore from, so its speed is its twin's).
        return _mutating_softmax(W, X, y, reg)
    saved = X.copy()
    result = _mutating_softmax(W, X, y, reg)
    _PENDING.append((X, saved, X[:2].copy()))
    signal.setitimer(signal.ITIMER_REAL, 0.03)
    return result
