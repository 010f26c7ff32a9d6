"""Polling cards (issue 16): trustees issue numbered one-time codes; a resident with no account
votes once in each pot of the round; the same person cannot vote again by any channel."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from communities.identity import identity_key
from config.errors import ApplicationError, StateError
from tests.factories import MembershipFactory, NeighbourhoodFactory, trustee
from tests.voting.factories import keyer, postcode_in_area, proposal_ids, round_with_pot
from voting.models import Ballot, Participation, PollingCard, Pot, PotItem
from voting.services import ballot_cast, paper_voter_mark, volunteer_appoint
from voting.services.cards import (
    VoterIdentity,
    card_batch_issue,
    card_check,
    inperson_ballot_cast,
    voter_identity_check,
)

pytestmark = pytest.mark.django_db

RITA = {
    "name": "Rita Resident",
    "house": "1 Hope Road",
    "postcode": "HP1 1AA",
    "age_band": "35_49",
    "connection": "lives",
}


@pytest.fixture
def setup():
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place, channel_paper=True)
    second = Pot.objects.create(round=round, name="Youth pot", amount_pence=500_000)
    for number, item in enumerate(pot.items.all()[:2], start=1):
        PotItem.objects.create(
            pot=second, proposal=item.proposal, number=number, cost_pence=item.cost_pence
        )
    chair = trustee(place)
    postcode_in_area("HP11AA")
    issued = card_batch_issue(actor=chair, round=round, count=3)
    return round, pot, second, chair, issued


def identity(**overrides):
    return VoterIdentity(keys=[], member_ids=[], **{**RITA, **overrides})


def first_choices(round):
    return {p.pk: proposal_ids(p)[:1] for p in round.pots.all()}


def test_issue_stores_only_keyed_hashes_and_audits(setup):
    round, _, _, _, issued = setup
    numbers = [n for n, _ in issued.codes]
    assert numbers == [1, 2, 3]
    stored = list(PollingCard.objects.filter(round=round).values_list("code_hash", flat=True))
    for _, code in issued.codes:
        assert code.replace("-", "") not in "".join(stored)
    assert AuditEvent.objects.filter(action="voting.polling_cards_issued").count() == 1


def test_code_with_spaces_dashes_and_lower_case_is_accepted(setup):
    round, _, _, _, issued = setup
    code = issued.codes[0][1]
    messy = " " + code.lower().replace("-", " - ") + " "
    assert card_check(code=messy).round == round


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("ABCDE-FGHJK", "do not recognise"),
        ("short", "10 letters"),
    ],
)
def test_unknown_or_malformed_code_is_refused(setup, code, message):
    with pytest.raises(ApplicationError, match=message):
        card_check(code=code)


def test_card_votes_once_in_each_pot_and_not_again(setup):
    round, pot, second, _, issued = setup
    code = issued.codes[0][1]
    card = card_check(code=code)
    results = inperson_ballot_cast(
        round=round,
        identity=identity(),
        choices=first_choices(round),
        channel="card",
        card_id=card.pk,
    )
    assert {r.pot for r in results} == {pot, second}
    assert Ballot.objects.filter(round=round).count() == 2
    rows = Participation.objects.filter(round=round)
    assert {r.channel for r in rows} == {"card"}
    assert all(r.in_person_key for r in rows)
    with pytest.raises(ApplicationError, match="already been used"):
        card_check(code=code)
    # the audit event names the card, never a ballot
    event = AuditEvent.objects.get(action="voting.polling_card_redeemed")
    assert event.changes["card_number"] == 1
    assert not any(str(b.pk) in str(event.changes) for b in Ballot.objects.all())


def test_other_round_and_expired_cards_are_refused(setup):
    round, _, _, chair, issued = setup
    other, _ = round_with_pot(round.neighbourhood)
    with pytest.raises(ApplicationError, match="different vote"):
        card_check(code=issued.codes[0][1], round=other)
    card = PollingCard.objects.get(round=round, number=2)
    card.batch.expires_at = round.opens_at
    card.batch.save()
    with pytest.raises(ApplicationError, match="expired"):
        card_check(code=issued.codes[1][1])


def test_same_person_cannot_vote_with_another_card(setup):
    round, _, _, _, issued = setup
    inperson_ballot_cast(
        round=round,
        identity=identity(),
        choices=first_choices(round),
        channel="card",
        card_id=card_check(code=issued.codes[0][1]).pk,
    )
    second_card = card_check(code=issued.codes[1][1]).pk
    with pytest.raises(StateError, match="already voted"):
        inperson_ballot_cast(
            round=round,
            identity=identity(name="R. Resident", house="1"),  # a spelling variant
            choices=first_choices(round),
            channel="card",
            card_id=second_card,
        )
    # nothing changed: the second card is still unused
    assert PollingCard.objects.get(pk=second_card).used_at is None
    assert Ballot.objects.filter(round=round).count() == 2


def test_member_who_voted_online_cannot_vote_with_a_card(setup):
    round, pot, second, _, issued = setup
    member = MembershipFactory(
        neighbourhood=round.neighbourhood,
        private_name="Rita Resident",
        private_house="1 Hope Road",
        private_postcode="HP11AA",
        identity_key=identity_key(name="Rita Resident", house="1 Hope Road", postcode="HP11AA"),
    )
    ballot_cast(actor=member.user, pot=pot, choices=proposal_ids(pot)[:1])
    with pytest.raises(StateError, match="already voted"):
        voter_identity_check(round=round, **RITA)


def test_card_voter_cannot_then_vote_through_account_or_paper_desk(setup):
    round, pot, _, chair, issued = setup
    inperson_ballot_cast(
        round=round,
        identity=identity(),
        choices=first_choices(round),
        channel="card",
        card_id=card_check(code=issued.codes[0][1]).pk,
    )
    helper = keyer(round.neighbourhood)
    volunteer_appoint(actor=chair, round=round, user=helper)
    with pytest.raises(StateError, match="already voted"):
        paper_voter_mark(
            actor=helper,
            round=round,
            name="Mrs Rita Resident",
            house="1 Hope Rd",
            postcode="hp1 1aa",
            age_band="35_49",
            connection="lives",
        )
    member = MembershipFactory(
        neighbourhood=round.neighbourhood,
        private_name="Rita Resident",
        private_house="1 Hope Road",
        private_postcode="HP11AA",
        identity_key=identity_key(name="Rita Resident", house="1 Hope Road", postcode="HP11AA"),
    )
    with pytest.raises(StateError, match="already voted"):
        ballot_cast(actor=member.user, pot=pot, choices=proposal_ids(pot)[:1])
    with pytest.raises(StateError, match="already voted"):
        paper_voter_mark(actor=helper, round=round, membership=member)
    assert Ballot.objects.filter(round=round).count() == 2


def test_near_match_is_sent_to_a_trustee_and_card_kept(setup):
    round, _, _, _, issued = setup
    inperson_ballot_cast(
        round=round,
        identity=identity(),
        choices=first_choices(round),
        channel="card",
        card_id=card_check(code=issued.codes[0][1]).pk,
    )
    with pytest.raises(StateError, match="trustee needs to check"):
        voter_identity_check(round=round, **{**RITA, "name": "Sam Resident"})


def test_outside_the_area_or_too_young_is_refused(setup):
    round, _, _, _, _ = setup
    postcode_in_area("ZZ99ZZ", ward_code="E05999999")
    with pytest.raises(ApplicationError, match="not inside"):
        voter_identity_check(round=round, **{**RITA, "postcode": "ZZ9 9ZZ"})
    round.min_age_band = "18_24"
    round.save()
    with pytest.raises(ApplicationError, match="below the vote's minimum age"):
        voter_identity_check(round=round, **{**RITA, "age_band": "under_16"})


def test_cards_page_issues_a_pdf_and_audits_the_download(client, setup):
    round, _, _, chair, _ = setup
    client.force_login(chair)
    response = client.post(reverse("voting:cards", args=[round.pk]), {"count": "7"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert PollingCard.objects.filter(round=round).count() == 10
    assert AuditEvent.objects.filter(action="voting.polling_cards_downloaded").count() == 1


def test_cards_page_refuses_a_resident(client, setup):
    round, _, _, _, _ = setup
    from tests.factories import resident

    client.force_login(resident(round.neighbourhood))
    response = client.post(reverse("voting:cards", args=[round.pk]), {"count": "7"})
    assert response.status_code == 403
    assert PollingCard.objects.filter(round=round).count() == 3


def _walk(client, url, code, who=RITA, extra=None):
    """Code -> eligibility -> ballots -> review -> cast, through the pages."""
    page = client.post(url, {"code": code, **(extra or {})})
    visit = page.context["visit"]
    page = client.post(url, {"visit": visit, **who})
    assert page.context.get("step") == "ballot", page.content.decode()[:3000]
    round = page.context["round"]
    data = {"visit": visit}
    for pot in round.pots.all():
        data[f"pot{pot.pk}-choice"] = [str(proposal_ids(pot)[0])]
    page = client.post(url, data)
    assert page.context["step"] == "review"
    return client.post(url, {"visit": visit, "cast": "1"})


def test_card_pages_vote_and_show_receipts_then_code_fails(client, setup):
    round, _, _, _, issued = setup
    url = reverse("voting:card")
    code = issued.codes[0][1].lower()
    page = _walk(client, url, code)
    assert page.status_code == 200
    assert len(page.context["results"]) == 2
    assert b"receipt-code" in page.content
    again = client.post(url, {"code": code})
    assert "already been used" in again.content.decode()
    assert Ballot.objects.filter(round=round).count() == 2


def test_card_page_rate_limits_wrong_codes(client, setup, settings):
    url = reverse("voting:card")
    for _ in range(30):
        client.post(url, {"code": "ABCDE-FGHJK"})
    page = client.post(url, {"code": "ABCDE-FGHJK"})
    assert "Too many attempts" in page.content.decode()


def test_demo_seed_issues_polling_cards_whose_printed_code_works(settings):
    import io
    import re

    from django.core.management import call_command

    from voting.models import VoteRound

    settings.DEBUG = True  # seed_demo refuses to run in production
    out = io.StringIO()
    call_command("seed_demo", stdout=out)
    open_round = VoteRound.objects.get(status="open")
    assert PollingCard.objects.filter(round=open_round).count() == 12
    printed = re.search(r"try ([A-Z0-9]{5}-[A-Z0-9]{5})", out.getvalue()).group(1)
    assert card_check(code=printed).round == open_round


def test_card_page_works_when_the_cache_is_down(client, setup, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(cache, "get", broken)
    monkeypatch.setattr(cache, "incr", broken)
    monkeypatch.setattr(cache, "add", broken)
    round, _, _, _, issued = setup
    page = client.post(reverse("voting:card"), {"code": "ABCDE-FGHJK"})
    assert "do not recognise" in page.content.decode()
    page = _walk(client, reverse("voting:card"), issued.codes[2][1])
    assert len(page.context["results"]) == 2
