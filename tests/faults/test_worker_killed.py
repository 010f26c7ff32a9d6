"""Fault (issue 17): a Celery worker killed mid-task (SIGKILL, no chance to clean up).

A real worker on a redis-server of its own (a port in this stream's range, 8220-8229, else a
free one) runs a queued task through the outbox. The task has written to the database and is
still running when the worker is killed. Its transaction dies with the worker: nothing it wrote
stays, and its outbox row is not done. A new worker and the outbox sweep run it again, handed
over twice on purpose (as a late redelivery of the un-acknowledged message would, with
CELERY_TASK_ACKS_LATE): it takes effect exactly once and the audit chain still verifies.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction

from audit.models import AuditEvent
from audit.services import audit_chain_verify
from outbox.models import OutboxMessage
from outbox.services import outbox_enqueue, outbox_sweep
from tests.outbox.outage import celery_on

from .slow_tasks import TASK_NAME

ROOT = Path(__file__).resolve().parents[2]
REDIS_SERVER = shutil.which("redis-server")
HEAVY = os.environ.get("COMMONPURSE_HEAVY_TESTS") == "1"

pytestmark = [
    pytest.mark.skipif(not HEAVY, reason="heavy: set COMMONPURSE_HEAVY_TESTS=1 (CI does)"),
    pytest.mark.skipif(not REDIS_SERVER, reason="needs redis-server installed"),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: the worker process must see the test's database",
    ),
    pytest.mark.django_db(transaction=True),
]


def _port() -> int:
    for port in range(8221, 8230):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def private_redis(tmp_path):
    port = _port()
    process = subprocess.Popen(
        [REDIS_SERVER, "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
        + ["--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=0.5)
    for _ in range(100):
        try:
            if client.ping():
                break
        except redis.ConnectionError:
            time.sleep(0.1)
    yield f"redis://127.0.0.1:{port}/0"
    process.kill()
    process.wait(timeout=10)


def _worker(redis_url: str) -> subprocess.Popen:
    db = connection.settings_dict
    env = os.environ.copy()
    env.update(
        DATABASE_URL=(
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        REDIS_URL=redis_url,
        DJANGO_SETTINGS_MODULE=os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings_test"),
    )
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool=solo"]
        + ["--include", "tests.faults.slow_tasks", "--loglevel=warning"]
        + ["--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _wait(predicate, what: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_worker_killed_mid_task_the_task_reruns_and_takes_effect_once(private_redis, tmp_path):
    assert settings.CELERY_TASK_ACKS_LATE  # the message is acknowledged only after the run
    key = uuid.uuid4().hex
    (tmp_path / "hold").touch()
    events = AuditEvent.objects.filter(action="test.worker_killed", changes__key=key)
    first = _worker(private_redis)
    second = None
    try:
        with celery_on(private_redis):
            # given: a task queued through the outbox, running in a real worker
            with transaction.atomic():
                message = outbox_enqueue(TASK_NAME, key, str(tmp_path))
            _wait(lambda: any(tmp_path.glob("started-*")), "the task to start")
            # when: the worker is killed in the middle of the task
            first.send_signal(signal.SIGKILL)
            first.wait(timeout=30)
            # then: what the task wrote died with it, and the row is not done
            message.refresh_from_db()
            assert message.done_at is None
            assert not events.exists()
            # and a new worker, given the row again (twice: a duplicate hand-over), runs it once
            (tmp_path / "hold").unlink()
            second = _worker(private_redis)
            for _ in range(2):
                outbox_sweep(grace=timedelta(0), resend_after=timedelta(0))

            def done() -> bool:
                message.refresh_from_db()
                return message.done_at is not None

            _wait(done, "the re-run")
            outbox_sweep(grace=timedelta(0), resend_after=timedelta(0))  # done: not handed over
            time.sleep(1)
    finally:
        for worker in (first, second):
            if worker and worker.poll() is None:
                worker.terminate()
                worker.wait(timeout=30)
    assert events.count() == 1
    assert len(list(tmp_path.glob("started-*"))) == 2  # it ran twice, took effect once
    assert OutboxMessage.objects.get(pk=message.pk).last_error == ""
    assert audit_chain_verify() is None
