"""Deleting personal data a set time after it is needed (RULINGS, "Retention"): idempotent,
audited with counts only. Run nightly by `retention_sweep_task` (CELERY_BEAT_SCHEDULE) or by
hand with `python manage.py retention_sweep`."""

from __future__ import annotations

import datetime

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from audit.services import audit_record
from notifications.models import SmsSubscription
from voting.models import VoteRound

from .registry import ROUND_DATA


def retention_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or timezone.now()) - datetime.timedelta(days=settings.RETENTION_DAYS)


def retention_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Delete what ROUND_DATA names for rounds certified (or annulled) before the cutoff, and
    phone numbers of people who stopped texts before it; returns counts by label.

    Each round is done in its own transaction with one audit event (counts only) in its
    neighbourhood's stream; a re-run finds nothing pending and records nothing.
    """
    now = now or timezone.now()
    cutoff = retention_cutoff(now)
    totals: dict[str, int] = {entry.label: 0 for entry in ROUND_DATA}
    round_ids = list(
        VoteRound.objects.filter(
            Q(certified_at__lte=cutoff) | Q(annulled_at__lte=cutoff)
        ).values_list("pk", flat=True)
    )
    for round_id in sorted(round_ids):
        with transaction.atomic():
            counts = {}
            for entry in ROUND_DATA:
                model = apps.get_model(entry.model)
                rows = model.objects.filter(entry.pending, **{entry.round_path: round_id})
                counts[entry.label] = (
                    entry.erase_rows(rows) if entry.erase_rows else rows.update(**entry.erase())
                )
            if any(counts.values()):
                audit_record(
                    action="retention.in_person_data_deleted",
                    obj=VoteRound.objects.get(pk=round_id),
                    actor_role="system",
                    changes={"rows": counts, "days": settings.RETENTION_DAYS},
                )
            for label, n in counts.items():
                totals[label] += n
    with transaction.atomic():
        phones = SmsSubscription.objects.filter(opted_out_at__lte=cutoff).exclude(phone_e164="")
        totals["phone numbers"] = phones.update(phone_e164="", updated_at=now)
        if totals["phone numbers"]:
            audit_record(
                action="retention.phone_numbers_deleted",
                actor_role="system",
                changes={"rows": totals["phone numbers"], "days": settings.RETENTION_DAYS},
            )
    return totals
