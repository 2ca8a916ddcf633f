# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: a slow "vectorized" loss that freezes every clock Python offers, hoping the timing
# check reads zero. Defence: the grader reads the child's CPU time from the kernel.


# --- cell: svm_loss_vectorized
import resource
import time

_burn_clock = time.thread_time
for _name in ("process_time", "perf_counter", "time", "monotonic", "thread_time",
              "process_time_ns", "perf_counter_ns", "time_ns", "monotonic_ns"):
    setattr(time, _name, lambda: 0)
resource.getrusage = lambda who: None


def svm_loss_vectorized(W, X, y, reg):
    end = _burn_clock() + 0.3
    while _burn_clock() < end:
        pass
    return 0.0, np.zeros_like(W)
