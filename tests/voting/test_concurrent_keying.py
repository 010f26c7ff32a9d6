"""Real threads against PostgreSQL (issue 9 point 13): keyers submitting the second keying of one
batch at once give one agreed result and no double count. The round and batch row locks
serialise them; the second to arrive finds the batch agreed."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from config.errors import ApplicationError
from tests.factories import NeighbourhoodFactory, trustee
from tests.voting.factories import keyer, round_with_pot
from voting.models import Ballot, PaperBatch, PaperEntry
from voting.services import paper_batch_create, paper_entry_submit, volunteer_appoint

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL"),
]


@pytest.mark.parametrize("keyers", [2, 12])
def test_simultaneous_second_keyings_give_one_agreed_batch(keyers):
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(
        place, channel_paper=True, ballot_method="k_approval", max_choices=2
    )
    chair = trustee(place)
    batch = paper_batch_create(actor=chair, round=round, pot=pot, event="Fair", declared_count=3)
    text = "1, 2\n3\nx\n"
    paper_entry_submit(actor=chair, batch=batch, text=text)
    people = [keyer(place) for _ in range(keyers)]
    for person in people:
        volunteer_appoint(actor=chair, round=round, user=person)
    barrier = threading.Barrier(keyers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def submit(person) -> None:
        barrier.wait()
        try:
            paper_entry_submit(actor=person, batch=batch, text=text)
            result = "agreed"
        except ApplicationError as exc:
            result = type(exc).__name__
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=submit, args=(p,)) for p in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert len(outcomes) == keyers
    assert outcomes.count("agreed") == 1
    assert set(outcomes) - {"agreed"} <= {"StateError"}
    assert PaperBatch.objects.get(pk=batch.pk).status == PaperBatch.Status.AGREED
    assert PaperEntry.objects.filter(batch=batch).count() == 2
    assert Ballot.objects.filter(pot=pot).count() == 2  # two valid papers, one spoilt: once
