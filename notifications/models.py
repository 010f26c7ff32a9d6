"""Notices to members about votes: what each person wants, and what was already sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Kind(models.TextChoices):
    OPENS = "opens", "Voting opens today"
    CLOSING = "closing", "Voting closes tomorrow"
    CLOSED = "closed", "Voting has closed"
    RESULTS = "results", "Results are out"


class Delivery(models.TextChoices):
    IMMEDIATE = "immediate", "Straight away, one email per notice"
    DIGEST = "digest", "Once a day, in one email"


class NotificationPreference(models.Model):
    """How a person wants their notices (no row: straight away)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    delivery = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.IMMEDIATE)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(delivery__in=Delivery.values), name="notificationpref_delivery_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_delivery_display()}"


class Unsubscription(models.Model):
    """A person wants no notices of this kind (set by the one-click link in every email)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="unsubscriptions"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="unsubscription_once_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="unsubscription_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.user} stopped {self.get_kind_display()}"


class RoundNotice(models.Model):
    """A notice of one kind about one round was sent out (to everyone, once).

    The unique constraint is what makes a re-run or a duplicate delivery send nothing twice.
    """

    round = models.ForeignKey("voting.VoteRound", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    recipients = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["round", "kind"], name="roundnotice_once_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="roundnotice_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: round {self.round_id}"


class DigestItem(models.Model):
    """A notice waiting for the daily digest of someone who chose one."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey("voting.VoteRound", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "round", "kind"], name="digestitem_once_per_notice"
            ),
        ]
        indexes = [models.Index(fields=["sent_at", "user"], name="digestitem_pending_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.user_id}"


# Kinds that also go by text (issue 16): "voting has closed" stays an email.
SMS_KINDS = (Kind.OPENS, Kind.CLOSING, Kind.RESULTS)


class SmsSubscription(models.Model):
    """A person's mobile number for vote texts, with when they agreed (no row: no texts).

    Texts go only while `consented_at` is set and `opted_out_at` is not. A STOP text or the
    preferences page sets `opted_out_at`; the number itself is deleted by the retention task
    a set time later (retention/).
    """

    class Source(models.TextChoices):
        PREFERENCES = "preferences", "Preferences page"
        STOP = "stop", "STOP text"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sms_subscription"
    )
    phone_e164 = models.CharField("mobile number", max_length=16, blank=True, db_index=True)
    consented_at = models.DateTimeField(null=True, blank=True)
    opted_out_at = models.DateTimeField(null=True, blank=True)
    opt_out_source = models.CharField(max_length=12, choices=Source.choices, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(phone_e164="") | Q(phone_e164__startswith="+"),
                name="smssubscription_e164",
            ),
            # No texts without consent: a number is only kept with a consent time.
            models.CheckConstraint(
                condition=Q(phone_e164="") | Q(consented_at__isnull=False),
                name="smssubscription_number_needs_consent",
            ),
        ]

    def __str__(self) -> str:
        return f"Texts for {self.user_id}"

    @property
    def active(self) -> bool:
        return bool(self.phone_e164 and self.consented_at and not self.opted_out_at)


# A text that is not a notice: a polling code a member asked for by texting CODE.
SMS_CODE = "code"
SMS_DELIVERY_KINDS = [*Kind.choices, (SMS_CODE, "Polling code asked for by text")]


class SmsDelivery(models.Model):
    """A text about one round and kind went to one person: the unique constraint is what makes a
    duplicate delivery of the same outbox work send nothing twice. Holds no phone number.

    A polling code text (kind "code") is once per card rather than per round: a member may ask
    again (notifications/code_texts.py). The row never holds the code.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    round = models.ForeignKey("voting.VoteRound", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=SMS_DELIVERY_KINDS)
    card = models.ForeignKey(
        "voting.PollingCard", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    provider = models.CharField(max_length=10)
    provider_ref = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "round", "kind"],
                condition=~Q(kind=SMS_CODE),
                name="smsdelivery_once_per_notice",
            ),
            models.UniqueConstraint(
                fields=["card"], condition=Q(card__isnull=False), name="smsdelivery_once_per_card"
            ),
            models.CheckConstraint(
                condition=Q(kind=SMS_CODE, card__isnull=False) | (~Q(kind=SMS_CODE) & Q(card=None)),
                name="smsdelivery_code_has_card",
            ),
        ]

    def __str__(self) -> str:
        return f"Text {self.kind} for {self.user_id}"
