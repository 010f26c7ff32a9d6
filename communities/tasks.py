"""Scheduled work of the communities app."""

from __future__ import annotations

from celery import shared_task

from .services import memberships_expire


@shared_task(time_limit=300, soft_time_limit=240)
def memberships_expire_task() -> int:
    """Mark memberships past their expiry date as expired (idempotent)."""
    return memberships_expire()
