"""Celery tasks of the voting app: thin, idempotent, and they call services."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse

from .models import Pot
from .services import rounds_advance


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
