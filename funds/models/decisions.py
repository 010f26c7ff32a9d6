"""Trustee meetings and the decisions they take on grants, variations and recoveries."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Meeting(models.Model):
    """A meeting of the partnership: who came, who sent apologies."""

    neighbourhood = models.ForeignKey(
        "communities.Neighbourhood", on_delete=models.PROTECT, related_name="meetings"
    )
    held_on = models.DateField()
    convened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    apologies = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"Meeting of {self.held_on}"


class Decision(models.Model):
    """What the meeting decided on one item, with the quorum it had.

    The subject is a proposal to fund (a grant, or running costs when there is no
    proposal), a variation or a recovery. The counts are kept with the votes so the minutes
    read the same after a trustee leaves; trustees stay named as office-holders.
    """

    class Subject(models.TextChoices):
        GRANT = "grant", "Grant"
        VARIATION = "variation", "Variation"
        RECOVERY = "recovery", "Recovery"

    class Outcome(models.TextChoices):
        PASSED = "passed", "Passed"
        REJECTED = "rejected", "Not passed"

    meeting = models.ForeignKey(Meeting, on_delete=models.PROTECT, related_name="decisions")
    fund = models.ForeignKey("funds.Fund", on_delete=models.PROTECT, related_name="decisions")
    subject = models.CharField(max_length=20, choices=Subject.choices)
    proposal = models.ForeignKey(
        "proposals.Proposal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    grant = models.ForeignKey(
        "funds.Grant", null=True, blank=True, on_delete=models.PROTECT, related_name="decisions"
    )
    variation = models.OneToOneField(
        "funds.Variation", null=True, blank=True, on_delete=models.PROTECT, related_name="decision"
    )
    recovery = models.OneToOneField(
        "funds.Recovery", null=True, blank=True, on_delete=models.PROTECT, related_name="decision"
    )
    motion = models.TextField()
    amount_pence = models.PositiveBigIntegerField(default=0)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    eligible_count = models.PositiveSmallIntegerField()
    quorum = models.PositiveSmallIntegerField()
    votes_for = models.PositiveSmallIntegerField(default=0)
    votes_against = models.PositiveSmallIntegerField(default=0)
    abstentions = models.PositiveSmallIntegerField(default=0)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_subject_display()}: {self.get_outcome_display()}"

    @property
    def passed(self) -> bool:
        return self.outcome == self.Outcome.PASSED


class DecisionVote(models.Model):
    class Choice(models.TextChoices):
        FOR = "for", "For"
        AGAINST = "against", "Against"
        ABSTAIN = "abstain", "Abstain"

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="votes")
    trustee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    choice = models.CharField(max_length=10, choices=Choice.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["decision", "trustee"], name="decision_vote_once")
        ]

    def __str__(self) -> str:
        return self.get_choice_display()


class DecisionExclusion(models.Model):
    """A trustee kept out of the vote and the quorum, and why."""

    class Reason(models.TextChoices):
        DECLARED = "declared", "Declared a conflict"
        PROPOSER = "proposer", "Proposed it"
        PAYEE = "payee", "Would be paid"
        LINKED = "linked", "Linked to the proposer"

    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="exclusions")
    trustee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=Reason.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["decision", "trustee"], name="decision_exclusion_once"),
            models.CheckConstraint(condition=~Q(reason=""), name="decision_exclusion_has_reason"),
        ]

    def __str__(self) -> str:
        return self.get_reason_display()
