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
def ballot_receipt_email_task(user_id: int, pot_id: int, changed: bool) -> None:
    """Tell the voter their vote was recorded (never the receipt code: queued rows are kept)."""
    user = get_user_model().objects.filter(pk=user_id).first()
    pot = Pot.objects.select_related("round").filter(pk=pot_id).first()
    if user is None or pot is None:
        return
    what = "changed your ballot" if changed else "voted"
    base = getattr(settings, "SITE_URL", "").rstrip("/")  # absolute links when configured
    send_mail(
        subject=f"[Common Purse] Your receipt for “{pot.round.title}”",
        message=(
            f"Thank you: you {what} in “{pot.name}” of the vote “{pot.round.title}”.\n\n"
            "Keep the receipt code the page showed you to check later that your ballot was counted"
            + (
                ", or to change your ballot before the vote closes"
                if pot.round.allow_change
                else ""
            )
            + f": {base}{reverse('voting:receipt')}\n\n"
            "The code does not show your choices, and nobody else can link it to you.\n"
        ),
        from_email=None,
        recipient_list=[user.email],
    )
