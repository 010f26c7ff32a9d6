"""Closing a round rewrites its ballots in a random order with fresh keys, so the storage order
(SQLite rowid, PostgreSQL ctid) no longer lines up with the order of voting."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories import resident, trustee
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot
from voting.services import ballot_cast, receipt_lookup, round_close, round_count

pytestmark = pytest.mark.django_db


def _stored_order() -> list:
    order = "ctid" if connection.vendor == "postgresql" else "rowid"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM voting_ballot ORDER BY {order}")  # noqa: S608
        ids = [row[0] for row in cursor.fetchall()]
    choices = dict(Ballot.objects.values_list("id", "choices"))
    return [choices[Ballot._meta.pk.to_python(i)] for i in ids]


def test_close_rewrites_ballots_in_shuffled_order_and_receipts_still_work():
    # given: six ballots cast in a known order
    round, pot = round_with_pot(costs=(100, 200, 300))
    a, b, c = proposal_ids(pot)
    cast = [[a], [b], [c], [a, b], [b, c], [a, c]]
    receipts = [ballot_cast(actor=resident(round.neighbourhood), pot=pot, choices=p) for p in cast]
    old_ids = set(Ballot.objects.values_list("id", flat=True))
    assert _stored_order() == cast  # the leak: storage order is the order of voting
    seen = []

    def known_permutation(rows):
        # a fixed order that differs from the order of voting
        seen.append(len(rows))
        rows.sort(key=lambda row: str(row.choices), reverse=True)

    # when: the round closes, with the shuffle pinned to a known permutation
    with mock.patch("voting.services.rounds._shuffle", side_effect=known_permutation):
        assert round_close(round=round, now=round.closes_at + timezone.timedelta(seconds=1))
    # then: the shuffle saw every ballot, storage order follows it, and the keys are new
    assert seen == [6]
    expected = sorted(cast, key=str, reverse=True)
    assert expected != cast
    assert _stored_order() == expected
    assert old_ids.isdisjoint(Ballot.objects.values_list("id", flat=True))
    round_count(actor=trustee(round.neighbourhood), round=round)
    for result in receipts:
        status = receipt_lookup(code=result.receipt_code)
        assert status is not None and status.counted


def test_close_uses_system_randomness():
    round, pot = round_with_pot()
    ballot_cast(actor=resident(round.neighbourhood), pot=pot, choices=proposal_ids(pot)[:1])
    with mock.patch("voting.services.rounds.secrets.SystemRandom") as system_random:
        round_close(round=round, now=round.closes_at)
    rows = system_random.return_value.shuffle.call_args.args[0]
    assert len(rows) == 1
