"""Acceptance 3 of issue 12: a real Celery worker against Redis opens and closes a round at its
times (short windows), and a duplicate delivery of the closing task closes and notifies once.

A redis-server of its own on a free port, a real worker on it, and the test database on
PostgreSQL (so the worker sees what the test commits). The test plays beat: it sends
`rounds_advance_task` to the broker every half second, twice each time (a duplicate delivery
on purpose); afterwards every outbox row is handed over again (late duplicates) before a last
row. Runs in the PostgreSQL + Redis pass; skips with a reason otherwise.
"""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from audit.models import AuditEvent
from notifications.models import RoundNotice
from outbox import services as outbox_services
from outbox.models import OutboxMessage
from outbox.services import outbox_dispatch, outbox_enqueue
from tests.factories import resident
from tests.outbox.outage import celery_on
from tests.outbox.test_redis_outage import (
    REDIS_SERVER,
    ROOT,
    RedisServer,
    _sent_mail,
    _wait_until_done,
    _worker_env,
)
from tests.voting.factories import round_with_pot
from voting.models import VoteRound
from voting.tasks import rounds_advance_task

pytestmark = [
    pytest.mark.skipif(not REDIS_SERVER, reason="needs redis-server installed"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the worker process must see the test's database",
    ),
]

S = VoteRound.Status


def _tick_until(app, round: VoteRound, status: str, timeout: float = 90) -> None:
    """Play beat: send the advance task (twice: a duplicate delivery) until the round moves."""
    deadline = time.monotonic() + timeout
    while True:
        round.refresh_from_db()
        if round.status == status:
            return
        assert time.monotonic() < deadline, f"round still {round.status}"
        rounds_advance_task.apply_async(retry=False)
        rounds_advance_task.apply_async(retry=False)
        time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
def test_real_worker_opens_and_closes_a_round_on_time_and_notifies_once(settings, tmp_path):
    import subprocess
    import sys

    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    server = RedisServer(tmp_path)
    server.start()
    outbox_services.broker_mark_up()

    now = timezone.now()
    round, _ = round_with_pot(
        status=S.PUBLISHED,
        opens_at=now + timedelta(seconds=3),
        closes_at=now + timedelta(seconds=8),
    )
    voter = resident(round.neighbourhood)
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
        + ["--concurrency=1", "--loglevel=warning", "--without-gossip", "--without-mingle"]
        + ["--without-heartbeat"],
        cwd=ROOT,
        env=_worker_env(server.url, mail_dir, Path(settings.MEDIA_ROOT)),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with celery_on(server.url) as app:
            _tick_until(app, round, S.OPEN)
            assert round.open_at >= round.opens_at  # not before its time
            _tick_until(app, round, S.CLOSED)
            assert round.closed_at >= round.closes_at
            # more duplicate deliveries of the closing task once it is closed
            for _ in range(3):
                rounds_advance_task.apply_async(retry=False)
            _wait_until_done(resend=False)
            # every outbox row handed over again (late duplicates), then a last row: one solo
            # worker takes the queue in order, so once it is done every duplicate was seen
            ids = list(OutboxMessage.objects.values_list("pk", flat=True))
            assert outbox_dispatch(message_ids=ids, force=True) == len(ids)
            outbox_enqueue("config.ping", "last")
            _wait_until_done(resend=False)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.kill()
        outbox_services.broker_mark_up()

    # closed once, each notice recorded once and emailed once
    assert AuditEvent.objects.filter(action="voting.round_closed").count() == 1
    assert AuditEvent.objects.filter(action="voting.round_opened").count() == 1
    assert sorted(RoundNotice.objects.values_list("kind", flat=True)) == ["closed", "opens"]
    title = round.title
    assert _sent_mail(mail_dir) == sorted(
        [
            (voter.email, f"[Common Purse] Voting opens today: “{title}”"),
            (voter.email, f"[Common Purse] Voting has closed: “{title}”"),
        ]
    )
