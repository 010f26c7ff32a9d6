"""Paper keyers act on votes (issue 9 point 3): two-factor like trustees, and the two keyings of
a batch come from two different people, not two accounts of one person."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.identity import identity_key
from communities.models import VerificationMethod
from communities.permissions import MfaRequiredError
from config.errors import ForbiddenError, StateError
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory, resident, trustee
from tests.voting.factories import keyer, round_with_pot
from voting.models import Ballot, PaperEntry
from voting.permissions import can_enter_paper_ballots
from voting.services import paper_batch_create, paper_entry_submit, volunteer_appoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper_round():
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(
        place, channel_paper=True, ballot_method="k_approval", max_choices=2
    )
    return round, pot, trustee(place)


def test_a_volunteer_without_two_factor_is_prompted_to_set_it_up(paper_round, client):
    round, pot, chair = paper_round
    volunteer = resident(round.neighbourhood)
    volunteer_appoint(actor=chair, round=round, user=volunteer)
    assert not can_enter_paper_ballots(volunteer, round)
    with pytest.raises(MfaRequiredError):
        paper_batch_create(actor=volunteer, round=round, pot=pot, event="Fair", declared_count=1)
    client.force_login(volunteer)
    response = client.get(reverse("voting:paper", args=[round.pk]))
    assert response.status_code == 302 and "/2fa/" in response["Location"]


def test_a_trustee_without_two_factor_cannot_key(paper_round):
    round, pot, chair = paper_round
    batch = paper_batch_create(actor=chair, round=round, pot=pot, event="Fair", declared_count=1)
    with pytest.raises(MfaRequiredError):
        paper_entry_submit(actor=trustee(round.neighbourhood, mfa=False), batch=batch, text="1")


def test_a_stranger_is_refused_outright(paper_round):
    round, pot, _ = paper_round
    with pytest.raises(ForbiddenError) as caught:
        paper_batch_create(
            actor=UserFactory(mfa=True), round=round, pot=pot, event="Fair", declared_count=1
        )
    assert not isinstance(caught.value, MfaRequiredError)


def test_a_volunteer_with_two_factor_keys(paper_round):
    round, pot, chair = paper_round
    volunteer = keyer(round.neighbourhood)
    volunteer_appoint(actor=chair, round=round, user=volunteer)
    batch = paper_batch_create(
        actor=volunteer, round=round, pot=pot, event="Fair", declared_count=1
    )
    paper_entry_submit(actor=volunteer, batch=batch, text="1")
    assert paper_entry_submit(actor=chair, batch=batch, text="1").status == "agreed"


def test_one_person_with_two_accounts_cannot_key_both_entries(paper_round):
    round, pot, chair = paper_round
    key = identity_key(name="Kim Keyer", house="4", postcode="HP11AA")
    accounts = []
    for name, house in [("Kim Keyer", "4"), ("K. KEYER", "4 Hope Road")]:
        user = UserFactory(mfa=True)
        MembershipFactory(
            user=user,
            neighbourhood=round.neighbourhood,
            private_name=name,
            private_house=house,
            private_postcode="HP11AA",
            identity_key=key,
            verification_method=VerificationMethod.ATTESTATION,
        )
        volunteer_appoint(actor=chair, round=round, user=user)
        accounts.append(user)
    batch = paper_batch_create(
        actor=accounts[0], round=round, pot=pot, event="Fair", declared_count=1
    )
    paper_entry_submit(actor=accounts[0], batch=batch, text="1")
    with pytest.raises(StateError, match="same person under another account"):
        paper_entry_submit(actor=accounts[1], batch=batch, text="1")
    assert PaperEntry.objects.count() == 1 and not Ballot.objects.exists()
    # a different person (different private identity) may key it
    other = keyer(
        round.neighbourhood,
        private_name="Lee Other",
        private_house="5",
        private_postcode="HP11AA",
        identity_key=identity_key(name="Lee Other", house="5", postcode="HP11AA"),
    )
    volunteer_appoint(actor=chair, round=round, user=other)
    assert paper_entry_submit(actor=other, batch=batch, text="1").status == "agreed"


def test_a_keyer_with_no_name_and_address_on_the_register_cannot_key(paper_round):
    # given: one person who holds the trustee account and, under a second email, a volunteer
    # account with no membership, so nothing on the register says who is behind it
    round, pot, chair = paper_round
    batch = paper_batch_create(actor=chair, round=round, pot=pot, event="Fair", declared_count=1)
    paper_entry_submit(actor=chair, batch=batch, text="1")
    second_account = UserFactory(mfa=True)
    volunteer_appoint(actor=chair, round=round, user=second_account)
    # when / then: the second account cannot key the other entry, since nobody can tell
    # that it is a different person
    with pytest.raises(StateError, match="full name and address"):
        paper_entry_submit(actor=second_account, batch=batch, text="1")
    assert PaperEntry.objects.count() == 1 and not Ballot.objects.exists()


def test_a_keyer_whose_name_is_only_typed_cannot_key(paper_round):
    # given: the chair's second account joined by typing a postcode, under another name
    round, pot, chair = paper_round
    batch = paper_batch_create(actor=chair, round=round, pot=pot, event="Fair", declared_count=1)
    paper_entry_submit(actor=chair, batch=batch, text="1")
    second_account = UserFactory(mfa=True)
    MembershipFactory(
        user=second_account,
        neighbourhood=round.neighbourhood,
        private_name="Someone Else",
        private_house="99",
        private_postcode="HP11AA",
    )
    volunteer_appoint(actor=chair, round=round, user=second_account)
    # when / then: a typed name proves nothing, so it cannot key the second entry
    with pytest.raises(StateError, match="confirmed in person"):
        paper_entry_submit(actor=second_account, batch=batch, text="1")
    assert PaperEntry.objects.count() == 1 and not Ballot.objects.exists()
