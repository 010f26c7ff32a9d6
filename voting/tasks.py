"""Celery tasks of the voting app: thin, idempotent, and they call services."""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import DatabaseError
from django.urls import reverse

from .models import Pot
from .services import count_jobs, rounds_advance

logger = logging.getLogger(__name__)
COUNT_RETRIES = 3


@shared_task(time_limit=120, soft_time_limit=100)
def rounds_advance_task() -> dict:
    """Every minute (CELERY_BEAT_SCHEDULE): open and close rounds on time. A re-run is a no-op."""
    return rounds_advance()


@shared_task(time_limit=60, soft_time_limit=50)
def voter_visits_sweep_task() -> int:
    """Every 10 minutes: drop card and kiosk voters' visits left idle (issue 16)."""
    from .services.kiosks import visits_sweep

    return visits_sweep()


@shared_task(time_limit=60, soft_time_limit=50)
def ballot_receipt_email_task(user_id: int, pot_id: int, changed, *legacy) -> None:
    """Tell the voter their vote was recorded: no receipt code, no choices (docs/voting.md).

    The code was shown once on the receipt page; an email copy would sit in mail logs and
    mailboxes where, with the server's keys, it leads to the ballot. (`legacy` swallows the
    code of messages queued by the old four-argument version, which is never used.)
    """
    if legacy:
        changed = legacy[-1]
    # An erased (or deactivated) account gets nothing: its address is a tombstone.
    user = get_user_model().objects.filter(pk=user_id, is_active=True, erased_at=None).first()
    pot = Pot.objects.select_related("round").filter(pk=pot_id).first()
    if user is None or pot is None or not user.email:
        return
    what = "changed your ballot" if changed else "voted"
    base = getattr(settings, "SITE_URL", "").rstrip("/")  # absolute links when configured
    send_mail(
        subject=f"[Common Purse] Your vote in “{pot.round.title}” was recorded",
        message=(
            f"Thank you: you {what} in “{pot.name}” of the vote “{pot.round.title}”, "
            "and your ballot was recorded.\n\n"
            "For your secrecy this email does not repeat your receipt code or your choices. "
            "Use the code you were shown (and printed or wrote down) when you voted to check "
            "that your ballot was counted"
            + (", or to change it before the vote closes" if pot.round.allow_change else "")
            + f": {base}{reverse('voting:receipt')}\n\n"
            "If you did not vote, tell the neighbourhood's trustees.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def round_count_start_task(job_id: int) -> None:
    """From the outbox: hand a count to a worker (inline in the embedded default).

    The count runs in a task of its own, not inside the outbox delivery's transaction, so
    its progress ("pot 2 of 3") commits as it goes and the round page can show it.
    """
    round_count_run_task.apply_async(args=[job_id])


@shared_task(
    bind=True,
    ignore_result=True,
    time_limit=count_jobs.COUNT_HARD_LIMIT,
    soft_time_limit=count_jobs.COUNT_SOFT_LIMIT,
    max_retries=COUNT_RETRIES,
    acks_late=True,
)
def round_count_run_task(self, job_id: int) -> bool:
    """Count one round once. acks_late: a worker killed mid-count leaves the message to be
    delivered again, and the re-run writes the one result set (count_jobs.count_job_run)."""
    try:
        return count_jobs.count_job_run(job_id=job_id)
    except SoftTimeLimitExceeded:
        count_jobs.count_job_fail(
            job_id=job_id,
            message="The count took longer than the 25 minutes allowed and was stopped. "
            "Try again; if it stops again, tell the site's operators.",
        )
        return False
    except DatabaseError as exc:
        if (
            self.request.called_directly
            or self.request.is_eager
            or (self.request.retries >= COUNT_RETRIES)
        ):
            count_jobs.count_job_fail(
                job_id=job_id,
                message="The count stopped because the database was unavailable. Try again.",
            )
            return False
        raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1)) from exc
    except Exception:
        logger.exception("Count job %s failed", job_id)
        count_jobs.count_job_fail(
            job_id=job_id,
            message="Something went wrong while counting the votes, and nothing was stored. "
            "Try again; if it fails again, tell the site's operators.",
        )
        return False
