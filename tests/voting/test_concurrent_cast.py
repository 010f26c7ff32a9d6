"""Real threads against PostgreSQL: 100 simultaneous casts by one member leave exactly one ballot
(acceptance 4). The round row lock serialises casts; the unique constraint backs it up."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from config.errors import ApplicationError
from tests.factories import resident
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot, Participation
from voting.services import ballot_cast

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL"),
]

THREADS = 100
# The server allows 100 connections in all (shared with other test runs): at most this many
# threads hold one at a time. All 100 threads still start together at a barrier.
MAX_CONNECTIONS = 40


@pytest.mark.parametrize("allow_change", [False, True])
def test_hundred_simultaneous_casts_by_one_member_leave_one_ballot(allow_change):
    round, pot = round_with_pot(allow_change=allow_change)
    voter = resident(round.neighbourhood)
    choices = proposal_ids(pot)
    barrier = threading.Barrier(THREADS)
    gate = threading.BoundedSemaphore(MAX_CONNECTIONS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def cast(index: int) -> None:
        barrier.wait()
        with gate:
            try:
                ballot_cast(actor=voter, pot=pot, choices=[choices[index % 2]])
                result = "cast"
            except ApplicationError as exc:
                result = type(exc).__name__
            finally:
                connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=cast, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(outcomes) == THREADS
    assert outcomes.count("cast") == 1
    assert Ballot.objects.filter(pot=pot).count() == 1
    assert Participation.objects.filter(pot=pot).count() == 1
