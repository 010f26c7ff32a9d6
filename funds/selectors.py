"""Reads of the funds app. Balances are derived from the ledger's legs by aggregate queries
(one indexed SUM per question), never stored as the truth."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Sum

from .models import Account, Fund, Grant, JournalEntry, JournalLeg, LedgerSummary

A = Account


def fund_ceiling_pence(neighbourhood) -> int | None:
    """The largest live fund's agreed total: no proposal may ask for more (proposals.limits)."""
    live = (Fund.Status.AGREEMENT_ISSUED, Fund.Status.ACTIVE, Fund.Status.SUSPENDED)
    return (
        Fund.objects.filter(neighbourhood=neighbourhood, status__in=live)
        .order_by("-total_committed_pence")
        .values_list("total_committed_pence", flat=True)
        .first()
    )


def latest_balance(*, fund_id: int, account: str, before=None) -> int:
    """The account's running balance after its last leg (posted before `before`): one seek."""
    qs = JournalLeg.objects.filter(fund_id=fund_id, account=account)
    if before is not None:
        qs = qs.filter(posted_at__lt=before)
    value = qs.order_by("-posted_at", "-entry_id").values_list("balance_after_pence", flat=True)
    return int(value.first() or 0)


def account_balances(
    *, fund: Fund | int, since: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[str, int]:
    """Each account's movement over entries posted in [since, until) (from the beginning
    when since is None, to now when until is None): the difference of two running balances,
    each one index seek (see JournalLeg), whatever the ledger's size."""
    fund_id = fund.pk if isinstance(fund, Fund) else fund
    totals = {}
    for account in A.values:
        end = latest_balance(fund_id=fund_id, account=account, before=until)
        start = latest_balance(fund_id=fund_id, account=account, before=since) if since else 0
        totals[account] = end - start
    return totals


def account_balances_summed(*, fund: Fund | int, until: dt.datetime | None = None) -> dict:
    """The same balances by summing every leg (slow on a long ledger; for cross-checks)."""
    fund_id = fund.pk if isinstance(fund, Fund) else fund
    qs = JournalLeg.objects.filter(fund_id=fund_id)
    if until is not None:
        qs = qs.filter(posted_at__lt=until)
    totals = dict.fromkeys(A.values, 0)
    for row in qs.order_by().values("account").annotate(total=Sum("amount_pence")):
        totals[row["account"]] = int(row["total"] or 0)
    return totals


@dataclass(frozen=True)
class Figures:
    """The fund's money in plain terms, from account balances (debits +, credits -)."""

    received: int
    committed: int  # in total, net of commitments released
    outstanding: int  # committed and not yet paid
    paid: int  # to grantees and for running costs
    recovered: int
    returned: int
    available: int  # received - committed + recovered - returned

    @classmethod
    def from_balances(cls, b: dict[str, int]) -> Figures:
        paid = b[A.PAID] + b[A.RUNNING_COSTS]
        return cls(
            received=-b[A.RECEIVABLE],
            committed=b[A.COMMITTED] + paid,
            outstanding=b[A.COMMITTED],
            paid=paid,
            recovered=-b[A.RECOVERED],
            returned=b[A.RETURNED],
            available=b[A.CASH],
        )

    @property
    def cash_at_bank(self) -> int:
        return self.available + self.outstanding


def funds_figures(*, funds) -> dict[int, Figures]:
    """Each fund's figures now, by fund id: one grouped query over the yearly summary that
    every posting keeps in its own transaction (funds.models.LedgerSummary), however many
    funds, accounts and entries. The same figures as the running balances (verify_ledger
    checks the summary against the legs)."""
    ids = [f.pk if isinstance(f, Fund) else f for f in funds]
    balances = {fund_id: dict.fromkeys(A.values, 0) for fund_id in ids}
    if ids:
        rows = (
            LedgerSummary.objects.filter(fund_id__in=ids)
            .order_by()
            .values("fund_id", "account")
            .annotate(total=Sum("amount_pence"))
        )
        for row in rows:
            balances[row["fund_id"]][row["account"]] = int(row["total"] or 0)
    return {fund_id: Figures.from_balances(b) for fund_id, b in balances.items()}


def fund_figures(*, fund: Fund | int, until: dt.datetime | None = None) -> Figures:
    """The fund's figures now (one grouped query, funds_figures) or at `until` (the running
    balances: one index seek per account)."""
    if until is None:
        fund_id = fund.pk if isinstance(fund, Fund) else fund
        return funds_figures(funds=[fund_id])[fund_id]
    return Figures.from_balances(account_balances(fund=fund, until=until))


def fund_available_pence(*, fund: Fund | int) -> int:
    """Uncommitted cash: what a new grant may commit. Call under the fund lock to rely on it."""
    fund_id = fund.pk if isinstance(fund, Fund) else fund
    return latest_balance(fund_id=fund_id, account=A.CASH)


@dataclass(frozen=True)
class Statement:
    fund_id: int
    start: dt.datetime | None
    end: dt.datetime | None
    opening: Figures
    movements: dict[str, int]
    closing: Figures


def fund_statement(
    *, fund: Fund | int, start: dt.datetime | None = None, end: dt.datetime | None = None
) -> Statement:
    """Opening balances at `start`, movements in [start, end), closing at `end`: two index
    seeks per account (running balances, see JournalLeg) whatever the ledger's size."""
    fund_id = fund.pk if isinstance(fund, Fund) else fund
    opening, closing = {}, {}
    for account in A.values:
        opening[account] = (
            latest_balance(fund_id=fund_id, account=account, before=start) if start else 0
        )
        closing[account] = latest_balance(fund_id=fund_id, account=account, before=end)
    return Statement(
        fund_id=fund_id,
        start=start,
        end=end,
        opening=Figures.from_balances(opening),
        movements={account: closing[account] - opening[account] for account in A.values},
        closing=Figures.from_balances(closing),
    )


def grant_figures(*, grant: Grant) -> dict[str, int]:
    """What a grant has had: committed (net), paid, recovered, from its entries' legs."""
    legs = JournalLeg.objects.filter(entry__grant=grant).order_by()
    sums = {
        row["account"]: int(row["total"])
        for row in legs.values("account").annotate(total=Sum("amount_pence"))
    }
    paid = sums.get(A.PAID, 0) + sums.get(A.RUNNING_COSTS, 0)
    return {
        "committed": sums.get(A.COMMITTED, 0) + paid,
        "outstanding": sums.get(A.COMMITTED, 0),
        "paid": paid,
        "recovered": -sums.get(A.RECOVERED, 0),
    }


def grant_paid_pence(*, grant: Grant) -> int:
    return grant_figures(grant=grant)["paid"]


def spend_by_theme_and_year(*, neighbourhood) -> list[tuple[int, str, int]]:
    """(year, theme, pence paid) over the neighbourhood's funds, from the ledger's paid and
    running-cost movements (the yearly summary every posting keeps): a grant's theme is its
    proposal's; running costs are "running_costs". Net of reversals (a reversed payment's
    legs cancel it); recoveries are not subtracted."""
    rows = (
        LedgerSummary.objects.filter(
            fund__neighbourhood=neighbourhood, account__in=[A.PAID, A.RUNNING_COSTS]
        )
        .values("year", "grant__proposal__theme", "grant__purpose")
        .annotate(total=Sum("amount_pence"))
        .order_by("year")
    )
    totals: dict[tuple[int, str], int] = {}
    for row in rows:
        theme = row["grant__proposal__theme"] or (
            "running_costs" if row["grant__purpose"] == Grant.Purpose.RUNNING_COSTS else "other"
        )
        key = (row["year"], theme)
        totals[key] = totals.get(key, 0) + int(row["total"] or 0)
    return [(year, theme, pence) for (year, theme), pence in sorted(totals.items()) if pence]


def journal_list(*, fund: Fund, limit: int = 100):
    return JournalEntry.objects.filter(fund=fund).order_by("-seq").prefetch_related("legs")[:limit]
