"""Re-verify the ledger from the database: each fund's hash chain, every entry's balance, and
each chain against the heads the audit trail recorded at each posting (RULINGS, Money).

Streams ordered queries through server-side cursors, so a million entries verify in
bounded memory. What it cannot catch (docs/funds.md): a database administrator who rewrites
the ledger and the audit trail consistently; witnessing heads outside the database is a
later step.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db import connection, transaction
from django.utils import timezone

from .ledger_chain import ChainHead, ChainProblem, verify_chain
from .models import Fund, LedgerSummary

CHUNK = 5000


def _iso(value) -> str:
    """posted_at as the service hashed it (datetime.isoformat() in UTC). SQLite hands back
    Django's stored text ('2026-01-02 03:04:05.678901', UTC); PostgreSQL an aware datetime."""
    if isinstance(value, str):
        # Django's own SQLite format, naive UTC: rewrite the text rather than parse it.
        if len(value) in (19, 26) and value[10] == " " and "+" not in value:
            return f"{value[:10]}T{value[11:]}+00:00"
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat()


_PG_ISO = (
    "CASE WHEN date_trunc('second', posted_at) = posted_at "
    "THEN to_char(posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"+00:00\"') "
    "ELSE to_char(posted_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"') END"
)


def _stream(sql: str, params: list) -> Iterator[tuple]:
    """Rows of one query, fetched in chunks through a server-side cursor on PostgreSQL
    (connection.chunked_cursor), so memory stays flat however long the ledger is."""
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql, params)
        while True:
            rows = cursor.fetchmany(CHUNK)
            if not rows:
                return
            yield from rows


class _LocalYears:
    """The local calendar year of a UTC ISO timestamp, by comparing text with each year's
    first instant (cached): the summary check must not convert two million timestamps."""

    def __init__(self) -> None:
        self.starts: dict[int, str] = {}

    def start(self, year: int) -> str:
        if year not in self.starts:
            first = timezone.make_aware(dt.datetime(year, 1, 1))
            self.starts[year] = first.astimezone(dt.UTC).isoformat()
        return self.starts[year]

    def __call__(self, iso_utc: str) -> int:
        year = int(iso_utc[:4])
        if iso_utc >= self.start(year + 1):
            return year + 1
        if iso_utc < self.start(year):
            return year - 1
        return year


def ledger_entries(
    fund_id: int, sums: dict[tuple[int, str, int | None], int] | None = None
) -> Iterator[dict]:
    """The fund's entries in seq order with their legs, as ledger_chain expects them.

    Two ordered streams (entries by seq; legs by their entry's seq and line) merged as they
    go; raw SQL because the ORM's per-row conversions cost more than the hashing does. When
    `sums` is given, each leg's amount is added to it per (local year, account, grant), for
    the check of the yearly summary (summary_problem)."""
    local_year = _LocalYears()
    if connection.vendor == "postgresql":
        # posted_at as text already in the hashed format (datetime.isoformat() in UTC, no
        # fraction when it is zero): building an aware datetime per row only to print it
        # again cost more than the hashing. tests/funds/test_verify_ledger.py pins it.
        posted, iso = _PG_ISO, None
    else:
        # SQLite: the stored text, rewritten (_iso) rather than parsed.
        posted, iso = "CAST(posted_at AS TEXT)", _iso
    entries = _stream(
        f"SELECT id, fund_id, seq, idempotency_key, kind, memo, {posted}, reverses_id, "
        "grant_id, prev_hash, hash FROM funds_journalentry WHERE fund_id = %s ORDER BY seq",
        [fund_id],
    )
    # Whether each leg is dated as its entry is compared in the database, not per row here.
    legs = _stream(
        "SELECT e.seq, l.entry_id, l.fund_id, l.posted_at = e.posted_at, l.account, "
        "l.amount_pence, l.balance_after_pence "
        "FROM funds_journalleg l JOIN funds_journalentry e ON e.id = l.entry_id "
        "WHERE e.fund_id = %s ORDER BY e.seq, l.line",
        [fund_id],
    )
    leg = next(legs, None)
    running: dict[str, int] = {}
    summing = sums is not None
    year_of, years = local_year, local_year.starts
    for entry_id, fund, seq, key, kind, memo, posted, reverses, grant, prev, digest in entries:
        posted_at = posted if iso is None else iso(posted)
        legs_of: list[tuple[str, int]] = []
        entry = {
            "id": entry_id,
            "fund_id": fund,
            "seq": seq,
            "idempotency_key": key,
            "kind": kind,
            "memo": memo,
            "posted_at": posted_at,
            "reverses_id": reverses,
            "grant_id": grant,
            "prev_hash": prev,
            "hash": digest,
            "legs": legs_of,
        }
        if summing:
            year = int(posted_at[:4])
            start, following = years.get(year), years.get(year + 1)
            if start is None or following is None or not start <= posted_at < following:
                year = year_of(posted_at)
        # Skip legs of entries that sort before this one (only after tampering).
        while leg is not None and leg[0] < seq:
            leg = next(legs, None)
        while leg is not None and leg[0] == seq and leg[1] == entry_id:
            _, _, leg_fund, same_date, account, amount, after = leg
            legs_of.append((account, amount))
            if summing:
                total = (year, account, grant)
                sums[total] = sums.get(total, 0) + amount
            balance = running.get(account, 0) + amount
            if balance != after:
                entry["problem"] = "has a running balance that does not follow from the amounts"
                balance = after
            running[account] = balance
            if leg_fund != fund_id:
                entry["problem"] = "has a leg booked to another fund"
            elif not same_date:
                entry["problem"] = "has a leg dated differently from the entry"
            leg = next(legs, None)
        yield entry


def audit_heads(fund_id: int) -> Iterator[tuple[int, str]]:
    """(seq, hash) of the fund's head as recorded by each `funds.ledger_posted` event."""
    if connection.vendor == "postgresql":
        fields = "changes->>'seq', changes->>'hash'"
    else:
        fields = "json_extract(changes, '$.seq'), json_extract(changes, '$.hash')"
    rows = _stream(
        f"SELECT {fields} FROM audit_auditevent WHERE action = %s AND object_type = %s "
        "AND object_id = %s ORDER BY seq",
        ["funds.ledger_posted", "funds.fund", str(fund_id)],
    )
    for seq, digest in rows:
        yield int(seq or 0), str(digest or "")


def verify_fund(fund_id: int) -> tuple[ChainHead, ChainProblem | None]:
    """Verify one fund inside one read transaction, so the three streams (entries, legs,
    audit heads) see the same snapshot even while postings go on (REPEATABLE READ on
    PostgreSQL; SQLite's read transaction is a snapshot already); then its yearly summary
    against the legs the same pass added up."""
    sums: dict[tuple[int, str, int | None], int] = {}
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        entries, heads = ledger_entries(fund_id, sums), audit_heads(fund_id)
        try:
            head, problem = verify_chain(fund_id, entries, heads)
            # In the same snapshot as the legs: a posting meanwhile changes neither.
            return head, problem or summary_problem(fund_id, sums)
        finally:
            entries.close()
            heads.close()


def summary_problem(
    fund_id: int, sums: dict[tuple[int, str, int | None], int] | None = None
) -> ChainProblem | None:
    """The first row of the fund's yearly summary (LedgerSummary) that the legs do not add up
    to, or a sum the summary lacks: the workspace's charts read the summary, so it must
    follow from the amounts exactly as the running balances must. `sums` are the legs per
    (local year, account, grant), as ledger_entries adds them (read afresh when not given)."""
    if sums is None:
        sums = {}
        for _entry in ledger_entries(fund_id, sums):
            pass
    kept = {
        (year, account, grant_id): amount
        for year, account, grant_id, amount in LedgerSummary.objects.filter(
            fund_id=fund_id
        ).values_list("year", "account", "grant_id", "amount_pence")
    }
    for key in sorted(set(sums) | set(kept), key=str):
        if sums.get(key, 0) != kept.get(key, 0):
            year, account, grant_id = key
            return ChainProblem(
                fund_id,
                0,
                None,
                f"the yearly summary for {year}, {account}"
                f"{f', grant {grant_id}' if grant_id else ''} says {kept.get(key, 0)} pence "
                f"but its legs add up to {sums.get(key, 0)}",
            )
    return None


def verify_ledger(*, fund_id: int | None = None) -> tuple[list[ChainHead], ChainProblem | None]:
    """Verify one fund or all; stop at the first problem."""
    ids = (
        [fund_id]
        if fund_id is not None
        else list(Fund.objects.order_by("pk").values_list("pk", flat=True))
    )
    heads = []
    for pk in ids:
        head, problem = verify_fund(pk)
        heads.append(head)
        if problem is not None:
            return heads, problem
    return heads, None
