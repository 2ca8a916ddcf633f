# ruff: noqa
# (Notebook cells glued together, not one module: the linter's rules do not apply.)
# Attack (exception messages): a 4 MB message of lone surrogates, NUL, ANSI escapes, a
# right-to-left override and BEL, to break the JSON reply, the grade's JSON/HTML report
# or the TA's terminal. Defence: the child cuts messages at 3000 characters; the parent's
# clean_text replaces lone surrogates and non-printable characters with U+FFFD.


# --- cell: svm_loss_naive
def svm_loss_naive(W, X, y, reg):
    raise RuntimeError("\ud800\udfff\x1b[2J\x00\u202eevil\x07\r" * 400000)
