"""Grants, their payment tranches, claims with receipts, monitoring, variations, recoveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from ..storage import receipt_storage


class Grant(models.Model):
    """Money the trustees decided to give: to an organisation or an individual resident.

    How it pays (RULINGS, Money): "advance" pays its tranches and claims report spend
    against them (accepted, not paid); "reimbursement" pays approved claims. Either way the
    total paid never exceeds the grant. Grantee contacts (users) see it and submit claims.
    """

    class Status(models.TextChoices):
        APPROVED = "approved", "Approved"
        AGREEMENT_ISSUED = "agreement_issued", "Agreement issued"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        COMPLETED = "completed", "Completed"
        CLOSED_EARLY = "closed_early", "Closed early"
        WITHDRAWN = "withdrawn", "Withdrawn"

    class Purpose(models.TextChoices):
        PROJECT = "project", "A selected proposal"
        RUNNING_COSTS = "running_costs", "Running costs"

    class PaymentMode(models.TextChoices):
        ADVANCE = "advance", "Paid in advance, spend reported by claims"
        REIMBURSEMENT = "reimbursement", "Claims reimbursed"

    fund = models.ForeignKey("funds.Fund", on_delete=models.PROTECT, related_name="grants")
    decision = models.OneToOneField(
        "funds.Decision", on_delete=models.PROTECT, related_name="approved_grant"
    )
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.PROJECT)
    proposal = models.OneToOneField(
        "proposals.Proposal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grant",
    )
    recipient_organisation = models.ForeignKey(
        "funds.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grants_received",
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="An individual resident (shown as such on public pages).",
    )
    contacts = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="grant_contacts")
    title = models.CharField(max_length=200)
    amount_pence = models.PositiveBigIntegerField()
    conditions = models.TextField(blank=True)
    planned_start = models.DateField(null=True, blank=True)
    planned_end = models.DateField(null=True, blank=True)
    payment_mode = models.CharField(
        max_length=20, choices=PaymentMode.choices, default=PaymentMode.ADVANCE
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.APPROVED)
    status_reason = models.TextField(blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(default=timezone.now)
    agreement_issued_at = models.DateTimeField(null=True, blank=True)
    active_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_early_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-approved_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_pence__gt=0), name="grant_amount_gt_0"),
            models.CheckConstraint(
                condition=Q(recipient_organisation__isnull=False, recipient_user__isnull=True)
                | Q(recipient_organisation__isnull=True, recipient_user__isnull=False),
                name="grant_one_recipient",
            ),
            models.CheckConstraint(
                condition=Q(purpose="running_costs") | Q(proposal__isnull=False),
                name="grant_project_has_proposal",
            ),
            models.CheckConstraint(
                condition=Q(planned_start__isnull=True)
                | Q(planned_end__isnull=True)
                | Q(planned_start__lte=F("planned_end")),
                name="grant_planned_dates",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def conflicted_user_ids(self) -> list[int]:
        """The payees (an individual recipient, the grantee contacts) and, for a project, the
        proposer and linked trustees: none of them decides, approves or pays this grant."""
        ids = set(self.payee_user_ids())
        if self.proposal_id:
            ids.update(self.proposal.conflicted_user_ids())
        return sorted(ids)

    def payee_user_ids(self) -> set[int]:
        """People who receive its money: for running costs to the fund holder, the person
        claiming (a contact), not the organisation (RULINGS, Money)."""
        if not self.pk:
            ids = set()
        elif "contacts" in getattr(self, "_prefetched_objects_cache", {}):
            # A list page prefetched them (funds.selectors_pages): no query per grant.
            ids = {user.pk for user in self.contacts.all()}
        else:
            ids = set(self.contacts.values_list("pk", flat=True))
        if self.recipient_user_id:
            ids.add(self.recipient_user_id)
        return ids

    @property
    def recipient_public_name(self) -> str:
        if self.recipient_user_id:
            return "an individual resident"
        return str(self.recipient_organisation)


class GrantTranche(models.Model):
    """One payment of a grant, released by the finance officer once its precondition holds."""

    class Precondition(models.TextChoices):
        NONE = "none", "None (paid on the agreement)"
        SPEND_REPORT_ACCEPTED = "spend_report_accepted", "Spend report accepted"
        MONITORING_REPORT_ACCEPTED = "monitoring_report_accepted", "Monitoring report accepted"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RELEASED = "released", "Paid"
        CANCELLED = "cancelled", "Cancelled"

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="tranches")
    number = models.PositiveSmallIntegerField()
    amount_pence = models.PositiveBigIntegerField()
    due_on = models.DateField(null=True, blank=True)
    precondition = models.CharField(
        max_length=40, choices=Precondition.choices, default=Precondition.NONE
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    released_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        "funds.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="grant_tranche",
    )
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    held_at = models.DateTimeField(null=True, blank=True)
    held_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["grant", "number"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_pence__gt=0), name="grant_tranche_amount_gt_0"
            ),
            models.UniqueConstraint(fields=["grant", "number"], name="grant_tranche_number"),
            models.CheckConstraint(
                condition=~Q(status="released")
                | Q(entry__isnull=False, released_at__isnull=False, released_by__isnull=False),
                name="grant_tranche_released_has_entry",
            ),
            models.CheckConstraint(
                condition=Q(held_at__isnull=True) | ~Q(held_reason=""),
                name="grant_tranche_hold_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.grant} tranche {self.number}"

    @property
    def is_held(self) -> bool:
        return self.held_at is not None


class Claim(models.Model):
    """Spend with receipts, submitted by a grantee contact (or the fund holder staff)."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        INCOMPLETE = "incomplete", "Returned for more information"
        APPROVED = "approved", "Approved"
        PAID = "paid", "Paid"
        REJECTED = "rejected", "Rejected"

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="claims")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    status_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        "funds.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="claim",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(approved_by__isnull=True) | ~Q(approved_by=F("submitted_by")),
                name="claim_not_self_approved",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.pk} on {self.grant}"

    def conflicted_user_ids(self) -> list[int]:
        return sorted({self.submitted_by_id, *self.grant.conflicted_user_ids()})


def receipt_path(instance: ClaimItem, filename: str) -> str:
    # The name the user gave is not kept in the path: a random name, the checked extension.
    import uuid

    return f"receipts/{instance.claim.grant_id}/{uuid.uuid4().hex}.{instance.receipt_kind}"


class ClaimItem(models.Model):
    """One line of a claim: what was bought, for how much, and its receipt (stored privately)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="items")
    description = models.CharField(max_length=200)
    amount_pence = models.PositiveBigIntegerField()
    receipt = models.FileField(
        upload_to=receipt_path, storage=receipt_storage, max_length=200, blank=True
    )
    receipt_kind = models.CharField(max_length=10, blank=True)  # jpeg, png, webp or pdf
    receipt_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["claim", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_pence__gt=0), name="claim_item_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return self.description


class MonitoringReport(models.Model):
    """A grantee's report on progress (and spend, for advance grants); accepting one can be a
    tranche's precondition."""

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Submitted"
        ACCEPTED = "accepted", "Accepted"
        RETURNED = "returned", "Returned for changes"

    class Kind(models.TextChoices):
        PROGRESS = "progress", "Progress report"
        SPEND = "spend", "Spend report"

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="reports")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PROGRESS)
    body = models.TextField()
    spend_pence = models.PositiveBigIntegerField(default=0)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.grant}"


class Variation(models.Model):
    """A change to a grant's budget lines; beyond the threshold it needs a decision."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not approved"

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="variations")
    description = models.TextField()
    moved_pence = models.PositiveBigIntegerField(help_text="How much moves between budget lines.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(moved_pence__gt=0), name="variation_moved_gt_0"),
        ]

    def __str__(self) -> str:
        return f"Variation of {self.grant}"


class Recovery(models.Model):
    """Money coming back from a grant: a clawback or returned underspend, decided by trustees
    and posted as a reversing entry of the payment it recovers."""

    class Kind(models.TextChoices):
        CLAWBACK = "clawback", "Clawback"
        UNDERSPEND = "underspend", "Returned underspend"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        RECEIVED = "received", "Received"
        CANCELLED = "cancelled", "Cancelled"

    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="recoveries")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount_pence = models.PositiveBigIntegerField()
    reason = models.TextField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    received_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        "funds.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="recovery",
    )

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name_plural = "recoveries"
        constraints = [
            models.CheckConstraint(condition=Q(amount_pence__gt=0), name="recovery_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} from {self.grant}"
