"""On PostgreSQL, audit writes in different streams never wait for each other, and writes in
one stream queue up and stay gapless."""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, connections, transaction

from audit.models import AuditEvent
from audit.services import audit_chain_verify, audit_record, neighbourhood_stream
from tests.factories import NeighbourhoodFactory, ProposalFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks"),
]

# A safety net so a broken test cannot hang the run; nothing is asserted about time.
WAIT = 30


class Holder(threading.Thread):
    """Runs `work` in a transaction of its own and keeps it open until released."""

    def __init__(self, work):
        super().__init__()
        self.work = work
        self.ready = threading.Event()
        self.release = threading.Event()
        self.errors: list[BaseException] = []

    def run(self):
        try:
            with transaction.atomic():
                self.work()
                self.ready.set()
                self.release.wait(WAIT)
        except BaseException as exc:  # pragma: no cover - reported by the test
            self.errors.append(exc)
            self.ready.set()
        finally:
            connections.close_all()

    def __enter__(self):
        self.start()
        assert self.ready.wait(WAIT)
        assert self.errors == []
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.join(WAIT)
        assert self.errors == []


def _without_waiting(work):
    """Run `work` in a transaction that fails instead of waiting for any lock held elsewhere."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL lock_timeout = '1s'")
        return work()


def test_writes_in_two_neighbourhoods_do_not_wait_for_each_other():
    x, y = NeighbourhoodFactory(), NeighbourhoodFactory()
    proposal_y = ProposalFactory(neighbourhood=y)
    audit_record(action="test.before", obj=y)  # y's head exists and is committed

    with Holder(lambda: audit_record(action="test.x", obj=x)):
        # given a transaction in x that has written an event and is still open,
        # when someone writes about a proposal in y, it completes without waiting
        event = _without_waiting(lambda: audit_record(action="test.y", obj=proposal_y))
        assert (event.stream, event.seq) == (neighbourhood_stream(y.pk), 2)

    assert audit_chain_verify() is None
    assert AuditEvent.objects.filter(stream=neighbourhood_stream(x.pk)).count() == 1


def test_writes_in_one_neighbourhood_queue_behind_its_head():
    """The control: the head lock is real, so the test above shows streams are independent."""
    x = NeighbourhoodFactory()
    audit_record(action="test.before", obj=x)

    with (
        Holder(lambda: audit_record(action="test.x1", obj=x)),
        pytest.raises(OperationalError, match="lock timeout"),
    ):
        _without_waiting(lambda: audit_record(action="test.x2", obj=x))

    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [1, 2]
    assert audit_chain_verify() is None


def test_twenty_concurrent_writes_in_one_stream_stay_gapless():
    x = NeighbourhoodFactory()
    writers = 20
    barrier = threading.Barrier(writers)
    errors = []

    def write(i):
        try:
            barrier.wait(WAIT)
            audit_record(action="test.concurrent", obj=x, changes={"i": i})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert errors == []
    events = list(AuditEvent.objects.filter(stream=neighbourhood_stream(x.pk)).order_by("seq"))
    assert [e.seq for e in events] == list(range(1, writers + 1))
    assert sorted(e.changes["i"] for e in events) == list(range(writers))
    assert all(e.prev_hash == p.hash for p, e in zip(events, events[1:], strict=False))
    assert audit_chain_verify() is None
