"""Whether a text is Python 3, by `ast.parse` (which builds a tree and runs nothing), and
what is wrong when it is not: Python 2 code is named as such, with its Python 3 form."""

from __future__ import annotations

import ast
import re

# Python 2 as Python 3's parser rejects it (a pattern of its message or of the line): what
# it is, and its Python 3 spelling.
PYTHON2_SYNTAX = (
    (re.compile(r"Missing parentheses in call to 'print'"), "a print statement",
     "write print(...)"),
    (re.compile(r"Missing parentheses in call to 'exec'"), "an exec statement",
     "write exec(...)"),
    (re.compile(r"^\s*except\s+[\w.]+\s*,\s*\w+\s*:"), "`except E, e:`",
     "write `except E as e:`"),
    (re.compile(r"^\s*raise\s+[\w.]+\s*,"), "`raise E, message`", "write `raise E(message)`"),
    (re.compile(r"leading zeros in decimal integer"), "an octal literal such as 0777",
     "write 0o777"),
    (re.compile(r"[\w)\]]\s*<>\s*[\w(\[]"), "the operator <>", "write !="),
    (re.compile(r"`[^`'\"]+`"), "backquotes", "write repr(...)"),
)


def parse_python(text: str) -> tuple[ast.Module | None, str]:
    """The module, or None and what is wrong ("is not valid Python: ...")."""
    try:
        return ast.parse(text), ""
    except SyntaxError as exc:
        return None, _syntax_error(exc)
    except (ValueError, RecursionError, MemoryError) as exc:
        return None, f"is not valid Python: it cannot be parsed ({type(exc).__name__})"


def _syntax_error(exc: SyntaxError) -> str:
    """`exc` for the student: where, the line, and Python 2 named as such."""
    where = f"line {exc.lineno}" if exc.lineno else "somewhere"
    code = (exc.text or "").strip()[:60]
    shown = f" (`{code}`)" if code else ""
    python2 = next(((what, fix) for pattern, what, fix in PYTHON2_SYNTAX
                    if pattern.search(exc.msg or "") or pattern.search(exc.text or "")),
                   None)
    if python2:
        return (f"is Python 2 code, {python2[0]} at {where}{shown}: it must be "
                f"Python 3, {python2[1]}")
    return f"is not valid Python: {exc.msg} at {where}{shown}"
