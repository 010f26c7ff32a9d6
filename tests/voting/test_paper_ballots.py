"""Paper voting: the register across channels, and batches keyed twice by different people."""

from __future__ import annotations

import pytest

from communities.identity import identity_key
from config.errors import ApplicationError, ForbiddenError, StateError
from tests.factories import NeighbourhoodFactory, UserFactory, resident, trustee
from tests.voting.factories import keyer, postcode_in_area, proposal_ids, round_with_pot
from voting.models import Ballot, Participation
from voting.services import (
    ballot_cast,
    batch_mismatches,
    paper_batch_create,
    paper_entry_submit,
    paper_voter_mark,
    round_count,
    volunteer_appoint,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(
        place, channel_paper=True, ballot_method="k_approval", max_choices=2
    )
    chair = trustee(place)
    helper = keyer(place)
    volunteer_appoint(actor=chair, round=round, user=helper)
    return round, pot, chair, helper


def test_online_voter_cannot_vote_on_paper_and_back(setup):
    round, pot, chair, helper = setup
    online = resident(round.neighbourhood)
    ballot_cast(actor=online, pot=pot, choices=proposal_ids(pot)[:1])
    with pytest.raises(StateError, match="already voted online"):
        paper_voter_mark(actor=helper, round=round, membership=online.memberships.get())
    on_paper = resident(round.neighbourhood)
    paper_voter_mark(actor=helper, round=round, membership=on_paper.memberships.get())
    with pytest.raises(StateError, match="on paper"):
        ballot_cast(actor=on_paper, pot=pot, choices=proposal_ids(pot)[:1])


def test_in_person_voters_are_recorded_once_by_name_and_address(setup):
    round, _, _, helper = setup
    postcode_in_area("AB12CD")
    person = {"age_band": "35_49", "connection": "lives"}
    paper_voter_mark(
        actor=helper,
        round=round,
        name="Ada  Lovelace",
        house="1 High St",
        postcode="AB1 2CD",
        **person,
    )
    with pytest.raises(StateError, match="already voted on paper"):
        paper_voter_mark(
            actor=helper, round=round, name="ada lovelace", house="1", postcode="ab12cd", **person
        )
    assert Participation.objects.filter(channel="paper").count() == 1
    stored = Participation.objects.get()
    assert "lovelace" not in stored.in_person_key  # the identity is kept only as a keyed hash
    assert stored.recorded_by == helper


def test_a_registered_member_is_marked_by_membership_not_by_name(setup):
    round, _, _, helper = setup
    postcode_in_area("AB12CD")
    resident(
        round.neighbourhood,
        private_name="Rita Resident",
        private_house="1 Hope Road",
        private_postcode="AB12CD",
        identity_key=identity_key(name="Rita Resident", house="1", postcode="AB12CD"),
    )
    with pytest.raises(ApplicationError, match="member register"):
        paper_voter_mark(
            actor=helper,
            round=round,
            name="R. Resident",
            house="1 Hope Rd",
            postcode="AB1 2CD",
            age_band="35_49",
            connection="lives",
        )


def test_ineligible_member_cannot_be_marked(setup):
    round, _, _, helper = setup
    other = resident(NeighbourhoodFactory())
    with pytest.raises(ApplicationError, match="not a verified member"):
        paper_voter_mark(actor=helper, round=round, membership=other.memberships.get())


def test_only_trustees_and_volunteers_handle_paper(setup):
    round, pot, _, _ = setup
    with pytest.raises(ForbiddenError):
        paper_batch_create(
            actor=resident(round.neighbourhood), round=round, pot=pot, event="e", declared_count=1
        )
    with pytest.raises(ForbiddenError):
        volunteer_appoint(actor=resident(round.neighbourhood), round=round, user=UserFactory())


def test_batch_counts_only_when_two_people_agree(setup):
    round, pot, chair, helper = setup
    batch = paper_batch_create(actor=helper, round=round, pot=pot, event="Fair", declared_count=3)
    paper_entry_submit(actor=helper, batch=batch, text="1, 2\n3\nx\n")
    with pytest.raises(StateError, match="different person"):
        paper_entry_submit(actor=helper, batch=batch, text="1, 2\n3\nx\n")
    assert not Ballot.objects.exists()
    batch = paper_entry_submit(actor=chair, batch=batch, text="2,1\n3\nx")
    assert batch.status == "agreed"
    a, b, c = proposal_ids(pot)
    assert sorted(map(tuple, Ballot.objects.values_list("choices", flat=True))) == [(a, b), (c,)]
    with pytest.raises(StateError, match="agreed"):
        paper_entry_submit(actor=chair, batch=batch, text="1\n1\n1")


def test_mismatches_are_listed_ballot_by_ballot_and_not_merged(setup):
    round, pot, chair, helper = setup
    for _ in range(3):  # three people were given papers at the desk
        paper_voter_mark(
            actor=helper, round=round, membership=resident(round.neighbourhood).memberships.get()
        )
    batch = paper_batch_create(actor=helper, round=round, pot=pot, event="Fair", declared_count=3)
    paper_entry_submit(actor=helper, batch=batch, text="1, 2\n3\nx")
    batch = paper_entry_submit(actor=chair, batch=batch, text="1, 2\n2\n1")
    assert batch.status == "mismatch"
    assert [(m.number, m.first, m.second) for m in batch_mismatches(batch)] == [
        (2, "3", "2"),
        (3, "spoilt", "1"),
    ]
    assert not Ballot.objects.exists()
    round.status = "closed"
    round.save()
    with pytest.raises(StateError, match="not agreed"):
        round_count(actor=chair, round=round)
    with pytest.raises(StateError, match="Only the two people"):
        paper_entry_submit(actor=trustee(round.neighbourhood), batch=batch, text="x\nx\nx")
    # the second keyer re-checks the papers and keys again
    batch = paper_entry_submit(actor=chair, batch=batch, text="1, 2\n3\nx")
    assert batch.status == "agreed" and Ballot.objects.count() == 2
    round_count(actor=chair, round=round)


def test_keying_errors_name_the_ballot(setup):
    round, pot, _, helper = setup
    batch = paper_batch_create(actor=helper, round=round, pot=pot, event="Fair", declared_count=2)
    with pytest.raises(ApplicationError, match="Ballot 2: Choose at most 2"):
        paper_entry_submit(actor=helper, batch=batch, text="1\n1,2,3")
    with pytest.raises(ApplicationError, match="Ballot 1: “9”"):
        paper_entry_submit(actor=helper, batch=batch, text="9\n1")
    with pytest.raises(ApplicationError, match="keyed 1 ballot papers, but the batch has 2"):
        paper_entry_submit(actor=helper, batch=batch, text="1")


def test_cumulative_and_ranked_paper_formats():
    place = NeighbourhoodFactory()
    chair, other = trustee(place), trustee(place)
    for method, text, expected in [
        ("cumulative", "1:3, 3:2\n", lambda a, b, c: {str(a): 3, str(c): 2}),
        ("ranking", "3 1\n", lambda a, b, c: [c, a]),
    ]:
        round, pot = round_with_pot(
            place, channel_paper=True, ballot_method=method, points_total=5, max_choices=3
        )
        batch = paper_batch_create(actor=chair, round=round, pot=pot, event="E", declared_count=1)
        paper_entry_submit(actor=chair, batch=batch, text=text)
        paper_entry_submit(actor=other, batch=batch, text=text)
        assert Ballot.objects.get(pot=pot).choices == expected(*proposal_ids(pot))


def test_a_member_who_voted_online_then_changed_their_address_cannot_vote_on_paper(setup):
    # given: Rita votes online, then changes the private name and address on her membership
    from communities.services import membership_private_update

    round, pot, _, helper = setup
    postcode_in_area("AB12CD")
    rita = resident(
        round.neighbourhood,
        private_name="Rita Resident",
        private_house="1 Hope Road",
        private_postcode="AB12CD",
        identity_key=identity_key(name="Rita Resident", house="1 Hope Road", postcode="AB12CD"),
    )
    ballot_cast(actor=rita, pot=pot, choices=proposal_ids(pot)[:1])
    membership_private_update(
        actor=rita,
        membership=rita.memberships.get(),
        private_name="Zed Other",
        private_house="99 Far Lane",
        private_postcode="ZZ99 9ZZ",
    )
    # when / then: at the desk under her real name and address she is not off the register
    with pytest.raises(StateError, match="already voted online"):
        paper_voter_mark(
            actor=helper,
            round=round,
            name="Rita Resident",
            house="1 Hope Road",
            postcode="AB1 2CD",
            age_band="35_49",
            connection="lives",
        )
    assert Participation.objects.filter(pot=pot).count() == 1
