"""Statements that do nothing: the padding a copy holds to break up its fingerprints.

A copy of a classmate's code with `pass` after every statement shares no passage of `K`
characters with it, and scores as if it were written apart. `noop_spans` finds, in the
text's syntax tree (nothing of it runs), the statements whose removal changes nothing
the code computes, so that `own` leaves them out of what is fingerprinted:

- `pass`, and an expression statement without a call (`...`, `0`, `'x'`, a docstring,
  `x`, `x.shape`, `x + 0`);
- an assignment of a name to itself (`x = x`), `x += 0`, `x -= 0`, `x *= 1`, `x /= 1`,
  `x **= 1`, and `assert` of a true constant;
- a branch that never runs (`if False:`, `while 0:`, `for _ in ():` and their bodies) and
  the header of one that always does (`if True:`), with the `else:` line between them;
- an assignment of a call-free value to a name nothing reads (in a function: any local
  name; in a cell, where another cell may read a name: `_` only), and `del` of such names.

A text that does not parse (a cell the grader refuses) is read line by line: a line that
alone is `pass`, a constant, a name or `x = x` is padding (not any call-free expression:
a line of a call or a list written over several lines, `W, X,`, parses as one).
"""

from __future__ import annotations

import ast
import re

Span = tuple[int, int, int, int]   # first line, its column, last line, its end column (0-based)

NO_CALL = (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)
IDENTITY = {ast.Add: 0, ast.Sub: 0, ast.Mult: 1, ast.Div: 1, ast.FloorDiv: 1, ast.Pow: 1}
SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef)
ELSE = re.compile(r"\s*else\s*:")
MAX_LINE = 200   # the line-by-line reading looks at lines this short (padding is short)


def noop_spans(text: str) -> list[Span]:
    """The spans of `text` (character columns) that are statements doing nothing."""
    lines = text.split("\n")
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return [(i, len(line) - len(line.lstrip()), i, len(line.rstrip()))
                for i, line in enumerate(lines) if _padding_line(line)]
    found: list[Span] = []
    _scope(tree.body, lines, found, read=_reads(tree), local=False)
    for node in ast.walk(tree):
        if isinstance(node, SCOPES):
            _scope(node.body, lines, found, read=_reads(node), local=True)
        elif isinstance(node, ast.ClassDef):
            _scope(node.body, lines, found, read=_reads(tree), local=False)
    return found


def _padding_line(line: str) -> bool:
    if not line.strip() or len(line) > MAX_LINE:
        return False
    try:
        body = ast.parse(line.strip()).body
    except (SyntaxError, ValueError):
        return False
    if len(body) != 1 or isinstance(body[0], ast.Expr) and not isinstance(
            body[0].value, (ast.Constant, ast.Name)):
        return False
    return _stateless(body[0])


def _pure(node: ast.AST | None) -> bool:
    """Whether evaluating `node` calls nothing (and so has no effect worth keeping)."""
    return node is None or not any(isinstance(n, NO_CALL) for n in ast.walk(node))


def _stateless(stmt: ast.stmt) -> bool:
    """Padding whatever the names around it: pass, a call-free expression, x = x, x += 0,
    assert True."""
    if isinstance(stmt, ast.Pass):
        return True
    if isinstance(stmt, ast.Expr):
        return _pure(stmt.value)
    if isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Name):
        return all(isinstance(t, ast.Name) and t.id == stmt.value.id for t in stmt.targets)
    if isinstance(stmt, ast.AugAssign) and isinstance(stmt.value, ast.Constant):
        identity = IDENTITY.get(type(stmt.op))
        return identity is not None and stmt.value.value == identity and _pure(stmt.target)
    if isinstance(stmt, ast.Assert):
        return isinstance(stmt.test, ast.Constant) and bool(stmt.test.value)
    return False


def _reads(scope: ast.AST) -> set[str]:
    """Every name `scope` reads, nested scopes included, and every name it declares
    global or nonlocal (another scope may read those)."""
    names = {n.id for n in ast.walk(scope) if isinstance(n, ast.Name)
             and isinstance(n.ctx, ast.Load)}
    return names.union(*(n.names for n in ast.walk(scope)
                         if isinstance(n, (ast.Global, ast.Nonlocal))))


def _dead_store(stmt: ast.stmt, dead: set[str] | None, read: set[str]) -> bool:
    """An assignment of a call-free value, or a `del`, of names nothing reads."""
    def unread(target: ast.expr) -> bool:
        return isinstance(target, ast.Name) and target.id not in read and (
            dead is None or target.id in dead)
    if isinstance(stmt, ast.Assign):
        return _pure(stmt.value) and all(unread(t) for t in stmt.targets)
    if isinstance(stmt, ast.AnnAssign):
        return _pure(stmt.value) and unread(stmt.target)
    if isinstance(stmt, ast.Delete):
        return all(unread(t) for t in stmt.targets)
    return False


def _scope(body: list[ast.stmt], lines: list[str], found: list[Span], *, read: set[str],
           local: bool) -> None:
    """Add the padding among `body`'s statements (nested blocks included, nested scopes
    not: they are a scope of their own) to `found`."""
    # In a cell, a name another cell reads is not dead: only `_` is taken as unread.
    dead = None if local else {"_"}
    for stmt in body:
        if isinstance(stmt, (*SCOPES, ast.ClassDef)):
            continue
        if _stateless(stmt) or _dead_store(stmt, dead, read):
            found.append(_span(stmt, lines))
            continue
        branch = _constant_branch(stmt)
        if branch is None:
            for field in ("body", "orelse", "finalbody", "handlers"):
                for block in _blocks(getattr(stmt, field, [])):
                    _scope(block, lines, found, read=read, local=local)
            for case in getattr(stmt, "cases", []):
                _scope(case.body, lines, found, read=read, local=local)
            continue
        runs, skipped = branch
        found.extend(_header(stmt, lines) if runs is stmt.body else [])
        if skipped:
            found.append(_join(_span(skipped[0], lines) if runs is stmt.body
                               else _header(stmt, lines)[0], _span(skipped[-1], lines)))
        found.extend(_else_line(stmt, lines))
        _scope(runs, lines, found, read=read, local=local)


def _blocks(value: list) -> list[list[ast.stmt]]:
    """The statement lists of a field: a body, or each except handler's body."""
    if value and isinstance(value[0], ast.ExceptHandler):
        return [handler.body for handler in value]
    return [value] if value and isinstance(value[0], ast.stmt) else []


def _constant_branch(stmt: ast.stmt) -> tuple[list[ast.stmt], list[ast.stmt]] | None:
    """(the block that runs, the block that never does) of an if/while on a constant or a
    loop over an empty literal; None for any other statement."""
    if isinstance(stmt, ast.If) and isinstance(stmt.test, ast.Constant):
        return (stmt.body, stmt.orelse) if stmt.test.value else (stmt.orelse, stmt.body)
    if isinstance(stmt, ast.While) and isinstance(stmt.test, ast.Constant) \
            and not stmt.test.value:
        return stmt.orelse, stmt.body
    if isinstance(stmt, (ast.For, ast.AsyncFor)) and _empty(stmt.iter):
        return stmt.orelse, stmt.body
    return None


def _empty(node: ast.expr) -> bool:
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return not node.elts
    return isinstance(node, ast.Constant) and node.value in ("", b"")


def _header(stmt: ast.stmt, lines: list[str]) -> list[Span]:
    """The span of `if TEST:` (the statement's start through the colon after its test)."""
    line, column = _position(lines, stmt.lineno, stmt.col_offset)
    end_line, end = _position(lines, stmt.test.end_lineno, stmt.test.end_col_offset) \
        if isinstance(stmt, ast.If) else (line, column)
    colon = lines[end_line].find(":", end)
    return [(line, column, end_line, len(lines[end_line]) if colon < 0 else colon + 1)]


def _else_line(stmt: ast.stmt, lines: list[str]) -> list[Span]:
    """The `else:` between a constant branch's two blocks (an `elif` is left as it is)."""
    if not stmt.body or not stmt.orelse:
        return []
    for i in range(stmt.body[-1].end_lineno, stmt.orelse[0].lineno - 1):
        match = ELSE.match(lines[i])
        if match:
            return [(i, match.end() - len(match[0].lstrip()), i, match.end())]
    return []


def _span(node: ast.stmt, lines: list[str]) -> Span:
    return (*_position(lines, node.lineno, node.col_offset),
            *_position(lines, node.end_lineno, node.end_col_offset))


def _join(first: Span, last: Span) -> Span:
    return first[0], first[1], last[2], last[3]


def _position(lines: list[str], lineno: int | None, byte_offset: int | None) -> tuple[int, int]:
    """ast's (1-based line, UTF-8 byte offset) as (0-based line, character column)."""
    line = lines[(lineno or 1) - 1]
    return (lineno or 1) - 1, len(line.encode()[:byte_offset or 0].decode(errors="ignore"))


def blank(lines: list[str], spans: list[Span], keep: list[bool]) -> list[str]:
    """`lines` with every character of `spans` made a space, on the lines not `keep`."""
    chars = [list(line) for line in lines]
    for first, column, last, end in spans:
        for i in range(first, last + 1):
            start, stop = column if i == first else 0, end if i == last else len(chars[i])
            if not keep[i] and stop > start:
                chars[i][start:stop] = " " * (stop - start)
    return ["".join(c) for c in chars]
