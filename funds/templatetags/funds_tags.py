"""Template helpers of the funds pages: pounds from pence, the "Money" nav link."""

from __future__ import annotations

from django import template

from ..money import format_pounds
from ..selectors_pages import has_money_work

register = template.Library()


@register.filter
def money(pence) -> str:
    """12345 -> "£123.45" (always with pence: these are accounts)."""
    if pence is None or pence == "":
        return ""
    return format_pounds(int(pence))


@register.simple_tag
def shows_money_nav(user) -> bool:
    """{% shows_money_nav user as show %}: a money role, or a grant to report on."""
    return has_money_work(user)
