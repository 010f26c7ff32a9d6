"""Posting to a fund's ledger: the only code that writes journal entries.

A posting runs under the fund's row lock, so entries of one fund get seq 1, 2, 3... in
order and each chains to the previous hash. The idempotency key is unique: a retried or
concurrent request with the same key gets the entry already posted back, and posts nothing.
Each posting writes the audit event `funds.ledger_posted` carrying the fund's new head
(seq and hash), which verify_ledger checks the chain against.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from config.errors import ApplicationError, ForbiddenError

from ..ledger_chain import GENESIS_HASH, entry_hash, legs_problem
from ..models import Account, Fund, Grant, JournalEntry, JournalLeg, LedgerSummary
from ..selectors import latest_balance
from ._common import audit, lock_fund

VALID_ACCOUNTS = set(Account.values)


def entry_content(entry: JournalEntry, legs: Sequence[tuple[str, int]]) -> dict:
    return {
        "id": entry.pk,
        "fund_id": entry.fund_id,
        "seq": entry.seq,
        "idempotency_key": entry.idempotency_key,
        "kind": entry.kind,
        "memo": entry.memo,
        "posted_at": entry.posted_at.isoformat(),
        "reverses_id": entry.reverses_id,
        "grant_id": entry.grant_id,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
        "legs": list(legs),
    }


def summary_add(*, fund: Fund, grant_id: int | None, posted_at, legs) -> None:
    """Add a posting's legs to the fund's yearly summary (funds.models.LedgerSummary).

    The caller holds the fund's lock, so nobody else adds to these rows meanwhile: an
    UPDATE, or an INSERT when the row is new, cannot race."""
    year = timezone.localtime(posted_at).year
    per_account: dict[str, int] = {}
    for account, amount in legs:
        per_account[account] = per_account.get(account, 0) + amount
    for account, amount in per_account.items():
        rows = LedgerSummary.objects.filter(
            fund=fund, year=year, account=account, grant_id=grant_id
        )
        if not rows.update(amount_pence=F("amount_pence") + amount):
            LedgerSummary.objects.create(
                fund=fund, year=year, account=account, grant_id=grant_id, amount_pence=amount
            )


@transaction.atomic
def ledger_post(
    *,
    fund: Fund,
    kind: str,
    legs: Sequence[tuple[str, int]],
    idempotency_key: str,
    memo: str = "",
    grant: Grant | None = None,
    reverses: JournalEntry | None = None,
    actor=None,
) -> JournalEntry:
    """Append one balanced entry (two or more legs, integer pence, summing to zero).

    Returns the existing entry when the key was used before for the same fund and kind.
    """
    fund = lock_fund(fund)
    existing = JournalEntry.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        if existing.fund_id != fund.pk or existing.kind != kind:
            raise ApplicationError("That payment reference was already used for something else.")
        return existing
    legs = [(str(account), amount) for account, amount in legs]
    problem = legs_problem(legs)
    if problem:
        raise ApplicationError(f"This posting {problem}; nothing was recorded.")
    if any(account not in VALID_ACCOUNTS for account, _ in legs):
        raise ApplicationError("This posting names an account the ledger does not have.")
    if reverses is not None and reverses.fund_id != fund.pk:
        raise ApplicationError("An entry can only reverse an entry of the same fund.")
    last = (
        JournalEntry.objects.filter(fund=fund)
        .order_by("-seq")
        .values("seq", "hash", "posted_at")
        .first()
    )
    # Never earlier than the previous entry (a clock stepping back must not reorder the
    # fund's history): seq order and posted_at order are then the same.
    posted_at = timezone.now()
    if last and last["posted_at"] > posted_at:
        posted_at = last["posted_at"]
    entry = JournalEntry(
        fund=fund,
        seq=(last["seq"] if last else 0) + 1,
        idempotency_key=idempotency_key,
        kind=kind,
        memo=memo[:300],
        posted_at=posted_at,
        reverses=reverses,
        grant=grant,
        prev_hash=last["hash"] if last else GENESIS_HASH,
    )
    entry.hash = entry_hash(entry_content(entry, legs))
    entry.save()
    running = {account: latest_balance(fund_id=fund.pk, account=account) for account, _ in legs}
    rows = []
    for line, (account, amount) in enumerate(legs, start=1):
        running[account] += amount
        rows.append(
            JournalLeg(
                entry=entry,
                line=line,
                fund=fund,
                posted_at=entry.posted_at,
                account=account,
                amount_pence=amount,
                balance_after_pence=running[account],
            )
        )
    JournalLeg.objects.bulk_create(rows)
    summary_add(fund=fund, grant_id=entry.grant_id, posted_at=entry.posted_at, legs=legs)
    audit(
        "funds.ledger_posted",
        actor=actor,
        obj=fund,
        entry_id=entry.pk,
        seq=entry.seq,
        hash=entry.hash,
        kind=kind,
        idempotency_key=idempotency_key,
    )
    return entry


@transaction.atomic
def ledger_entry_reverse(*, actor, entry: JournalEntry, memo: str) -> JournalEntry:
    """A correction: a new entry with every leg negated, pointing at what it reverses.

    Only the fund's finance officer corrects, and an entry is reversed once."""
    from ..permissions import can_manage_fund

    fund = lock_fund(entry.fund_id)
    if not can_manage_fund(actor, fund):
        raise ForbiddenError("Only the fund's finance officer can correct the ledger.")
    if not memo.strip():
        raise ApplicationError("Say why this entry is being reversed.")
    if entry.kind == JournalEntry.Kind.REVERSAL:
        raise ApplicationError("A reversal cannot itself be reversed; post a new entry.")
    legs = [(leg.account, -leg.amount_pence) for leg in entry.legs.order_by("line")]
    return ledger_post(
        fund=fund,
        kind=JournalEntry.Kind.REVERSAL,
        legs=legs,
        idempotency_key=f"reverse-{entry.pk}",
        memo=memo,
        grant=entry.grant,
        reverses=entry,
        actor=actor,
    )
