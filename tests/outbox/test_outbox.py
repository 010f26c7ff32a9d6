"""The outbox: work is queued with the change, handed over without waiting, and runs once."""

from __future__ import annotations

import threading
from datetime import timedelta
from unittest import mock

import pytest
from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError

from outbox import services
from outbox.models import OutboxMessage
from outbox.services import (
    outbox_deliver,
    outbox_dispatch,
    outbox_drain,
    outbox_enqueue,
    outbox_sweep,
)
from outbox.tasks import outbox_deliver_task

pytestmark = pytest.mark.django_db

RUNS: list[tuple] = []


@shared_task(name="tests.outbox.record")
def record_task(*args) -> None:
    """Records each run; writes a row so a failure's rollback can be seen."""
    OutboxMessage.objects.create(task="tests.side-effect", done_at=timezone.now())
    RUNS.append(tuple(args))
    if args and args[0] == "fail":
        raise OSError("mail server unreachable")


@pytest.fixture(autouse=True)
def _fresh():
    RUNS.clear()
    services.broker_mark_up()
    yield
    services.broker_mark_up()


@pytest.fixture
def broker_mode():
    """Tasks go to a broker (not inline), as in production."""
    app = outbox_deliver_task.app
    app.conf.task_always_eager = False
    yield app
    app.conf.task_always_eager = True


def test_the_row_is_written_in_the_callers_transaction_and_runs_once_after_commit(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox_enqueue(record_task, 1, "a")
        assert RUNS == []  # nothing runs before commit
    message.refresh_from_db()
    assert RUNS == [(1, "a")]
    assert message.task == "tests.outbox.record"
    assert message.args == [1, "a"]
    assert message.done_at is not None
    assert message.attempts == 1


def test_a_rolled_back_change_queues_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox_enqueue(record_task, 1)
        raise RuntimeError("the change failed")
    assert not OutboxMessage.objects.exists()
    assert RUNS == []


def test_a_row_delivered_twice_runs_once():
    message = OutboxMessage.objects.create(task="tests.outbox.record", args=[7])
    assert outbox_deliver(message_id=message.pk) is True
    assert outbox_deliver(message_id=message.pk) is False  # a re-send after the broker returns
    assert outbox_drain()["pending"] == 0
    assert RUNS == [(7,)]


def test_a_failing_task_is_kept_with_its_error_its_writes_undone_and_retried():
    message = OutboxMessage.objects.create(task="tests.outbox.record", args=["fail"])
    assert outbox_deliver(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.done_at is None
    assert message.attempts == 1
    assert "mail server unreachable" in message.last_error
    assert not OutboxMessage.objects.filter(task="tests.side-effect").exists()  # rolled back
    # when the cause is gone, the drain runs it once
    message.args = ["ok"]
    message.save()
    assert outbox_drain()["done"] == 1
    message.refresh_from_db()
    assert (message.done_at is not None, message.attempts, message.last_error) == (True, 2, "")
    assert RUNS == [("fail",), ("ok",)]


def test_an_unknown_task_is_kept_with_its_error():
    message = OutboxMessage.objects.create(task="no.such.task", args=[])
    assert outbox_deliver(message_id=message.pk) is False
    message.refresh_from_db()
    assert message.last_error == "NotRegistered: 'no.such.task'"


def test_with_the_broker_down_the_hand_over_tries_once_without_retries_then_stops_trying(
    broker_mode,
):
    # given a broker that refuses connections
    with mock.patch.object(
        outbox_deliver_task, "apply_async", side_effect=OperationalError("refused")
    ) as send:
        # when two requests' rows are handed over after commit
        first = outbox_dispatch(message_ids=[1])
        second = outbox_dispatch(message_ids=[2])
    # then neither raises, the first tried once without retries, the second never touched it
    assert (first, second) == (0, 0)
    assert send.call_args_list == [mock.call(args=[1], retry=False)]
    assert services.broker_marked_down()


def test_with_the_broker_up_rows_are_handed_over_without_retries(broker_mode):
    with mock.patch.object(outbox_deliver_task, "apply_async") as send:
        assert outbox_dispatch(message_ids=[1, 2]) == 2
    assert send.call_args_list == [
        mock.call(args=[1], retry=False),
        mock.call(args=[2], retry=False),
    ]


def test_the_sweep_hands_over_rows_not_done_and_leaves_fresh_done_and_given_up_rows(
    broker_mode,
):
    now = timezone.now()
    old = now - timedelta(minutes=2)
    lost = OutboxMessage.objects.create(task="t", created_at=old)  # broker was down at commit
    retry = OutboxMessage.objects.create(task="t", created_at=old, sent_at=now - timedelta(hours=1))
    OutboxMessage.objects.create(task="t", created_at=now)  # fresh: handed over at commit
    OutboxMessage.objects.create(task="t", created_at=old, sent_at=now)  # just handed over
    OutboxMessage.objects.create(task="t", created_at=old, done_at=now)
    OutboxMessage.objects.create(task="t", created_at=old, attempts=services.MAX_ATTEMPTS)
    purged = OutboxMessage.objects.create(
        task="t", created_at=now - timedelta(days=30), done_at=now - timedelta(days=30)
    )
    # the broker is marked down by a request: the sweep (run by a worker) tries anyway
    services._broker["down_until"] = float("inf")
    with mock.patch.object(outbox_deliver_task, "apply_async") as send:
        assert outbox_sweep() == 2
    assert [c.kwargs["args"] for c in send.call_args_list] == [[lost.pk], [retry.pk]]
    lost.refresh_from_db()
    assert lost.sent_at is not None
    assert not OutboxMessage.objects.filter(pk=purged.pk).exists()
    # handed over just now: the next sweep leaves them alone
    with mock.patch.object(outbox_deliver_task, "apply_async") as send:
        assert outbox_sweep() == 0


def test_the_sweep_runs_every_minute_from_the_one_beat_schedule(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["outbox-sweep"]
    assert entry == {"task": "outbox.tasks.outbox_sweep_task", "schedule": 60.0}
    assert entry["task"] in outbox_deliver_task.app.tasks


def test_broker_waits_are_short_on_every_path(settings):
    """No request waits on the broker: one attempt, sub-second connect timeouts."""
    assert settings.CELERY_BROKER_CONNECTION_TIMEOUT <= 1
    assert settings.CELERY_TASK_PUBLISH_RETRY is False
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert options["max_retries"] == 0
    assert options["socket_connect_timeout"] <= 1
    assert options["socket_timeout"] <= 5
    assert settings.CELERY_REDIS_SOCKET_CONNECT_TIMEOUT <= 1
    assert settings.CELERY_REDIS_SOCKET_TIMEOUT <= 5
    # the delivery task stores no result, so sending it never touches the result backend
    assert outbox_deliver_task.ignore_result


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_workers_delivering_the_same_row_at_once_run_it_once():
    message = OutboxMessage.objects.create(task="tests.outbox.record", args=[3])
    barrier = threading.Barrier(8)
    results = []

    def deliver():
        try:
            barrier.wait()
            results.append(outbox_deliver(message_id=message.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False] * 7 + [True]
    assert RUNS == [(3,)]


def test_the_drain_command_runs_what_is_waiting(capsys):
    from django.core.management import call_command

    OutboxMessage.objects.create(task="tests.outbox.record", args=[5])
    call_command("outbox_drain")
    assert "1 pending, 1 done, 0 failed or skipped." in capsys.readouterr().out
    assert RUNS == [(5,)]


@pytest.mark.django_db(transaction=True)
def test_a_dispatch_failing_after_commit_is_logged_not_raised(caplog):
    """The database gone right after a commit (eager mode delivers at once): the change is
    committed, so the request must not fail; the row stays for the sweep."""
    from unittest import mock

    from django.db import OperationalError, transaction

    from outbox.models import OutboxMessage
    from outbox.services import outbox_enqueue

    with (
        mock.patch("outbox.services.outbox_deliver", side_effect=OperationalError("server closed")),
        transaction.atomic(),
    ):
        message = outbox_enqueue("config.ping", "x")
    assert OutboxMessage.objects.get(pk=message.pk).done_at is None
    assert "outbox_dispatch" in caplog.text
