"""A fund's journal as CSV: one row per leg, with everything the hash covers, so an outsider
re-verifies the chain (docs/open-data.md) with funds.ledger_chain's canonical encoding.

Columns: fund_id, seq, date, posted_at (the exact ISO timestamp that was hashed), kind, memo,
idempotency_key, grant_id, reverses_id, line, account, debit_pence, credit_pence, hash,
prev_hash. A leg's signed amount is debit_pence - credit_pence (debits positive).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.utils import timezone

from ..models import JournalLeg

HEADER = [
    "fund_id",
    "seq",
    "date",
    "posted_at",
    "kind",
    "memo",
    "idempotency_key",
    "grant_id",
    "reverses_id",
    "line",
    "account",
    "debit_pence",
    "credit_pence",
    "hash",
    "prev_hash",
]


def ledger_rows(*, fund_id: int, chunk_size: int = 2000) -> Iterator[list]:
    """The header, then every leg in (seq, line) order, streamed from the database."""
    yield HEADER
    legs = (
        JournalLeg.objects.filter(entry__fund_id=fund_id)
        .order_by("entry__seq", "line")
        .values_list(
            "entry__seq",
            "entry__posted_at",
            "entry__kind",
            "entry__memo",
            "entry__idempotency_key",
            "entry__grant_id",
            "entry__reverses_id",
            "line",
            "account",
            "amount_pence",
            "entry__hash",
            "entry__prev_hash",
        )
    )
    for (
        seq,
        posted_at,
        kind,
        memo,
        key,
        grant_id,
        reverses_id,
        line,
        account,
        amount,
        h,
        prev,
    ) in legs.iterator(chunk_size=chunk_size):
        yield [
            fund_id,
            seq,
            timezone.localtime(posted_at).date().isoformat(),
            posted_at.astimezone(dt.UTC).isoformat(),  # as the service hashed it
            kind,
            memo,
            key,
            "" if grant_id is None else grant_id,
            "" if reverses_id is None else reverses_id,
            line,
            account,
            amount if amount > 0 else 0,
            -amount if amount < 0 else 0,
            h,
            prev,
        ]
