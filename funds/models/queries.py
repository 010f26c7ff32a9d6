"""Funder auditors' queries on a ledger entry, a grant or a claim, and the trustees' answers.

A query is a thread: the auditor raises it, the neighbourhood's trustees answer, the auditor
replies, closes or reopens it. Every message (closing and reopening included) is an
append-only row, like a ledger row: the ORM refuses to change or delete one, so the thread is
kept for good. The query row itself only carries its state (open or closed).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from .ledger import ImmutableModel

SUBJECT_MAX = 200
BODY_MAX = 5000


class FundQuery(models.Model):
    """One question about exactly one ledger entry, grant or claim of a fund."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    fund = models.ForeignKey("funds.Fund", on_delete=models.PROTECT, related_name="queries")
    entry = models.ForeignKey(
        "funds.JournalEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grant = models.ForeignKey(
        "funds.Grant", null=True, blank=True, on_delete=models.PROTECT, related_name="queries"
    )
    claim = models.ForeignKey(
        "funds.Claim", null=True, blank=True, on_delete=models.PROTECT, related_name="queries"
    )
    subject = models.CharField(max_length=SUBJECT_MAX)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_message_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_message_at", "-pk"]
        verbose_name_plural = "fund queries"
        constraints = [
            # Exactly one target: an entry, a grant or a claim.
            models.CheckConstraint(
                condition=(
                    Q(entry__isnull=False, grant__isnull=True, claim__isnull=True)
                    | Q(entry__isnull=True, grant__isnull=False, claim__isnull=True)
                    | Q(entry__isnull=True, grant__isnull=True, claim__isnull=False)
                ),
                name="fund_query_one_target",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="fund_query_closed_at",
            ),
        ]
        indexes = [
            models.Index(fields=["fund", "status", "last_message_at"], name="fund_query_idx")
        ]

    def __str__(self) -> str:
        return f"Query {self.pk}: {self.subject}"

    @property
    def target_label(self) -> str:
        if self.entry_id:
            return f"ledger entry {self.entry.seq}"
        if self.grant_id:
            return f"grant “{self.grant.title}”"
        return f"claim {self.claim_id}"


class FundQueryMessage(ImmutableModel):
    """One step of a query's thread: a question, an answer, a reply, a close or a reopen."""

    class Kind(models.TextChoices):
        QUESTION = "question", "Question"
        ANSWER = "answer", "Answer"
        REPLY = "reply", "Reply"
        CLOSED = "closed", "Closed"
        REOPENED = "reopened", "Reopened"

    query = models.ForeignKey(FundQuery, on_delete=models.PROTECT, related_name="messages")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    author_role = models.CharField(max_length=20)
    body = models.TextField(blank=True, max_length=BODY_MAX)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["query", "created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(body="") | Q(kind__in=["closed", "reopened"]),
                name="fund_query_message_has_body",
            )
        ]

    def __str__(self) -> str:
        return f"{self.query_id} {self.kind}"
