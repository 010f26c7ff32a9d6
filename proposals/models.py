"""Proposals, their cost lines, images, history, supports, comments, reports and milestones.

The lifecycle's allowed transitions are in services/lifecycle.py; every write goes through
a service.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from config.storage import private_storage


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


class ProposalQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Drafts are seen by their proposer only; everything else is public.

        Hidden proposals stay in lists (their text replaced by a notice), never removed.
        """
        if getattr(user, "is_authenticated", False):
            return self.filter(~Q(status=Proposal.Status.DRAFT) | Q(proposer=user))
        return self.exclude(status=Proposal.Status.DRAFT)

    def with_totals(self):
        """Annotate the sum of the cost lines in one query (no per-row lookups)."""
        total = Subquery(
            CostLine.objects.filter(proposal=OuterRef("pk"))
            .order_by()
            .values("proposal")
            .annotate(t=Sum("amount_pence"))
            .values("t")[:1],
            output_field=models.BigIntegerField(),
        )
        return self.annotate(total_pence_annotated=Coalesce(total, 0))

    def conflicted_for(self, user):
        """The proposals `user` is conflicted on, in one query: the people
        `Proposal.conflicted_user_ids` names (proposer, linked trustees) and declared
        conflicts, exactly as `communities.permissions.has_conflict` decides one at a time."""
        from communities.permissions import declared_conflict_exists

        if not getattr(user, "is_authenticated", False):
            return self.none()
        linked = Proposal.linked_trustees.through.objects.filter(proposal=OuterRef("pk"), user=user)
        return self.filter(
            Q(proposer=user) | Exists(linked) | declared_conflict_exists(user, Proposal)
        )


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
    # Screening by trustees: notes shown on the proposal page.
    screening_notes = models.TextField(blank=True)
    # Moderation: hidden content is replaced by a notice, never removed.
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.TextField(blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)

    objects = ProposalQuerySet.as_manager()

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

    def conflicted_user_ids(self) -> list[int]:
        """The proposer and the trustees the proposal declares links to: they cannot screen
        or decide it (communities.permissions.has_conflict asks this)."""
        ids = {self.proposer_id}
        if self.pk and "linked_trustees" in getattr(self, "_prefetched_objects_cache", {}):
            # A list page prefetched them: no query per proposal.
            ids.update(user.pk for user in self.linked_trustees.all())
        elif self.pk:
            ids.update(self.linked_trustees.values_list("pk", flat=True))
        return sorted(ids)

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


class StatusChange(models.Model):
    """One step of a proposal's history: shown on its page with the date and the reason."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="history")
    from_status = models.CharField(max_length=14, choices=Proposal.Status.choices, blank=True)
    to_status = models.CharField(max_length=14, choices=Proposal.Status.choices)
    reason = models.TextField(blank=True)
    # Null when the system (a scheduled task) made the change.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.proposal_id}: {self.from_status} -> {self.to_status}"


class Milestone(models.Model):
    """A progress update on a granted proposal, shown publicly on its page."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="milestones")
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    happened_on = models.DateField()
    update = models.CharField(max_length=500)
    progress_percent = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["happened_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(progress_percent__lte=100), name="milestone_progress_pct"
            )
        ]

    def __str__(self) -> str:
        return f"{self.happened_on}: {self.update[:40]}"


class ProposalImage(models.Model):
    """An uploaded photo. The original is kept only until the task has re-encoded it
    (which drops EXIF, GPS included) into display sizes; then it is deleted."""

    class Status(models.TextChoices):
        PENDING = "pending", "Being processed"
        READY = "ready", "Ready"
        FAILED = "failed", "Could not be processed"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="images")
    milestone = models.ForeignKey(
        Milestone, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    alt_text = models.CharField(max_length=250)
    # The upload as received (EXIF, GPS and all): private, deleted once re-encoded.
    original = models.FileField(
        upload_to="proposals/incoming/", storage=private_storage, blank=True
    )
    display_320 = models.FileField(upload_to="proposals/images/", blank=True)
    display_1024 = models.FileField(upload_to="proposals/images/", blank=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    error = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.alt_text


class Support(models.Model):
    """A resident's support for a proposal: one each, can be withdrawn (the row is deleted)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proposal_supports"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["proposal", "user"], name="support_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} supports {self.proposal_id}"


class Comment(models.Model):
    """A plain-text comment; replies are one level deep (a reply has no replies)."""

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="proposal_comments"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    body = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    is_hidden = models.BooleanField(default=False)
    hidden_reason = models.TextField(blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment {self.pk} on {self.proposal_id}"


class Report(models.Model):
    """Someone signed in reports a proposal or a comment; trustees resolve it."""

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="proposal_reports"
    )
    neighbourhood = models.ForeignKey(
        "communities.Neighbourhood", on_delete=models.CASCADE, related_name="proposal_reports"
    )
    proposal = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    comment = models.ForeignKey(
        Comment, null=True, blank=True, on_delete=models.CASCADE, related_name="reports"
    )
    reason = models.TextField(max_length=1000)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(proposal__isnull=False) & Q(comment__isnull=True))
                | (Q(proposal__isnull=True) & Q(comment__isnull=False)),
                name="report_exactly_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"Report {self.pk}"
