# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack: make every comparison pass by patching numpy and builtins, then return nonsense.
# Defence: comparisons run in the grader's process, which never sees these patches.


# --- cell: svm_loss_vectorized
import builtins

np.allclose = lambda *args, **kwargs: True
np.isclose = lambda *args, **kwargs: True
np.linalg.norm = lambda *args, **kwargs: 0.0
np.testing.assert_allclose = lambda *args, **kwargs: None
builtins.abs = lambda value: 0
builtins.max = lambda *args, **kwargs: 0


def svm_loss_vectorized(W, X, y, reg):
    return 0.0, np.zeros_like(W)
