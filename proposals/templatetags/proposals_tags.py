"""Template helpers: money in pounds (pence are stored), and the permission predicates."""

from __future__ import annotations

from django import template

from .. import permissions

register = template.Library()


@register.filter
def pounds(pence) -> str:
    """12345 -> "£123.45"; whole pounds drop the pence: 120000 -> "£1,200"."""
    if pence is None or pence == "":
        return ""
    pence = int(pence)
    sign = "-" if pence < 0 else ""
    whole, part = divmod(abs(pence), 100)
    return f"{sign}£{whole:,}" + (f".{part:02d}" if part else "")


@register.simple_tag
def can(predicate: str, user, obj) -> bool:
    """{% can "edit_proposal" user proposal as allowed %}: calls permissions.can_<predicate>."""
    return getattr(permissions, f"can_{predicate}")(user, obj)


@register.simple_tag
def proposal_panels(proposal, user):
    """Panels higher apps registered for the proposal page (proposals.panels)."""
    from django.utils.safestring import mark_safe

    from ..panels import render_detail_panels

    return mark_safe(render_detail_panels(proposal, user))  # noqa: S308 - rendered templates
