"""Acceptance 4 of issue 16 with a real Celery worker: the gateway stand-in is down, the
worker's texts fail and wait in the outbox; the stand-in comes back, the outbox is swept again
and again (duplicate hand-overs on purpose), and each text arrives exactly once.

Heavy: PostgreSQL (the worker must see the test's database), redis-server, and
COMMONPURSE_HEAVY_TESTS=1 (CI's PostgreSQL pass).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from notifications.models import SmsDelivery
from notifications.services import closing_reminders_queue
from notifications.texts import NOTICE_SMS_TASK, sms_subscribe
from outbox import services as outbox_services
from outbox.models import OutboxMessage
from outbox.services import outbox_sweep
from tests.factories import resident
from tests.notifications.sms_standin import HTTP_TOKEN, HttpStandIn
from tests.outbox.outage import celery_on
from tests.outbox.test_redis_outage import REDIS_SERVER, ROOT, RedisServer, _worker_env
from tests.voting.factories import round_with_pot
from voting.models import VoteRound

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("COMMONPURSE_HEAVY_TESTS") != "1",
        reason="heavy: set COMMONPURSE_HEAVY_TESTS=1 (CI does)",
    ),
    pytest.mark.skipif(not REDIS_SERVER, reason="needs redis-server installed"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the worker process must see the test's database",
    ),
]


def _wait(condition, timeout: float = 120, resend: bool = False) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if resend:
            outbox_sweep(grace=timedelta(0), resend_after=timedelta(0))
        assert time.monotonic() < deadline, [
            (m.task, m.attempts, m.done_at is not None, m.last_error[:120])
            for m in OutboxMessage.objects.all()
        ]
        time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_delivers_each_text_once_after_the_gateway_returns(settings, tmp_path):
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    settings.EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    settings.EMAIL_FILE_PATH = str(mail_dir)
    gateway = HttpStandIn().start()
    gateway.stop()  # down from the start; its port is kept for its return
    now = timezone.now()
    round, _ = round_with_pot(
        status=VoteRound.Status.OPEN,
        opens_at=now - timedelta(days=1),
        closes_at=now + timedelta(hours=20),
    )
    for phone in ("07911 123456", "07912 345678"):
        sms_subscribe(actor=resident(round.neighbourhood), phone=phone, consent=True)
    server = RedisServer(tmp_path)
    server.start()
    outbox_services.broker_mark_up()
    env = _worker_env(server.url, mail_dir, tmp_path)
    env.update(
        COMMONPURSE_SMS_PROVIDER="http",
        SMS_HTTP_URL=gateway.url + gateway.path,
        SMS_HTTP_TOKEN=HTTP_TOKEN,
        SMS_TIMEOUT_SECONDS="2",
    )
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
        + ["--concurrency=1", "--loglevel=warning", "--without-gossip", "--without-mingle"]
        + ["--without-heartbeat"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    texts = OutboxMessage.objects.filter(task=NOTICE_SMS_TASK)
    try:
        with celery_on(server.url):
            assert closing_reminders_queue() == [round.pk]
            # the worker fans out and tries each text: the gateway is down, both fail
            _wait(lambda: texts.count() == 2 and not texts.filter(attempts=0).exists())
            assert not texts.filter(done_at__isnull=False).exists()
            assert not SmsDelivery.objects.exists()
            # the gateway returns; every row not done is handed over again and again
            gateway.start()
            _wait(lambda: not texts.filter(done_at__isnull=True).exists(), resend=True)
            for _ in range(3):  # late duplicates of every row
                outbox_services.outbox_dispatch(
                    message_ids=list(texts.values_list("pk", flat=True)), force=True
                )
            time.sleep(2)
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        server.kill()
        gateway.stop()
        outbox_services.broker_mark_up()
    assert sorted(m["to"] for m in gateway.messages) == ["+447911123456", "+447912345678"]
    assert SmsDelivery.objects.count() == 2
