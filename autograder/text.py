"""Text that came from a submission, made safe to store, print and put in a page."""

from __future__ import annotations

MAX_ERROR_CHARS = 4000


def clean_text(text: object, limit: int = MAX_ERROR_CHARS) -> str:
    """Text that came from a submission, safe to store, print and put in a page: at most
    `limit` characters, no lone surrogates or control characters but newline and tab."""
    if not isinstance(text, str):
        text = str(text)
    text = text[:limit]
    # Lone surrogates are not printable: they become U+FFFD like other control characters.
    return "".join(c if c in "\n\t" or c.isprintable() else "\ufffd" for c in text)
