"""The money on a proposal's page: granted, paid and spent (registered in proposals.panels)."""

from __future__ import annotations

from django.template.loader import render_to_string

from . import permissions as perms
from .selectors_pages import proposal_money


def proposal_money_panel(proposal, user) -> str:
    money = proposal_money(proposal=proposal)
    if money is None:
        return ""
    grant = money["grant"]
    return render_to_string(
        "funds/_proposal_money.html",
        {"money": money, "grant": grant, "can_view_grant": perms.can_view_grant(user, grant)},
    )
