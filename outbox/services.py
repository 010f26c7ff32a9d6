"""Writes of the outbox: queue in the caller's transaction, hand over to Celery, run once.

`outbox_enqueue(task, *args)` writes a row in the caller's transaction; after commit the row
is handed to the broker with short timeouts and no retries (inline in the embedded default),
so no request waits on the broker. When the hand-over fails, requests stop trying the broker
for a few seconds and the periodic sweep (`outbox_sweep`, every minute) or a drain
(`outbox_drain`) hands the row over again. The delivery (`outbox_deliver`) locks the row,
skips it if it is done, runs the task and marks it done in one transaction: however often a
row is handed over, its email goes out once.

The outbox imports no domain app: tasks are found by name in Celery's registry.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from functools import partial, update_wrapper
from typing import Any

from celery import Task
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .models import OutboxMessage

logger = logging.getLogger(__name__)

# After a failed hand-over, requests do not touch the broker for this long (their rows wait
# for the sweep): during an outage only the first request pays the (short) connect timeout.
BROKER_RETRY_AFTER_SECONDS = 10.0
# The sweep leaves rows this fresh to the hand-over made at commit.
SWEEP_GRACE = timedelta(seconds=30)
# A row handed over (or failed) this long ago and still not done is handed over again.
RESEND_AFTER = timedelta(minutes=5)
# After this many failed runs a row is left for a person to look at (its last_error says why).
MAX_ATTEMPTS = 10
# Backoff: a row that failed n times (n >= 1) waits RESEND_AFTER * 2**(n-1), at most this long,
# so a provider down for hours (a text gateway) is retried ~17 hours before a person must look.
MAX_BACKOFF = timedelta(hours=6)
SWEEP_BATCH = 500
# Done rows are kept this long (to see what was sent), then deleted by the sweep.
KEEP_DONE = timedelta(days=7)

_broker = {"down_until": 0.0}


def broker_marked_down() -> bool:
    """True while requests skip the broker after a failed hand-over."""
    return time.monotonic() < _broker["down_until"]


def broker_mark_up() -> None:
    """Forget a failed hand-over (the sweep, a worker or a test knows the broker is back)."""
    _broker["down_until"] = 0.0


def _task_name(task: Task | str) -> str:
    return task if isinstance(task, str) else task.name


def outbox_enqueue(task: Task | str, *args: Any) -> OutboxMessage:
    """Queue `task(*args)` to run once after the caller's transaction commits.

    The row is written in the caller's transaction (no savepoint: it costs one INSERT), so
    work is queued exactly when the change commits. Arguments must be JSON (ids, flags):
    never a secret such as a receipt code, since the row is kept in the database.
    """
    with transaction.atomic(savepoint=False):
        message = OutboxMessage.objects.create(task=_task_name(task), args=list(args))
        # update_wrapper gives the partial a __qualname__: Django's robust on_commit names the
        # hook when it fails (the database gone right after the commit), and a bare partial
        # has none, which turned a logged failure into a 500 for a cast already committed.
        hook = update_wrapper(partial(outbox_dispatch, message_ids=[message.pk]), outbox_dispatch)
        transaction.on_commit(hook, robust=True)
    return message


def _eager() -> bool:
    from .tasks import outbox_deliver_task

    return bool(outbox_deliver_task.app.conf.task_always_eager)


def outbox_dispatch(*, message_ids: list[int], force: bool = False) -> int:
    """Hand rows to the broker, without retries; returns how many were handed over.

    Never raises for a broker error and never waits longer than the broker's connect
    timeout (config/settings.py): rows not handed over stay for the sweep. In the embedded
    default (tasks run inline) each row is delivered here and now. `force` tries the broker
    even while it is marked down (the sweep does, since it runs because the broker is up).
    """
    if _eager():
        for pk in message_ids:
            outbox_deliver(message_id=pk)
        return len(message_ids)
    if not force and broker_marked_down():
        return 0
    from .tasks import outbox_deliver_task

    sent = 0
    for pk in message_ids:
        try:
            outbox_deliver_task.apply_async(args=[pk], retry=False)
        except Exception as exc:  # kombu's OperationalError, a socket error: the sweep resends
            _broker["down_until"] = time.monotonic() + BROKER_RETRY_AFTER_SECONDS
            logger.warning("Broker unavailable, %s queued work left for the sweep: %s", pk, exc)
            break
        sent += 1
    else:
        if message_ids:
            broker_mark_up()
    return sent


def _registered_task(name: str) -> Task:
    from .tasks import outbox_deliver_task

    app = outbox_deliver_task.app
    if name not in app.tasks:
        # A process that never imported the app's tasks module (a management command):
        # let Celery import every app's tasks.py.
        app.loader.import_default_modules()
    return app.tasks[name]


def outbox_deliver(*, message_id: int) -> bool:
    """Run a queued task once: lock its row, skip it if done, run it, mark it done.

    The task runs inside the row's transaction: if it fails, its database writes roll back
    (to a savepoint), the failure is counted and kept in last_error, and the sweep tries
    again later. A row locked by another worker is skipped (that worker is running it).
    Returns True when this call ran the task to completion.
    """
    with transaction.atomic():
        message = (
            OutboxMessage.objects.select_for_update(skip_locked=True)
            .filter(pk=message_id, done_at__isnull=True)
            .first()
        )
        if message is None:
            return False
        message.attempts += 1
        try:
            task = _registered_task(message.task)
            with transaction.atomic():
                task(*message.args)
        except Exception as exc:
            logger.exception("Queued task %s (outbox %s) failed", message.task, message.pk)
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            message.sent_at = timezone.now()
            message.save(update_fields=["attempts", "last_error", "sent_at"])
            return False
        message.done_at = timezone.now()
        message.last_error = ""
        message.save(update_fields=["attempts", "done_at", "last_error"])
        return True


def _resend_due(*, now, resend_after: timedelta) -> Q:
    """Rows never handed over by a sweep, or handed over or failed long enough ago: the wait
    doubles with each failed run (exponential backoff, capped at MAX_BACKOFF)."""
    due = Q(sent_at__isnull=True)
    for attempts in range(MAX_ATTEMPTS):
        wait = min(resend_after * 2 ** max(attempts - 1, 0), MAX_BACKOFF)
        due |= Q(attempts=attempts, sent_at__lte=now - wait)
    return due


def _pending(*, now, grace: timedelta, resend_after: timedelta):
    return (
        OutboxMessage.objects.filter(
            done_at__isnull=True, attempts__lt=MAX_ATTEMPTS, created_at__lte=now - grace
        )
        .filter(_resend_due(now=now, resend_after=resend_after))
        .order_by("pk")
    )


def outbox_sweep(
    *,
    grace: timedelta = SWEEP_GRACE,
    resend_after: timedelta = RESEND_AFTER,
    limit: int = SWEEP_BATCH,
) -> int:
    """Hand rows that are not done to the broker again (every minute, from beat).

    Picks rows older than `grace` never handed over by a sweep, or handed over or failed
    more than `resend_after` ago (doubled for each failed run: `_resend_due`); a row that
    is in fact still waiting in the queue is simply run by whichever delivery locks it
    first. Also deletes done rows older than KEEP_DONE.
    Returns how many rows were handed over.
    """
    now = timezone.now()
    ids = list(
        _pending(now=now, grace=grace, resend_after=resend_after).values_list("pk", flat=True)[
            :limit
        ]
    )
    sent = outbox_dispatch(message_ids=ids, force=True)
    if sent and not _eager():
        OutboxMessage.objects.filter(pk__in=ids[:sent], done_at__isnull=True).update(sent_at=now)
    OutboxMessage.objects.filter(done_at__lt=now - KEEP_DONE).delete()
    return sent


def outbox_drain(*, limit: int | None = None) -> dict[str, int]:
    """Run every row that is not done, here and now, oldest first (an operator's drain).

    Safe beside running workers: each row is locked and skipped when done.
    """
    rows = OutboxMessage.objects.filter(done_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
    ids = list(rows.order_by("pk").values_list("pk", flat=True)[:limit])
    done = sum(outbox_deliver(message_id=pk) for pk in ids)
    return {"pending": len(ids), "done": done, "failed_or_skipped": len(ids) - done}
