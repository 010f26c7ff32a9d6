"""Template helpers of the funds pages: pounds from pence."""

from __future__ import annotations

from django import template

from ..money import format_pounds

register = template.Library()


@register.filter
def money(pence) -> str:
    """12345 -> "£123.45" (always with pence: these are accounts)."""
    if pence is None or pence == "":
        return ""
    return format_pounds(int(pence))
