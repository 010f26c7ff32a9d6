"""The money on a trustee's to-do page (registered in communities.boards): a linked summary
per fund of what funds' own to-do page (/funds/<id>/to-do/) lists in full.

Counts only, in three queries whatever the number of funds and items: the full lists, with
the per-claim checks of who may approve what, stay on funds' page.
"""

from __future__ import annotations

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from communities.boards import Item, Section
from proposals.models import Proposal

from .models import Claim, Fund, FundQuery, GrantTranche, MonitoringReport, Variation


def _waiting(model, status: str):
    """How many rows of a grant's child model are in `status`, per fund (a subquery, so the
    counts do not multiply each other as joins would)."""
    counted = (
        model.objects.filter(grant__fund=OuterRef("pk"), status=status)
        .order_by()
        .values("grant__fund")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _open_queries():
    """How many of a fund's auditor queries are open (waiting for the trustees), per fund."""
    counted = (
        FundQuery.objects.filter(fund=OuterRef("pk"), status=FundQuery.Status.OPEN)
        .order_by()
        .values("fund")
        .annotate(n=Count("pk"))
        .values("n")[:1]
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def funds_todo(neighbourhood, user) -> list[Section]:
    funds = list(
        Fund.objects.filter(neighbourhood=neighbourhood)
        .annotate(
            n_claims=_waiting(Claim, Claim.Status.SUBMITTED),
            n_tranches=_waiting(GrantTranche, GrantTranche.Status.PENDING),
            n_reports=_waiting(MonitoringReport, MonitoringReport.Status.SUBMITTED),
            n_variations=_waiting(Variation, Variation.Status.REQUESTED),
            n_queries=_open_queries(),
        )
        .order_by("name", "pk")
    )
    if not funds:
        return []
    decisions = Proposal.objects.filter(
        neighbourhood=neighbourhood, status=Proposal.Status.SELECTED, grant__isnull=True
    ).count()
    items = []
    total = 0
    for fund in funds:
        parts = [
            (decisions, "grant decision", "grant decisions"),
            (fund.n_claims, "claim to approve", "claims to approve"),
            (fund.n_reports, "report to review", "reports to review"),
            (fund.n_variations, "change of budget to decide", "changes of budget to decide"),
            (fund.n_tranches, "payment still to make", "payments still to make"),
            (fund.n_queries, "auditor's query to answer", "auditor's queries to answer"),
        ]
        total += sum(n for n, _one, _many in parts)
        note = ", ".join(f"{n} {one if n == 1 else many}" for n, one, many in parts if n)
        items.append(
            Item(
                title=fund.name,
                url=reverse("funds:todo", args=[fund.pk]),
                action="Open the money to-do",
                note=note or "nothing waiting",
            )
        )
    return [
        Section(
            key="money",
            title="Money: decisions, claims, payments and queries",
            hint=(
                "Selected proposals to decide, claims to approve, the fund's payments and "
                "the funder's questions."
            ),
            items=items,
            total=total,
            items_are_things=False,
            order=50,
        )
    ]
