"""Real threads against PostgreSQL (issue 16 acceptance 2): 50 people redeeming one polling card
at the same moment store one ballot per pot. The card row is locked and claimed in the cast's
transaction; at most 40 threads hold a connection at once (the shared server's budget)."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from config.errors import ApplicationError
from tests.factories import trustee
from tests.voting.factories import postcode_in_area, proposal_ids, round_with_pot
from voting.models import Ballot, Participation, PollingCard
from voting.services.cards import (
    VoterIdentity,
    card_batch_issue,
    card_check,
    inperson_ballot_cast,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="real row locks need PostgreSQL"),
]

ATTEMPTS = 50
POOL = min(int(os.environ.get("CP_TEST_THREADS", 40)), 40)


def test_fifty_simultaneous_redemptions_of_one_card_store_one_ballot():
    # given one card, and 50 different people holding its code
    round, pot = round_with_pot()
    postcode_in_area("HP11AA")
    issued = card_batch_issue(actor=trustee(round.neighbourhood), round=round, count=1)
    code = issued.codes[0][1]
    choice = proposal_ids(pot)[:1]
    barrier = threading.Barrier(POOL)
    outcomes: list[str] = []
    lock = threading.Lock()

    def redeem(index: int) -> None:
        if index < POOL:
            barrier.wait()  # the first 40 start together; the rest follow as they free up
        who = VoterIdentity(
            name=f"Ann Person{index}",
            house=f"{index + 10} Long Row",
            postcode="HP1 1AA",
            age_band="35_49",
            connection="lives",
            keys=[],
            member_ids=[],
        )
        try:
            card = card_check(code=code)
            inperson_ballot_cast(
                round=round,
                identity=who,
                choices={pot.pk: choice},
                channel="card",
                card_id=card.pk,
            )
            result = "cast"
        except ApplicationError as exc:
            result = type(exc).__name__
        finally:
            connections.close_all()
        with lock:
            outcomes.append(result)

    # when they all redeem it at once
    with ThreadPoolExecutor(max_workers=POOL) as pool:
        list(pool.map(redeem, range(ATTEMPTS)))

    # then one ballot and one participation, and the card is used
    assert len(outcomes) == ATTEMPTS
    assert outcomes.count("cast") == 1
    assert set(outcomes) <= {"cast", "StateError", "ApplicationError"}
    assert Ballot.objects.filter(pot=pot).count() == 1
    assert Participation.objects.filter(pot=pot).count() == 1
    assert PollingCard.objects.get(round=round).used_at is not None
