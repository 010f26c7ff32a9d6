"""Reads of the auditors' queries: the workspace register (open first), a trustee's to-do,
the queries about one grant or claim. Each a fixed number of queries."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When

from .models import Claim, Fund, FundQuery, Grant


def queries_register(*, fund: Fund):
    """Every query on the fund, open ones first, then by latest step: a queryset to page."""
    return (
        FundQuery.objects.filter(fund=fund)
        .select_related("entry", "grant", "claim", "raised_by")
        .annotate(
            closed_last=Case(
                When(status=FundQuery.Status.OPEN, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("closed_last", "-last_message_at", "-pk")
    )


def open_queries(*, fund: Fund, limit: int = 50) -> list[FundQuery]:
    """The fund's open queries, oldest step first (the one waiting longest on top)."""
    return list(
        FundQuery.objects.filter(fund=fund, status=FundQuery.Status.OPEN)
        .select_related("entry", "grant", "claim")
        .order_by("last_message_at", "pk")[:limit]
    )


def queries_about(*, grant: Grant | None = None, claim: Claim | None = None) -> list[FundQuery]:
    """Queries raised on this grant or claim, newest step first."""
    qs = (
        FundQuery.objects.filter(grant=grant)
        if grant is not None
        else FundQuery.objects.filter(claim=claim)
    )
    return list(qs.select_related("entry", "grant", "claim").order_by("-last_message_at", "-pk"))
