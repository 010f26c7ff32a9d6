"""Re-verify the ledger from the database: each fund's hash chain, every entry's balance, and
each chain against the heads the audit trail recorded at each posting (RULINGS, Money).

Streams in batches (keyset by seq, legs fetched per batch), so a million entries verify in
bounded memory. What it cannot catch (docs/funds.md): a database administrator who rewrites
the ledger and the audit trail consistently; witnessing heads outside the database is a
later step.
"""

from __future__ import annotations

from collections.abc import Iterator

from audit.models import AuditEvent

from .ledger_chain import ChainHead, ChainProblem, verify_chain
from .models import Fund, JournalEntry, JournalLeg

BATCH = 5000
ENTRY_FIELDS = (
    "id",
    "fund_id",
    "seq",
    "idempotency_key",
    "kind",
    "memo",
    "posted_at",
    "reverses_id",
    "grant_id",
    "prev_hash",
    "hash",
)


def ledger_entries(fund_id: int, *, batch: int = BATCH) -> Iterator[dict]:
    """The fund's entries in seq order with their legs, as ledger_chain expects them."""
    last_seq = 0
    while True:
        rows = list(
            JournalEntry.objects.filter(fund_id=fund_id, seq__gt=last_seq)
            .order_by("seq")
            .values(*ENTRY_FIELDS)[:batch]
        )
        if not rows:
            return
        by_id = {row["id"]: row for row in rows}
        for row in rows:
            row["legs"] = []
        leg_rows = (
            JournalLeg.objects.filter(entry_id__in=list(by_id))
            .order_by("entry_id", "line")
            .values_list("entry_id", "fund_id", "posted_at", "account", "amount_pence")
        )
        for entry_id, leg_fund, leg_posted, account, amount in leg_rows.iterator(chunk_size=batch):
            row = by_id[entry_id]
            row["legs"].append((account, amount))
            if leg_fund != row["fund_id"]:
                row["problem"] = "has a leg booked to another fund"
            elif leg_posted != row["posted_at"]:
                row["problem"] = "has a leg dated differently from the entry"
        for row in rows:
            row["posted_at"] = row["posted_at"].isoformat()
            yield row
        last_seq = rows[-1]["seq"]


def audit_heads(fund_id: int, *, batch: int = BATCH) -> Iterator[tuple[int, str]]:
    """(seq, hash) of the fund's head as recorded by each `funds.ledger_posted` event."""
    last = 0
    base = AuditEvent.objects.filter(
        action="funds.ledger_posted", object_type="funds.fund", object_id=str(fund_id)
    )
    while True:
        rows = list(base.filter(seq__gt=last).order_by("seq").values_list("seq", "changes")[:batch])
        if not rows:
            return
        for _seq, changes in rows:
            yield int(changes.get("seq", 0)), str(changes.get("hash", ""))
        last = rows[-1][0]


def verify_fund(fund_id: int) -> tuple[ChainHead, ChainProblem | None]:
    return verify_chain(fund_id, ledger_entries(fund_id), audit_heads(fund_id))


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
