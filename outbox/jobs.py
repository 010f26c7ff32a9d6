"""The shape of a long job a worker runs once, with progress a page can show.

An abstract model (no table of its own) and the claim/fail writes shared by funds' exports
and voting's counts: `done` of `total` steps, the attempts, plain-English `error`, and
when it was asked for, started and finished. Each job model keeps its own `state` field
(its own labels) over the four states below, and its own rows and permissions.
"""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.db.models import F
from django.utils import timezone


class JobState(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


ACTIVE_STATES = (JobState.QUEUED, JobState.RUNNING)


class BackgroundJob(models.Model):
    """Progress and outcome of one long job (abstract: a model per kind of job)."""

    done = models.PositiveBigIntegerField(default=0)
    total = models.PositiveBigIntegerField(default=0)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)

    def stalled(self, *, hard_limit_seconds: int) -> bool:
        """Running for longer than a worker may run it: the worker was stopped (a restart)."""
        limit = dt.timedelta(seconds=hard_limit_seconds + 60)
        return (
            self.state == JobState.RUNNING
            and self.started_at is not None
            and timezone.now() - self.started_at > limit
        )


def job_claim(model: type[BackgroundJob], *, job_id: int, states=(JobState.QUEUED,)) -> bool:
    """-> running, once per delivery: False when the job is in none of `states` (another
    delivery has it, or it is done or failed)."""
    return bool(
        model.objects.filter(pk=job_id, state__in=states).update(
            state=JobState.RUNNING,
            started_at=timezone.now(),
            attempts=F("attempts") + 1,
            done=0,
            error="",
        )
    )


def job_fail(model: type[BackgroundJob], *, job_id: int, message: str) -> None:
    """Any state but done -> failed, with a message the requester can act on."""
    model.objects.filter(pk=job_id).exclude(state=JobState.DONE).update(
        state=JobState.FAILED, error=message[:2000], finished_at=timezone.now()
    )


def job_progress(model: type[BackgroundJob], *, job_id: int, done: int) -> None:
    """Save how far a running job is (outside the count's transaction, so pages see it)."""
    model.objects.filter(pk=job_id, state=JobState.RUNNING).update(done=done)
