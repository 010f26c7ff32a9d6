"""The paper desk marks voters against the register (issue 9 point 5): members by their private
name and address, in-person voters by a keyed identity that spelling variants cannot escape."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.urls import reverse

from audit.models import AuditEvent
from communities.identity import IdentityParts, identity_key
from communities.permissions import MfaRequiredError
from config.errors import ApplicationError, ForbiddenError, StateError
from tests.factories import MembershipFactory, NeighbourhoodFactory, resident, trustee
from tests.voting.factories import keyer, postcode_in_area, proposal_ids, round_with_pot
from voting.models import Participation
from voting.selectors import paper_register_search
from voting.services import ballot_cast, paper_voter_mark, volunteer_appoint
from voting.services.paper import NearMatchError

pytestmark = pytest.mark.django_db

ADULT = {"age_band": "35_49", "connection": "lives"}


@pytest.fixture
def desk():
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place, channel_paper=True)
    chair = trustee(place)
    helper = keyer(place)
    volunteer_appoint(actor=chair, round=round, user=helper)
    postcode_in_area("HP11AA")
    postcode_in_area("HP12BB")
    postcode_in_area("ZZ99ZZ", ward_code="E05999999")  # a real postcode outside the area
    return round, pot, chair, helper


def member_with_address(place, name, house, postcode, **kwargs):
    return MembershipFactory(
        neighbourhood=place,
        private_name=name,
        private_house=house,
        private_postcode=postcode,
        identity_key=identity_key(name=name, house=house, postcode=postcode),
        **kwargs,
    )


def test_spelling_variants_of_one_person_give_one_paper_participation(desk):
    round, _, _, helper = desk
    paper_voter_mark(
        actor=helper,
        round=round,
        name="Rita  Resident",
        house="1 Hope Rd",
        postcode="HP1 1AA",
        **ADULT,
    )
    for name, house in [("R. Resident", "1"), ("R Resident / 1 Hope Rd", "")]:
        with pytest.raises(StateError, match="already voted on paper"):
            paper_voter_mark(
                actor=helper, round=round, name=name, house=house, postcode="hp11aa", **ADULT
            )
    assert Participation.objects.filter(channel="paper").count() == 1


def test_the_identity_key_normalises_case_spaces_punctuation_and_initials():
    keys = {
        IdentityParts.of(name=n, house=h, postcode="HP1 1AA").text
        for n, h in [
            ("Rita  Resident", "1 Hope Rd"),
            ("R. Resident", "1"),
            ("R Resident / 1 Hope Rd", ""),
            ("MRS RITA RESIDENT", "1, Hope Road"),
        ]
    }
    assert len(keys) == 1
    assert IdentityParts.of(name="Rita Resident", house="3", postcode="HP11AA").text not in keys


def test_the_key_is_an_hmac_with_the_receipt_key_not_text(desk):
    round, _, _, helper = desk
    paper_voter_mark(
        actor=helper, round=round, name="Rita Resident", house="1", postcode="HP11AA", **ADULT
    )
    row = Participation.objects.get()
    assert len(row.in_person_key) == 64 and "resident" not in row.in_person_key
    with override_settings(RECEIPT_KEY="another-receipt-key-of-at-least-32-chars"):
        assert identity_key(name="Rita Resident", house="1", postcode="HP11AA") != (
            row.in_person_key
        )


def test_a_rotated_receipt_key_still_finds_earlier_in_person_voters(desk):
    round, _, _, helper = desk
    paper_voter_mark(
        actor=helper, round=round, name="Rita Resident", house="1", postcode="HP11AA", **ADULT
    )
    from django.conf import settings

    old = settings.RECEIPT_KEY
    with (
        override_settings(RECEIPT_KEY="new-receipt-key-" + "x" * 32, RECEIPT_OLD_KEYS=[old]),
        pytest.raises(StateError, match="already voted on paper"),
    ):
        paper_voter_mark(
            actor=helper, round=round, name="R Resident", house="1", postcode="HP11AA", **ADULT
        )


def test_member_who_voted_online_is_found_on_the_register_and_refused(desk):
    round, pot, _, helper = desk
    rita = member_with_address(round.neighbourhood, "Rita Resident", "1 Hope Road", "HP11AA")
    ballot_cast(actor=rita.user, pot=pot, choices=proposal_ids(pot)[:1])
    found = paper_register_search(round=round, name="R. resident", house="1", postcode="hp1 1aa")
    assert found == [rita]
    with pytest.raises(StateError, match="already voted online"):
        paper_voter_mark(actor=helper, round=round, membership=found[0])
    # and typing them in as someone not on the register does not get round it
    with pytest.raises(ApplicationError, match="on the member register"):
        paper_voter_mark(
            actor=helper, round=round, name="Rita Resident", house="1", postcode="HP11AA", **ADULT
        )
    assert Participation.objects.filter(channel="paper").count() == 0


def test_member_marked_on_paper_cannot_then_vote_online(desk):
    round, pot, _, helper = desk
    rita = member_with_address(round.neighbourhood, "Rita Resident", "1", "HP11AA")
    paper_voter_mark(actor=helper, round=round, membership=rita)
    with pytest.raises(StateError, match="on paper"):
        ballot_cast(actor=rita.user, pot=pot, choices=proposal_ids(pot)[:1])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"postcode": "ZZ9 9ZZ"}, "not inside"),
        ({"postcode": "QQ1 1QQ"}, "not in our postcode list"),
        ({"age_band": "16_17"}, "below the vote's minimum age"),
        ({"connection": "works"}, "connection to the area is not eligible"),
    ],
)
def test_in_person_voter_not_on_the_register_is_checked_for_eligibility(desk, changes, message):
    round, _, _, helper = desk
    round.min_age_band = "18_24"
    round.eligible_connections = ["lives"]
    round.save()
    person = {"name": "Sam Stranger", "house": "9", "postcode": "HP1 1AA", **ADULT, **changes}
    with pytest.raises(ApplicationError, match=message):
        paper_voter_mark(actor=helper, round=round, **person)
    assert not Participation.objects.exists()


def test_existing_members_age_band_and_connection_are_checked_at_the_desk(desk):
    round, _, _, helper = desk
    round.min_age_band = "18_24"
    round.eligible_connections = ["lives"]
    round.save()
    young = MembershipFactory(neighbourhood=round.neighbourhood, age_band="16_17")
    worker = MembershipFactory(neighbourhood=round.neighbourhood, connection="works")
    with pytest.raises(ApplicationError, match="minimum age"):
        paper_voter_mark(actor=helper, round=round, membership=young)
    with pytest.raises(ApplicationError, match="connection"):
        paper_voter_mark(actor=helper, round=round, membership=worker)


def test_near_matches_go_to_a_trustee_who_decides_and_it_is_audited(desk):
    round, _, chair, helper = desk
    paper_voter_mark(
        actor=helper, round=round, name="Rita Resident", house="1", postcode="HP11AA", **ADULT
    )
    # same surname at the same postcode, another house number: maybe a typo, maybe a relative
    robert = {"name": "Robert Resident", "house": "3", "postcode": "HP11AA", **ADULT}
    with pytest.raises(NearMatchError) as caught:
        paper_voter_mark(actor=helper, round=round, **robert)
    assert [m.name for m in caught.value.matches] == ["Rita Resident"]
    assert "1, HP1 1AA" in caught.value.matches[0].address
    with pytest.raises(ForbiddenError, match="trustee"):
        paper_voter_mark(actor=helper, round=round, near_match_decision="distinct", **robert)
    mark = paper_voter_mark(actor=chair, round=round, near_match_decision="distinct", **robert)
    assert len(mark.created) == 1
    event = AuditEvent.objects.get(action="voting.paper_near_match_decided")
    assert event.changes["decision"] == "distinct" and event.actor == chair
    # a second near match that the trustee judges to be the same person gets no papers
    again = {"name": "Rita Residen", "house": "1", "postcode": "HP11AA", **ADULT}
    mark = paper_voter_mark(actor=chair, round=round, near_match_decision="same", **again)
    assert mark.refused and not mark.created
    assert Participation.objects.filter(channel="paper").count() == 2
    assert AuditEvent.objects.filter(action="voting.paper_near_match_decided").count() == 2


def test_near_match_with_a_member_is_shown_with_the_members_record(desk):
    round, _, _, helper = desk
    member_with_address(round.neighbourhood, "Rita Resident", "1 Hope Road", "HP11AA")
    with pytest.raises(NearMatchError) as caught:
        paper_voter_mark(
            actor=helper, round=round, name="Rita Resident", house="2", postcode="HP11AA", **ADULT
        )
    assert caught.value.matches[0].kind == "member"
    assert caught.value.matches[0].name == "Rita Resident"


def test_every_paper_participation_records_who_marked_it(desk):
    round, pot, _, helper = desk
    member = resident(round.neighbourhood).memberships.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Participation.objects.create(round=round, pot=pot, membership=member, channel="paper")
    paper_voter_mark(actor=helper, round=round, membership=member)
    assert Participation.objects.get().recorded_by == helper


def test_a_volunteer_without_two_factor_cannot_mark_voters(desk):
    round, _, chair, _ = desk
    no_mfa = resident(round.neighbourhood)
    volunteer_appoint(actor=chair, round=round, user=no_mfa)
    member = resident(round.neighbourhood).memberships.get()
    with pytest.raises(MfaRequiredError):
        paper_voter_mark(actor=no_mfa, round=round, membership=member)


def test_the_desk_page_searches_the_register_and_marks_the_member_picked(desk, client):
    round, _, _, helper = desk
    rita = member_with_address(round.neighbourhood, "Rita Resident", "1 Hope Road", "HP11AA")
    member_with_address(round.neighbourhood, "Other Person", "7", "HP12BB")
    client.force_login(helper)
    url = reverse("voting:paper", args=[round.pk])
    page = client.post(
        url, {"action": "search", "voter-name": "r resident", "voter-postcode": "hp1 1aa"}
    ).content.decode()
    assert "Rita Resident" in page and "Other Person" not in page
    assert f'name="membership" value="{rita.pk}"' in page
    response = client.post(url, {"action": "member", "membership": rita.pk}, follow=True)
    assert "Rita Resident is marked as voting on paper" in response.content.decode()
    assert Participation.objects.get().membership == rita


def test_the_desk_page_shows_near_matches_and_lets_a_trustee_decide(desk, client):
    round, _, chair, helper = desk
    paper_voter_mark(
        actor=helper, round=round, name="Rita Resident", house="1", postcode="HP11AA", **ADULT
    )
    form = {
        "action": "voter",
        "voter-name": "Robert Resident",
        "voter-house": "3",
        "voter-postcode": "HP1 1AA",
        "voter-age_band": "35_49",
        "voter-connection": "lives",
    }
    client.force_login(helper)
    url = reverse("voting:paper", args=[round.pk])
    page = client.post(url, form).content.decode()
    assert "Someone like this person is already recorded" in page
    assert "Rita Resident, 1, HP1 1AA" in page and "Ask a trustee" in page
    client.force_login(chair)
    page = client.post(url, form).content.decode()
    assert 'value="distinct"' in page
    client.post(url, {**form, "voter-near_match_decision": "distinct"})
    assert Participation.objects.filter(in_person_name="Robert Resident").count() == 1


def test_join_form_keeps_the_private_name_and_address_and_the_member_can_edit_it(client):
    from communities.models import Membership
    from tests.factories import UserFactory

    place = NeighbourhoodFactory()
    user = UserFactory()
    client.force_login(user)
    client.post(
        f"/neighbourhoods/{place.slug}/join/",
        {
            "connection": "lives",
            "age_band": "35_49",
            "postcode": "HP1 1AA",
            "private_name": "Rita  Resident",
            "private_house": "1 Hope Road",
        },
    )
    membership = Membership.objects.get(user=user)
    assert (membership.private_name, membership.private_house, membership.private_postcode) == (
        "Rita Resident",
        "1 Hope Road",
        "HP11AA",
    )
    assert membership.identity_key == identity_key(name="R Resident", house="1", postcode="HP11AA")
    client.post(
        f"/neighbourhoods/{place.slug}/membership/private/",
        {"private_name": "Rita Newname", "private_house": "2", "private_postcode": "HP1 2BB"},
    )
    membership.refresh_from_db()
    assert membership.private_name == "Rita Newname" and membership.private_postcode == "HP12BB"
    # never public: the neighbourhood page does not show it to anyone else
    client.logout()
    assert "Newname" not in client.get(f"/neighbourhoods/{place.slug}/").content.decode()
    assert "Newname" not in AuditEvent.objects.values_list("changes", flat=True).__str__()


def test_trustees_see_the_private_name_on_the_register_and_residents_do_not(client):
    place = NeighbourhoodFactory()
    member_with_address(place, "Rita Resident", "1 Hope Road", "HP11AA")
    client.force_login(trustee(place))
    assert (
        "Rita Resident, 1 Hope Road"
        in client.get(f"/neighbourhoods/{place.slug}/members/").content.decode()
    )
    client.force_login(resident(place))
    response = client.get(f"/neighbourhoods/{place.slug}/members/")
    assert "Rita Resident" not in response.content.decode()


def test_an_exact_match_is_refused_without_asking_a_trustee(desk):
    round, _, _, helper = desk
    paper_voter_mark(
        actor=helper, round=round, name="Rita Resident", house="1", postcode="HP11AA", **ADULT
    )
    chair = trustee(round.neighbourhood)
    paper_voter_mark(
        actor=chair,
        round=round,
        name="Sue Resident",
        house="1",
        postcode="HP11AA",
        near_match_decision="distinct",
        **ADULT,
    )
    # Rita again, spelt differently: the exact key refuses her although a near match exists too
    with pytest.raises(StateError, match="already voted on paper"):
        paper_voter_mark(
            actor=helper, round=round, name="R.  RESIDENT", house="1", postcode="HP1 1AA", **ADULT
        )
