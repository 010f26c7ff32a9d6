"""Organisations (funders, fund holders, grantees, suppliers) and the funds they give and hold."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

# 360Giving org-ids for registered charities (England and Wales) and companies (Companies House).
ORG_ID_PATTERNS = {
    "GB-CHC": re.compile(r"^GB-CHC-\d{6,7}$"),
    "GB-COH": re.compile(r"^GB-COH-(\d{8}|(SC|NI|OC|SO|NC|SL|LP|FC)\d{6})$"),
}


def validate_org_id(value: str) -> None:
    """Accept `GB-CHC-1234567` (charity number) or `GB-COH-01234567` (company number)."""
    if not any(pattern.match(value or "") for pattern in ORG_ID_PATTERNS.values()):
        raise ValidationError(
            "Enter an org-id such as GB-CHC-1234567 (a registered charity) or "
            "GB-COH-01234567 (a company)."
        )


class Organisation(models.Model):
    """A funder, a fund-holding organisation, a grantee or a supplier."""

    class Kind(models.TextChoices):
        FUNDER = "funder", "Funder"
        FUND_HOLDER = "fund_holder", "Fund holder"
        GRANTEE = "grantee", "Grantee"
        SUPPLIER = "supplier", "Supplier"

    class DueDiligence(models.TextChoices):
        PENDING = "pending", "Not yet checked"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    charity_number = models.CharField(max_length=20, blank=True)
    company_number = models.CharField(max_length=20, blank=True)
    org_id = models.CharField("org-id", max_length=40, unique=True, validators=[validate_org_id])
    due_diligence_status = models.CharField(
        max_length=20, choices=DueDiligence.choices, default=DueDiligence.PENDING
    )
    due_diligence_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        # The org-id must agree with the number it is built from, when both are given.
        chc, coh = self.org_id.removeprefix("GB-CHC-"), self.org_id.removeprefix("GB-COH-")
        if chc != self.org_id and self.charity_number and chc != self.charity_number.strip():
            raise ValidationError({"org_id": "The org-id does not match the charity number."})
        if coh != self.org_id and self.company_number and coh != self.company_number.strip():
            raise ValidationError({"org_id": "The org-id does not match the company number."})


class Fund(models.Model):
    """A funder's devolved budget for one neighbourhood, held by a fund-holding organisation.

    The totals here are the agreement; what has been received, committed and paid is derived
    from the ledger (funds.selectors), never stored.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        AGREEMENT_ISSUED = "agreement_issued", "Agreement issued"
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        CLOSING = "closing", "Closing"
        CLOSED = "closed", "Closed"

    name = models.CharField(max_length=200)
    neighbourhood = models.ForeignKey(
        "communities.Neighbourhood", on_delete=models.PROTECT, related_name="funds"
    )
    funder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="funds_given")
    holder = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="funds_held")
    total_committed_pence = models.PositiveBigIntegerField()
    starts_on = models.DateField()
    ends_on = models.DateField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PROPOSED)
    status_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    agreement_issued_at = models.DateTimeField(null=True, blank=True)
    active_at = models.DateTimeField(null=True, blank=True)
    suspended_at = models.DateTimeField(null=True, blank=True)
    closing_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_committed_pence__gt=0), name="fund_total_gt_0"
            ),
            models.CheckConstraint(condition=Q(starts_on__lt=F("ends_on")), name="fund_period"),
            models.CheckConstraint(condition=~Q(funder=F("holder")), name="fund_funder_not_holder"),
        ]

    def __str__(self) -> str:
        return self.name


class FundTranche(models.Model):
    """One payment the funder schedules into the fund; receiving it posts to the ledger."""

    fund = models.ForeignKey(Fund, on_delete=models.PROTECT, related_name="tranches")
    due_on = models.DateField()
    amount_pence = models.PositiveBigIntegerField()
    received_at = models.DateTimeField(null=True, blank=True)
    entry = models.OneToOneField(
        "funds.JournalEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="fund_tranche",
    )

    class Meta:
        ordering = ["fund", "due_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_pence__gt=0), name="fund_tranche_amount_gt_0"
            ),
            models.CheckConstraint(
                condition=Q(received_at__isnull=True, entry__isnull=True)
                | Q(received_at__isnull=False, entry__isnull=False),
                name="fund_tranche_received_has_entry",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.fund} tranche due {self.due_on}"
