"""Plain-text checks shared by forms, services and emails of every app (no Django import).

Titles and summaries are single lines: they end up in email subjects, page titles and
lists, where a newline or another control character breaks the layout (or, in an email
subject, the headers).

Titles, summaries and names also refuse invisible and text-direction characters: a
right-to-left override makes "Park benches<U+202E>gnp.exe" read differently from what it
says, and zero-width characters make two titles look identical while differing (visual
spoofing). Text from outside (an imported file) has them removed instead.
"""

from __future__ import annotations

import unicodedata

# Cc: control characters (newline, tab, NUL...); Zl/Zp: Unicode line and paragraph separators.
_CONTROL_CATEGORIES = {"Cc", "Zl", "Zp"}


def has_control_characters(text: str) -> bool:
    return any(unicodedata.category(ch) in _CONTROL_CATEGORIES for ch in text or "")


# Bidi embeddings, overrides and isolates, zero-width and joiner characters, the word joiner
# and invisible operators, the byte-order mark, and other invisible fillers.
SPOOFING_CHARACTERS = frozenset(
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180E, 0x3164, 0xFEFF, 0xFFA0]
    + list(range(0x200B, 0x2010))  # zero width space/non-joiner/joiner, LRM, RLM
    + list(range(0x202A, 0x202F))  # LRE, RLE, PDF, LRO, RLO
    + list(range(0x2060, 0x2065))  # word joiner, invisible operators
    + list(range(0x2066, 0x2070))  # LRI, RLI, FSI, PDI, deprecated format controls
    + list(range(0xFFF9, 0xFFFC))  # interlinear annotation controls
)


def spoofing_characters(text: str) -> list[str]:
    """The invisible or text-direction characters in ``text``, named (``U+202E``), in order."""
    found = dict.fromkeys(f"U+{ord(ch):04X}" for ch in text or "" if ord(ch) in SPOOFING_CHARACTERS)
    return list(found)


def spoofing_problem(text: str, label: str) -> str | None:
    """A plain-English refusal when ``text`` holds invisible or text-direction characters."""
    found = spoofing_characters(text)
    if not found:
        return None
    return (
        f"The {label} contains invisible or text-direction characters ({', '.join(found[:3])}): "
        "they can make text look different from what it says. Type it again without them."
    )


def without_spoofing_characters(text: str) -> str:
    """``text`` with invisible and text-direction characters removed (for imported text)."""
    return "".join(ch for ch in text or "" if ord(ch) not in SPOOFING_CHARACTERS)


def single_line(text: str) -> str:
    """Control characters become spaces and runs of whitespace one space (for subjects)."""
    text = "".join(
        " " if unicodedata.category(ch) in _CONTROL_CATEGORIES else ch for ch in text or ""
    )
    return " ".join(text.split())
