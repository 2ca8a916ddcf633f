"""A page that quotes a student, made safe and printed to PDF with headless Chromium.

`to_html` renders a notebook cell's markdown with nbconvert's own renderer (images attached
to the cell embedded as data: URIs; `embed_images` stays off, so no local file is read),
then sanitizes it with nh3: no script, no event handler, no image but an embedded one, no
data: link. `print_pdf` prints a page with headless Chromium in a fresh profile where no
host name resolves; the page's own Content-Security-Policy keeps anything from loading or
running. (Chromium's switch that turns scripts off also stops its print-to-PDF, so the CSP
and the sanitizer are what keep scripts out.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from markupsafe import Markup, escape

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PRINT_SECONDS = 180


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
        try:
            proc = subprocess.run(command, capture_output=True, text=True,
                                  timeout=PRINT_SECONDS, stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            raise PrintError(f"Chromium did not print within {PRINT_SECONDS} s") from None
        if proc.returncode != 0 or not pdf.is_file() or pdf.read_bytes()[:5] != b"%PDF-":
            raise PrintError(f"Chromium could not print the PDF (exit {proc.returncode}): "
                               f"{proc.stderr.strip()[-1500:]}")
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(pdf, out)
    return out
