"""Concurrent supports on PostgreSQL: the row lock keeps the count exact."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from proposals import services
from proposals.models import Proposal, Support
from tests.factories import NeighbourhoodFactory, ProposalFactory, resident

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks"),
]


def test_twenty_residents_supporting_at_once_are_all_counted():
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, status=Proposal.Status.SHORTLISTED)
    people = [resident(n) for _ in range(20)]
    barrier = threading.Barrier(len(people))
    errors = []

    def run(user):
        try:
            barrier.wait()
            services.support_add(proposal=p, user=user)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(u,)) for u in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    p.refresh_from_db()
    assert p.support_count == Support.objects.filter(proposal=p).count() == 20
