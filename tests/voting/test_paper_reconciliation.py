"""A pot is not counted while its agreed paper batches hold more papers than paper voters
were marked in the register (a bundle keyed twice, or voters not marked)."""

from __future__ import annotations

import pytest

from config.errors import ApplicationError
from tests.factories import resident, trustee
from tests.voting.factories import round_with_pot
from voting.models import PotResult, VoteRound
from voting.services import paper_batch_create, paper_entry_submit, paper_voter_mark, round_count

pytestmark = pytest.mark.django_db


def _key(round, pot, first, second, text, count):
    batch = paper_batch_create(
        actor=first, round=round, pot=pot, event="Fete", declared_count=count
    )
    paper_entry_submit(actor=first, batch=batch, text=text)
    paper_entry_submit(actor=second, batch=batch, text=text)


def _close(round):
    VoteRound.objects.filter(pk=round.pk).update(status=VoteRound.Status.CLOSED)
    round.refresh_from_db()


def test_same_bundle_keyed_twice_is_refused():
    # given: two paper voters marked, and their bundle of two papers keyed as two batches
    round, pot = round_with_pot(channel_paper=True)
    first, second = trustee(round.neighbourhood), trustee(round.neighbourhood)
    for _ in range(2):
        member = resident(round.neighbourhood).memberships.get()
        paper_voter_mark(actor=first, round=round, membership=member)
    _close(round)
    _key(round, pot, first, second, "1\nx", 2)  # a spoilt paper was handed out too
    _key(round, pot, first, second, "1\nx", 2)
    # when / then: the count is refused, naming the pot and both numbers
    with pytest.raises(ApplicationError) as exc:
        round_count(actor=first, round=round)
    assert "“Main pot” has 4 paper ballots" in exc.value.message
    assert "only 2 paper voters" in exc.value.message
    assert not PotResult.objects.exists()


def test_papers_matching_the_register_are_counted():
    round, pot = round_with_pot(channel_paper=True)
    first, second = trustee(round.neighbourhood), trustee(round.neighbourhood)
    for _ in range(2):
        member = resident(round.neighbourhood).memberships.get()
        paper_voter_mark(actor=first, round=round, membership=member)
    _close(round)
    _key(round, pot, first, second, "1\nx", 2)
    round_count(actor=first, round=round)
    assert PotResult.objects.get(pot=pot).ballots_counted == 1
