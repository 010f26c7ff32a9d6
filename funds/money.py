"""Pounds at the edges, pence inside: parsing what people type, formatting for them."""

from __future__ import annotations

import re

_POUNDS = re.compile(r"^(?P<whole>\d{1,3}(,\d{3})+|\d+)(\.(?P<pence>\d{1,2}))?$")


class MoneyInputError(ValueError):
    """What was typed is not an amount we accept; the message is plain English."""


def parse_pounds(text: str, *, allow_zero: bool = False) -> int:
    """'1,500.50' or '£12' -> pence. Refuses more than two decimal places, negative and zero
    amounts (unless allow_zero) and anything that is not a plain number of pounds."""
    value = (text or "").strip().removeprefix("£").strip()
    if value.startswith("-"):
        raise MoneyInputError("Enter an amount of more than £0.")
    match = _POUNDS.match(value)
    if not match:
        if re.match(r"^[\d,]+\.\d{3,}$", value):
            raise MoneyInputError("Enter pounds and pence with at most two decimal places.")
        raise MoneyInputError("Enter an amount in pounds, for example 1250.50.")
    pence = int(match.group("whole").replace(",", "")) * 100
    fraction = match.group("pence") or "0"
    pence += int(fraction.ljust(2, "0"))
    if pence == 0 and not allow_zero:
        raise MoneyInputError("Enter an amount of more than £0.")
    return pence


def format_pounds(pence: int) -> str:
    """12345 -> '£123.45'; -500 -> '-£5.00'."""
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(int(pence)), 100)
    return f"{sign}£{whole:,}.{part:02d}"
