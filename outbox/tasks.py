"""Celery tasks of the outbox: deliver one queued row; sweep rows not yet done."""

from __future__ import annotations

from celery import shared_task

from .services import outbox_deliver, outbox_sweep


@shared_task(ignore_result=True, time_limit=300, soft_time_limit=240)
def outbox_deliver_task(message_id: int) -> bool:
    """Run the queued task of one outbox row, once (the row is locked and marked done)."""
    return outbox_deliver(message_id=message_id)


@shared_task(ignore_result=True, time_limit=120, soft_time_limit=100)
def outbox_sweep_task() -> int:
    """Every minute (CELERY_BEAT_SCHEDULE): hand rows not yet done to the broker again."""
    return outbox_sweep()
