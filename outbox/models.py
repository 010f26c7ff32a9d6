"""Queued work: one row per task to run, written in the transaction of the change it follows."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class OutboxMessage(models.Model):
    """A task and its arguments (ids only), kept until a worker has run it once.

    The row commits or rolls back with the change that queued it, so nothing is queued for
    a change that never happened and nothing is lost when the broker is down: a periodic
    sweep hands rows that are not done to the broker again, and the delivery task locks the
    row and skips it once done, so a second hand-over never runs the work twice.
    """

    task = models.CharField(max_length=200, help_text="Registered Celery task name.")
    args = models.JSONField(default=list, blank=True, help_text="Positional arguments (ids).")
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveIntegerField(default=0, help_text="Times a worker ran it.")
    sent_at = models.DateTimeField(
        null=True, blank=True, help_text="Last handed to the broker by a sweep or a retry."
    )
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        indexes = [
            models.Index(
                fields=["created_at"], name="outbox_pending_idx", condition=Q(done_at__isnull=True)
            )
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(task=""), name="outbox_task_named"),
        ]

    def __str__(self) -> str:
        state = "done" if self.done_at else "pending"
        return f"{self.task}{tuple(self.args)} ({state})"
