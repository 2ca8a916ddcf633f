"""A page that quotes a student, made safe and printed to PDF with headless Chromium.

`to_html` renders a notebook cell's markdown with nbconvert's own renderer (images attached
to the cell embedded as data: URIs; `embed_images` stays off, so no local file is read),
then sanitizes it with nh3: no script, no event handler, no image but an embedded one, no
data: link. `quote` bounds what one cell can cost the parent and the browser: its first
`MAX_QUOTE_CHARS` characters only, and a cell whose markup nests deeper than `MAX_DEPTH`
elements is printed as plain text (Chromium's layout of thousands of nested elements runs
for minutes); each says so. `print_pdf` prints a page with headless Chromium in a fresh
profile where no host name resolves; the page's own Content-Security-Policy keeps anything
from loading or running. (Chromium's switch that turns scripts off also stops its
print-to-PDF, so the CSP and the sanitizer are what keep scripts out.) Chromium runs in a
session of its own, and its whole process group is killed at its time limit and whenever
`print_pdf` leaves early (an error, Ctrl-C); on Linux the kernel kills it too when the
process that started it dies.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

from markupsafe import Markup, escape

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PRINT_SECONDS = 180
MAX_QUOTE_CHARS = 20_000   # one quoted cell (a written answer is a few paragraphs)
MAX_DEPTH = 64             # elements nested in one quoted cell
PR_SET_PDEATHSIG = 1       # prctl(2): the signal a child gets when its parent dies
# Elements without an end tag: they never hold another.
VOID = frozenset({"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta",
                  "param", "source", "track", "wbr"})


class PrintError(Exception):
    """The page could not be printed: no browser, or the browser failed."""


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """nh3's filter: an image shows only when embedded (no request leaves the page); a
    link may not be a data: URI."""
    if attribute == "src":
        return value if tag == "img" and value.startswith("data:image/") else None
    if attribute == "href" and value.strip().lower().startswith("data:"):
        return None
    return value


def to_html(markdown: str, attachments: dict[str, dict[str, str]] | None = None) -> Markup:
    """A cell's markdown as sanitized HTML (nbconvert's renderer, then nh3)."""
    import nh3
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    try:
        renderer = IPythonRenderer(escape=False, attachments=attachments or {})
        html = MarkdownWithMath(renderer=renderer).render(markdown)
    except Exception:  # noqa: BLE001 - a cell the renderer refuses is shown as its text
        html = f"<pre>{escape(markdown)}</pre>"
    return Markup(nh3.clean(html, attribute_filter=_keep_attribute,
                            url_schemes={"http", "https", "mailto", "data"}))


class _Depth(HTMLParser):
    """The deepest nesting of elements in an HTML text (well formed, as nh3 writes it)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open = self.deepest = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag not in VOID:
            self.open += 1
            self.deepest = max(self.deepest, self.open)

    def handle_endtag(self, tag: str) -> None:
        if tag not in VOID:
            self.open = max(0, self.open - 1)


def depth(html: str) -> int:
    """How deep the elements of `html` nest."""
    parser = _Depth()
    parser.feed(html)
    parser.close()
    return parser.deepest


def quote(markdown: str, attachments: dict[str, dict[str, str]] | None = None
          ) -> tuple[Markup, str]:
    """`to_html` of a student's cell within the bounds of the module's docstring, and what
    was changed to keep it there ("" when nothing was)."""
    notes = []
    if len(markdown) > MAX_QUOTE_CHARS:
        markdown = markdown[:MAX_QUOTE_CHARS]
        notes.append(f"cut: only its first {MAX_QUOTE_CHARS} characters are printed")
    html = to_html(markdown, attachments)
    if depth(html) > MAX_DEPTH:
        html = Markup(f"<pre>{escape(markdown)}</pre>")
        notes.append(f"its markup nests deeper than {MAX_DEPTH} elements: printed as plain "
                     "text")
    return html, "; ".join(notes)


def chromium() -> str:
    """The headless browser that prints the page."""
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    raise PrintError("no Chromium found to print the PDF: install it (Debian/Ubuntu: "
                       "apt-get install chromium; macOS: brew install --cask chromium)")


def print_pdf(html: str, out: Path) -> Path:
    """Print `html` to the PDF `out` with headless Chromium: scripts off, no host
    resolvable, a fresh profile (Chromium refuses root without --no-sandbox)."""
    with tempfile.TemporaryDirectory(prefix="autograder-answers-") as tmp:
        source, pdf = Path(tmp) / "answers.html", Path(tmp) / "answers.pdf"
        source.write_text(html, encoding="utf-8")
        command = [chromium(), "--headless", "--disable-gpu", "--no-first-run",
                   "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--disable-extensions", f"--user-data-dir={tmp}/profile",
                   "--host-resolver-rules=MAP * ~NOTFOUND",
                   "--no-pdf-header-footer", f"--print-to-pdf={pdf}", source.as_uri()]
        if os.geteuid() == 0:
            command.insert(1, "--no-sandbox")
        returncode, stderr = run_group(command, PRINT_SECONDS)
        if returncode != 0 or not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
            raise PrintError(f"Chromium could not print the PDF (exit {returncode}): "
                               f"{stderr.strip()[-1500:]}")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(pdf, out)
    return out


def _die_with_parent() -> None:
    """In the child before exec: the kernel sends it SIGKILL when its parent dies."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def run_group(command: list[str], seconds: float) -> tuple[int, str]:
    """Run `command` as the leader of a new session; (exit status, stderr). Its process
    group (Chromium's renderers and helpers with it) is killed after `seconds` (then
    PrintError) and whenever this function leaves, the command ended or not."""
    proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, start_new_session=True,
                            preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    try:
        _, stderr = proc.communicate(timeout=seconds)
    except subprocess.TimeoutExpired:
        raise PrintError(f"Chromium did not print within {seconds:g} s") from None
    finally:
        # The leader may have exited and left helpers behind: the group goes either way.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.kill()
        proc.wait()
    return proc.returncode, stderr
