"""Celery tasks of notices: thin, take ids, idempotent (the services record what was sent)."""

from __future__ import annotations

from celery import shared_task

from .services import closing_reminders_queue, digests_send, notice_email_send, round_notice_send
from .texts import notice_sms_send


@shared_task(time_limit=300, soft_time_limit=240)
def round_notice_task(round_id: int, kind: str) -> int:
    """Queued by the outbox: send one notice about a round to its members, once."""
    return round_notice_send(round_id=round_id, kind=kind)


@shared_task(time_limit=60, soft_time_limit=50)
def notice_email_task(user_id: int, round_id: int, kind: str) -> bool:
    """Queued by the outbox (one row per person): email one notice."""
    return notice_email_send(user_id=user_id, round_id=round_id, kind=kind)


@shared_task(time_limit=300, soft_time_limit=240)
def closing_reminders_task() -> list[int]:
    """Every hour (CELERY_BEAT_SCHEDULE): queue "voting closes tomorrow", once per round."""
    return closing_reminders_queue()


@shared_task(time_limit=900, soft_time_limit=840)
def digests_send_task() -> int:
    """Every day (CELERY_BEAT_SCHEDULE): one digest email per person with notices waiting."""
    return digests_send()


@shared_task(time_limit=60, soft_time_limit=50)
def notice_sms_task(user_id: int, round_id: int, kind: str) -> bool:
    """Queued by the outbox (one row per person): text one notice. A provider that is down
    raises, the outbox keeps the row and its sweep runs it again later (sent once)."""
    return notice_sms_send(user_id=user_id, round_id=round_id, kind=kind)


@shared_task(time_limit=60, soft_time_limit=50)
def card_code_sms_task(card_id: int) -> bool:
    """Queued by the CODE keyword (one row per card): draw the polling code and text it, in
    one transaction with the provider call; a provider that is down rolls it back and the
    outbox runs it again later (sent once, the code never stored)."""
    from .code_texts import card_code_sms_send

    return card_code_sms_send(card_id=card_id)
