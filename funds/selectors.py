"""Reads of the funds app: balances are derived from the ledger's legs, never stored."""

from __future__ import annotations


def fund_ceiling_pence(neighbourhood) -> int | None:
    """The largest live fund's agreed total for the neighbourhood: no proposal may ask for more."""
    from .models import Fund

    live = (Fund.Status.AGREEMENT_ISSUED, Fund.Status.ACTIVE, Fund.Status.SUSPENDED)
    fund = (
        Fund.objects.filter(neighbourhood=neighbourhood, status__in=live)
        .order_by("-total_committed_pence")
        .values_list("total_committed_pence", flat=True)
        .first()
    )
    return fund
