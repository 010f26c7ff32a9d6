"""Plain-text checks shared by forms, services and emails (no Django import).

Titles and summaries are single lines: they end up in email subjects, page titles and
lists, where a newline or another control character breaks the layout (or, in an email
subject, the headers).
"""

from __future__ import annotations

import unicodedata

# Cc: control characters (newline, tab, NUL...); Zl/Zp: Unicode line and paragraph separators.
_CONTROL_CATEGORIES = {"Cc", "Zl", "Zp"}


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in text or "")


def single_line(text: str) -> str:
    """Control characters become spaces and runs of whitespace one space (for subjects)."""
    text = "".join(
        " " if unicodedata.category(ch) in _CONTROL_CATEGORIES else ch for ch in text or ""
    )
    return " ".join(text.split())
