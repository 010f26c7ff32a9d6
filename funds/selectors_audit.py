"""Reads for the funder's audit workspace and the public spend pages, with bounded queries.

The workspace follows the money from each total to the ledger entries behind it and from
each entry to its claim and receipts. The public page shows only what residents are entitled
to: totals, grants (individuals as "an individual resident"), progress and spend by theme;
never receipts, never personal data.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from audit.models import AuditEvent
from proposals.models import Theme
from prospects.charts import Line, bar_chart, line_chart

from .models import (
    Account,
    Claim,
    ClaimItem,
    DecisionExclusion,
    Fund,
    Grant,
    JournalEntry,
    JournalLeg,
    LedgerSummary,
    MonitoringReport,
)

A = Account
# The totals a reader can drill into: a label and the accounts whose legs make it up.
# Credits are negative, so a sign turns each total positive (as funds.selectors.Figures does).
DRILLS = {
    "received": ("Received from the funder", (A.RECEIVABLE,), -1),
    "committed": ("Committed to grants", (A.COMMITTED, A.PAID, A.RUNNING_COSTS), 1),
    "paid": ("Paid to grantees and for running costs", (A.PAID, A.RUNNING_COSTS), 1),
    "recovered": ("Recovered from grantees", (A.RECOVERED,), -1),
    "returned": ("Returned to the funder", (A.RETURNED,), 1),
}
ENTRY_PAGE = 50
TRAIL_LIMIT = 20  # the page stays under the 20 KB repeat-visit budget; exports have all


def _pounds(pence: int) -> float:
    return pence / 100


def _yearly(fund: Fund) -> dict[int, dict[str, int]]:
    """Movement per year and account, from the yearly summary (one row per year, account and
    grant, kept by every posting): one aggregate over a few hundred rows, not over the legs."""
    rows = (
        LedgerSummary.objects.filter(fund=fund)
        .order_by()
        .values("year", "account")
        .annotate(total=Sum("amount_pence"))
    )
    years: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        years[row["year"]][row["account"]] = int(row["total"] or 0)
    return years


def _cumulative(points: dict[int, int], years: list[int]) -> dict[int, float]:
    total, out = 0, {}
    for year in years:
        total += points.get(year, 0)
        out[year] = _pounds(total)
    return out


def fund_charts(*, fund: Fund, tranches) -> dict[str, str]:
    """Three inline SVG charts (no JavaScript): budget against spend over time, spend by
    theme, tranches received against the schedule. Two queries."""
    moves = _yearly(fund)
    this_year = timezone.now().year
    first = min([fund.starts_on.year, *moves.keys()])
    last = max([min(this_year, fund.ends_on.year), *moves.keys()])
    years = list(range(first, last + 1))
    committed = {y: m.get(A.COMMITTED, 0) + m.get(A.PAID, 0) + m.get(A.RUNNING_COSTS, 0)
                 for y, m in moves.items()}  # fmt: skip
    paid = {y: m.get(A.PAID, 0) + m.get(A.RUNNING_COSTS, 0) for y, m in moves.items()}
    budget = line_chart(
        title="Budget against spend, cumulative, in pounds",
        lines=[
            Line(
                "Fund total", "chart-peer", {y: _pounds(fund.total_committed_pence) for y in years}
            ),
            Line("Committed", "chart-group", _cumulative(committed, years)),
            Line("Paid", "chart-area", _cumulative(paid, years)),
        ],
    )
    scheduled: dict[int, int] = defaultdict(int)
    received: dict[int, int] = defaultdict(int)
    for t in tranches:
        scheduled[t.due_on.year] += t.amount_pence
        if t.received_at:
            received[t.received_at.year] += t.amount_pence
    t_years = list(
        range(min([*scheduled, *received, first]), max([*scheduled, *received, last]) + 1)
    )
    tranche_chart = line_chart(
        title="Tranches received against the schedule, cumulative, in pounds",
        lines=[
            Line("Scheduled", "chart-group", _cumulative(scheduled, t_years)),
            Line("Received", "chart-area", _cumulative(received, t_years)),
        ],
    )
    themes = spend_by_theme(funds=[fund])
    theme_chart = bar_chart(
        title="Spend by theme, in pounds", bars=[(label, _pounds(p)) for label, p in themes]
    )
    return {"budget": budget, "tranches": tranche_chart, "themes": theme_chart}


def spend_by_theme(*, funds) -> list[tuple[str, int]]:
    """(theme label, pence paid) over these funds' paid and running-cost movements: one
    query over the yearly summary (funds.models.LedgerSummary), never over the legs."""
    rows = (
        LedgerSummary.objects.filter(fund__in=funds, account__in=[A.PAID, A.RUNNING_COSTS])
        .order_by()
        .values("account", "grant__proposal__theme")
        .annotate(total=Sum("amount_pence"))
    )
    labels = dict(Theme.choices)
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        if row["account"] == A.RUNNING_COSTS:
            label = "Running costs"
        else:
            label = labels.get(row["grant__proposal__theme"], "Other")
        totals[label] += int(row["total"] or 0)
    return sorted(((k, v) for k, v in totals.items() if v), key=lambda kv: -kv[1])


def claims_queryset(*, fund: Fund):
    return (
        Claim.objects.filter(grant__fund=fund)
        .exclude(status=Claim.Status.DRAFT)
        .select_related("grant")
        .prefetch_related(Prefetch("items", queryset=ClaimItem.objects.order_by("id")))
        .order_by("-submitted_at", "-pk")
    )


def claims_register(*, fund: Fund, claims=None) -> list[Claim]:
    """Every claim of the fund's grants (or one page of them) with its items (and
    receipts): two queries."""
    claims = list(claims_queryset(fund=fund) if claims is None else claims)
    for claim in claims:
        claim.total_pence = sum(item.amount_pence for item in claim.items.all())
    return claims


def decisions_register(*, fund: Fund):
    """Decisions with their votes and exclusions (who was excluded, and why): a queryset to
    page through; a page costs three queries."""
    return (
        fund.decisions.select_related("meeting", "proposal", "grant")
        .prefetch_related(
            Prefetch(
                "exclusions",
                queryset=DecisionExclusion.objects.select_related("trustee").order_by("id"),
            )
        )
        .order_by("-decided_at", "-pk")
    )


def _item_ids(fund: Fund) -> list[str]:
    return [
        str(pk)
        for pk in ClaimItem.objects.filter(claim__grant__fund=fund).values_list("pk", flat=True)
    ]


def receipt_views(*, fund: Fund, item_ids: list[str] | None = None) -> list[AuditEvent]:
    """Who opened which receipt of this fund, when (funds.receipt_viewed events)."""
    ids = _item_ids(fund) if item_ids is None else item_ids
    return list(
        AuditEvent.objects.filter(
            action="funds.receipt_viewed",
            object_type=ClaimItem._meta.label_lower,
            object_id__in=ids,
        )
        .select_related("actor")
        .order_by("-created_at", "-pk")[:TRAIL_LIMIT]
    )


def audit_trail(
    *, fund: Fund, item_ids: list[str] | None = None, limit: int = TRAIL_LIMIT
) -> list[AuditEvent]:
    """The newest events about the fund and its tranches, decisions, grants and claims.

    Two bounded queries, merged here: the fund's own events (a fund with a million postings
    has a million `funds.ledger_posted` events: the newest by id is an index walk, where an
    OR with the other objects would sort them all), and the events of everything else that
    belongs to the fund (a few per grant, claim and decision)."""
    from .exports.audit import fund_objects

    fund_key = (Fund._meta.label_lower, str(fund.pk))
    by_type: dict[str, list[str]] = defaultdict(list)
    for object_type, object_id in fund_objects(fund) - {fund_key}:
        by_type[object_type].append(object_id)
    by_type[ClaimItem._meta.label_lower] = _item_ids(fund) if item_ids is None else item_ids
    others = Q(pk__in=[])
    for object_type, ids in by_type.items():
        if ids:
            others |= Q(object_type=object_type, object_id__in=ids)
    events = [
        *AuditEvent.objects.filter(object_type=fund_key[0], object_id=fund_key[1])
        .select_related("actor")
        .order_by("-pk")[:limit],
        *AuditEvent.objects.filter(others).select_related("actor").order_by("-pk")[:limit],
    ]
    events.sort(key=lambda e: (e.created_at, e.pk), reverse=True)
    return events[:limit]


def entries_behind(
    *, fund: Fund, drill: str, before: int | None = None, limit: int = ENTRY_PAGE
) -> tuple[list[JournalEntry], int | None]:
    """One page of the ledger entries that make up one total (newest first), each with its
    grant, claim and receipts, and the seq to continue from (None on the last page): a fixed
    number of queries however many entries. Pages are keyed by seq, so an old page costs
    no more than the first."""
    _label, accounts, sign = DRILLS[drill]
    entry_ids = JournalLeg.objects.filter(fund=fund, account__in=accounts)
    if before is not None:
        entry_ids = entry_ids.filter(entry__seq__lt=before)
    entry_ids = entry_ids.values_list("entry_id", flat=True)
    entries = list(
        JournalEntry.objects.filter(pk__in=entry_ids)
        .select_related("grant", "claim", "grant_tranche", "fund_tranche")
        .prefetch_related(
            Prefetch("legs", queryset=JournalLeg.objects.filter(account__in=accounts)),
            Prefetch("claim__items", queryset=ClaimItem.objects.order_by("id")),
        )
        .order_by("-seq")[: limit + 1]
    )
    more = len(entries) > limit
    entries = entries[:limit]
    for entry in entries:
        entry.amount = sign * sum(leg.amount_pence for leg in entry.legs.all())
    # A payment moves money from committed to paid: no change to "committed", so left out.
    return [entry for entry in entries if entry.amount], (entries[-1].seq if more else None)


def _public_funds(neighbourhood):
    """The neighbourhood's funds that have an agreement (proposed funds are not public)."""
    return Fund.objects.filter(neighbourhood=neighbourhood).exclude(status=Fund.Status.PROPOSED)


def public_funds_queryset(*, neighbourhood):
    """The neighbourhood's public funds (those with an agreement), oldest first."""
    return (
        _public_funds(neighbourhood).select_related("funder", "holder").order_by("starts_on", "pk")
    )


def public_funds(*, neighbourhood) -> list[Fund]:
    """The neighbourhood's public funds (those with an agreement), oldest first."""
    return list(public_funds_queryset(neighbourhood=neighbourhood))


def public_grants(*, neighbourhood, status: str = "", fund_id: int | None = None):
    """Grants of the neighbourhood's public funds (those with an agreement), newest first,
    with what the public pages, the API and the neighbourhood feed show of them (proposal,
    recipient; `recipient_public_name` names an individual only as "an individual resident")."""
    qs = (
        Grant.objects.filter(fund__in=_public_funds(neighbourhood))
        .select_related("fund", "proposal", "recipient_organisation")
        .order_by("-approved_at", "-pk")
    )
    if status:
        qs = qs.filter(status=status)
    if fund_id is not None:
        qs = qs.filter(fund_id=fund_id)
    return qs


def public_grant_get(*, pk: int, user):
    """One grant of a public fund in a neighbourhood this user may see, or None."""
    from communities.models import Neighbourhood

    from .models import Grant

    return (
        Grant.objects.exclude(fund__status=Fund.Status.PROPOSED)
        .filter(pk=pk, fund__neighbourhood__in=Neighbourhood.objects.visible_to(user))
        .select_related("fund", "fund__neighbourhood", "proposal", "recipient_organisation")
        .first()
    )


def accepted_reports(*, funds=None, grants=None) -> dict[int, int]:
    """Accepted monitoring reports per grant of these funds, or of these grants (progress,
    shown as a count: report bodies may name people). One query."""
    reports = MonitoringReport.objects.filter(status=MonitoringReport.Status.ACCEPTED)
    if funds is not None:
        reports = reports.filter(grant__fund__in=funds)
    if grants is not None:
        reports = reports.filter(grant_id__in=[g.pk for g in grants])
    return dict(
        reports.order_by().values("grant_id").annotate(n=Count("pk")).values_list("grant_id", "n")
    )
