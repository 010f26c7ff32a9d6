"""Proposals and their cost lines. The lifecycle's allowed transitions are in services."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Theme(models.TextChoices):
    PLACES_TO_MEET = "places_to_meet", "Places to meet"
    HOUSING = "housing", "Housing"
    SAFETY = "safety", "Safety and \u201ccrime and grime\u201d"
    JOBS_SKILLS = "jobs_skills", "Jobs and skills"
    YOUNG_PEOPLE = "young_people", "Young people"
    TRANSPORT = "transport", "Transport"
    DIGITAL = "digital", "Digital connection"
    ENVIRONMENT = "environment", "Environment"
    HEALTH = "health", "Health and wellbeing"
    OTHER = "other", "Other"


class Proposal(models.Model):
    """A resident's proposal for an investment in their neighbourhood."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted"
        SCREENING = "screening", "Being screened"
        SHORTLISTED = "shortlisted", "Shortlisted"
        INELIGIBLE = "ineligible", "Not eligible"
        ON_BALLOT = "on_ballot", "On the ballot"
        SELECTED = "selected", "Selected by residents"
        NOT_SELECTED = "not_selected", "Not selected"
        GRANTED = "granted", "Granted"
        IN_DELIVERY = "in_delivery", "Being delivered"
        COMPLETED = "completed", "Completed"
        WITHDRAWN = "withdrawn", "Withdrawn"

    neighbourhood = models.ForeignKey(
        "communities.Neighbourhood", on_delete=models.PROTECT, related_name="proposals"
    )
    proposer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposals"
    )
    organisation = models.CharField(
        max_length=200, blank=True, help_text="Proposing organisation, if any"
    )
    title = models.CharField(max_length=120)
    summary = models.CharField(max_length=200)
    description = models.TextField(help_text="Markdown")
    description_html = models.TextField(blank=True, editable=False)
    theme = models.CharField(max_length=20, choices=Theme.choices)
    location = models.CharField(max_length=200, blank=True)
    trustee_links = models.TextField(
        blank=True, help_text="Any links between the proposer and a trustee"
    )
    linked_trustees = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="linked_proposals"
    )
    status = models.CharField(max_length=14, choices=Status.choices, default=Status.DRAFT)
    # Set at screening when trustees revise the cost; the ballot uses it when present.
    screened_cost_pence = models.PositiveBigIntegerField(null=True, blank=True)
    status_reason = models.TextField(blank=True, help_text="Reason for the current status")
    support_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    screening_at = models.DateTimeField(null=True, blank=True)
    shortlisted_at = models.DateTimeField(null=True, blank=True)
    ineligible_at = models.DateTimeField(null=True, blank=True)
    on_ballot_at = models.DateTimeField(null=True, blank=True)
    selected_at = models.DateTimeField(null=True, blank=True)
    not_selected_at = models.DateTimeField(null=True, blank=True)
    granted_at = models.DateTimeField(null=True, blank=True)
    in_delivery_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["neighbourhood", "status"], name="proposal_nbhd_status_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(support_count__gte=0), name="proposal_support_count_nonneg"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def total_pence(self) -> int:
        """The proposer's total: the sum of the cost lines."""
        if hasattr(self, "total_pence_annotated"):
            return self.total_pence_annotated or 0
        return sum(line.amount_pence for line in self.cost_lines.all())

    @property
    def ballot_cost_pence(self) -> int:
        """What the ballot and the count use: the screened cost if trustees revised it."""
        if self.screened_cost_pence is not None:
            return self.screened_cost_pence
        return self.total_pence


class CostLine(models.Model):
    """One line of a proposal's budget, in pence."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="cost_lines")
    description = models.CharField(max_length=200)
    amount_pence = models.PositiveBigIntegerField()
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_pence__gte=0), name="costline_amount_nonneg")
        ]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount_pence}p"
