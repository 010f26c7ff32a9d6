"""Celery task of retention: thin, idempotent (a re-run deletes nothing more)."""

from __future__ import annotations

from celery import shared_task

from .services import retention_sweep


@shared_task(time_limit=1800, soft_time_limit=1740)
def retention_sweep_task() -> dict[str, int]:
    """Every night (CELERY_BEAT_SCHEDULE): delete in-person data and phone numbers past
    COMMONPURSE_RETENTION_DAYS."""
    return retention_sweep()
