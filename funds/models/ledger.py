"""The double-entry journal: append-only entries of two or more legs in integer pence.

Chart of accounts (one ledger per fund; debits are positive, credits negative):
- receivable: from the funder. A received tranche credits it, so -balance = received.
- cash: the fund holder's cash that is not yet committed; its balance is `available`.
- committed: cash set aside for approved grants and not yet paid out.
- paid / running_costs: what has left the fund, to grantees or for the fund holder's costs.
- recovered: clawbacks and returned underspend (credited when the money comes back to cash).
- returned: money handed back to the funder.
So available = received - committed (in total) + recovered - returned, and cash at the fund
holder's bank is cash + committed. Entries never change: a correction is a new entry that
`reverses` the old one. Rows name funds and grants, never people (erasure never touches them).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from config.errors import ApplicationError

from ..ledger_chain import GENESIS_HASH


class LedgerImmutableError(ApplicationError):
    """Someone tried to change or delete a ledger row."""

    status_code = 409

    def __init__(
        self,
        message: str = "Ledger entries cannot be changed or deleted; post a "
        "reversing entry instead.",
    ) -> None:
        super().__init__(message)


class Account(models.TextChoices):
    RECEIVABLE = "receivable", "Receivable from funder"
    CASH = "cash", "Cash at fund holder (uncommitted)"
    COMMITTED = "committed", "Grants committed"
    PAID = "paid", "Grants paid"
    RUNNING_COSTS = "running_costs", "Running costs"
    RECOVERED = "recovered", "Recovered"
    RETURNED = "returned", "Returned to funder"


class ImmutableQuerySet(models.QuerySet):
    """Refuses bulk update and delete: ledger rows are append-only."""

    def update(self, **kwargs):
        raise LedgerImmutableError()

    def delete(self):
        raise LedgerImmutableError()

    # bulk_update goes through update(); it is refused with it.


class ImmutableModel(models.Model):
    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise LedgerImmutableError()
        kwargs["force_insert"] = True
        return super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise LedgerImmutableError()


class JournalEntry(ImmutableModel):
    """One posting in a fund's ledger, chained to the previous one by hash (see ledger_chain)."""

    class Kind(models.TextChoices):
        TRANCHE_RECEIVED = "tranche_received", "Tranche received from funder"
        GRANT_COMMITTED = "grant_committed", "Grant committed"
        GRANT_DECOMMITTED = "grant_decommitted", "Unpaid commitment released"
        TRANCHE_PAID = "tranche_paid", "Grant tranche paid"
        CLAIM_PAID = "claim_paid", "Claim paid"
        RECOVERY = "recovery", "Recovery received"
        RETURNED = "returned", "Returned to funder"
        REVERSAL = "reversal", "Reversal"

    fund = models.ForeignKey("funds.Fund", on_delete=models.PROTECT, related_name="entries")
    seq = models.PositiveBigIntegerField()
    idempotency_key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    memo = models.CharField(max_length=300, blank=True)
    posted_at = models.DateTimeField(default=timezone.now)
    reverses = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversals"
    )
    grant = models.ForeignKey(
        "funds.Grant", null=True, blank=True, on_delete=models.PROTECT, related_name="entries"
    )
    prev_hash = models.CharField(max_length=64, default=GENESIS_HASH)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["fund", "seq"]
        verbose_name_plural = "journal entries"
        constraints = [
            models.UniqueConstraint(fields=["fund", "seq"], name="journal_fund_seq_unique"),
            models.CheckConstraint(condition=Q(seq__gte=1), name="journal_seq_gte_1"),
            models.CheckConstraint(
                condition=~Q(reverses=models.F("id")), name="journal_not_self_reversal"
            ),
        ]
        indexes = [models.Index(fields=["fund", "posted_at"], name="journal_fund_posted_idx")]

    def __str__(self) -> str:
        return f"{self.fund_id}#{self.seq} {self.kind}"


class JournalLeg(ImmutableModel):
    """One side of an entry: an account and a signed amount (debit +, credit -).

    `fund` and `posted_at` repeat the entry's, and `balance_after_pence` is the account's
    running balance in this fund after this leg, so a balance at any moment is one index
    seek, not a sum over a million rows: that is how a statement over 1,000,000 entries stays
    under 200 ms (STYLE says balances are summed, never stored; this is the written-down
    exception). The amounts stay the truth: verify_ledger re-adds every amount and refuses
    any running balance that does not follow from them.
    """

    entry = models.ForeignKey(JournalEntry, on_delete=models.PROTECT, related_name="legs")
    line = models.PositiveSmallIntegerField()
    fund = models.ForeignKey("funds.Fund", on_delete=models.PROTECT, related_name="+")
    posted_at = models.DateTimeField()
    account = models.CharField(max_length=20, choices=Account.choices)
    amount_pence = models.BigIntegerField()
    balance_after_pence = models.BigIntegerField()

    class Meta:
        ordering = ["entry", "line"]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_pence=0), name="journal_leg_not_zero"),
            models.UniqueConstraint(fields=["entry", "line"], name="journal_leg_line_unique"),
        ]
        indexes = [
            models.Index(
                fields=["fund", "account", "posted_at", "entry"],
                name="journal_leg_balance_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_pence:+d}"


class LedgerSummary(models.Model):
    """Each fund's movement per year, account and grant, kept up to date by every posting.

    A derived table, like the legs' running balances: the workspace's charts (budget against
    spend, spend by theme) and the grants register read a few hundred of these rows instead of
    summing a million legs. `ledger_post` adds each leg under the fund's lock, in the posting's
    transaction, so the table never disagrees with the legs; verify_ledger re-adds the legs
    and names any row that does not follow from them. Year is the local calendar year.
    """

    fund = models.ForeignKey("funds.Fund", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    account = models.CharField(max_length=20, choices=Account.choices)
    grant = models.ForeignKey(
        "funds.Grant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    amount_pence = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["fund", "year", "account", "grant"]
        verbose_name_plural = "ledger summaries"
        constraints = [
            models.UniqueConstraint(
                fields=["fund", "year", "account", "grant"],
                condition=Q(grant__isnull=False),
                name="ledger_summary_grant_unique",
            ),
            models.UniqueConstraint(
                fields=["fund", "year", "account"],
                condition=Q(grant__isnull=True),
                name="ledger_summary_fund_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund_id} {self.year} {self.account} {self.grant_id}: {self.amount_pence}"
