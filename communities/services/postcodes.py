"""Postcode normalisation: upper case, no spaces, checked against the UK format."""

from __future__ import annotations

import re

from config.errors import ApplicationError

# Outward code (area letters, district digit, optional letter or digit), then the
# inward code (a digit and two letters).
POSTCODE_RE = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$")


def normalise_postcode(raw: str) -> str:
    """'  ls6 3ab ' -> 'LS63AB'; raise ApplicationError if it is not a UK postcode."""
    value = re.sub(r"\s+", "", str(raw or "")).upper()
    if not POSTCODE_RE.match(value):
        raise ApplicationError(
            f"'{str(raw).strip()}' is not a UK postcode. Enter it like LS6 3AB.",
            extra={"field": "postcode"},
        )
    return value


def postcode_or_none(raw: str) -> str | None:
    """The normalised postcode when ``raw`` looks like one ('zz1 1aa' -> 'ZZ11AA'), else None.

    For searches, where a non-postcode is a name to look for rather than an error.
    """
    value = re.sub(r"\s+", "", str(raw or "")).upper()
    return value if POSTCODE_RE.match(value) else None


def format_postcode(normalised: str) -> str:
    """'LS63AB' -> 'LS6 3AB'."""
    return f"{normalised[:-3]} {normalised[-3:]}" if len(normalised) > 3 else normalised
