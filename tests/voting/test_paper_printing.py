"""Printing for a polling event (issue 13): numbered ballot papers (PDF, one or two per A4, the
pot's proposals and instructions) for trustees and appointed volunteers, and the desk's register
(PDF, trustees only, audited, name/house/postcode of eligible members and nothing else)."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from audit.models import AuditEvent
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory, resident, trustee
from tests.voting.factories import keyer, round_with_pot
from voting.services import volunteer_appoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def paper_round():
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(
        place,
        costs=(300_000, 450_050, 500_000),
        channel_paper=True,
        eligible_connections=["lives"],
    )
    return round, pot, trustee(place)


def _text(response) -> tuple[int, str]:
    assert response.status_code == 200, response.content[:2000]
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(p.extract_text() for p in reader.pages)
    return len(reader.pages), " ".join(text.split())  # the PDF's line breaks do not matter


def _papers(client, round, pot, **data):
    body = {"pot": pot.pk, "event": "Spring fair, village hall, 4 April", "count": 3}
    return client.post(reverse("voting:paper_print", args=[round.pk]), {**body, **data})


def test_numbered_papers_list_the_pots_proposals_and_instructions(paper_round, client):
    round, pot, chair = paper_round
    client.force_login(chair)
    pages, text = _text(_papers(client, round, pot, per_page=1))
    assert pages == 3
    for n in (1, 2, 3):
        assert f"Ballot paper no. {n} of 3" in text
    for item in pot.items.select_related("proposal"):
        assert item.proposal.title in text
    assert "£4,500.50" in text and "£10,000" in text  # costs and the pot, in pounds
    assert "Put a cross (X) in the box next to each proposal you want" in text
    assert "Spring fair, village hall, 4 April" in text
    assert "Do not write your name on this paper" in text
    event = AuditEvent.objects.get(action="voting.ballot_papers_printed")
    assert event.actor == chair and event.changes["papers"] == 3


def test_two_papers_fit_on_a_sheet(paper_round, client):
    round, pot, chair = paper_round
    client.force_login(chair)
    pages, text = _text(_papers(client, round, pot, count=5, per_page=2))
    assert pages == 3 and "Ballot paper no. 5 of 5" in text


def test_an_appointed_volunteer_prints_papers_but_not_the_register(paper_round, client):
    round, pot, chair = paper_round
    volunteer = keyer(round.neighbourhood)
    volunteer_appoint(actor=chair, round=round, user=volunteer)
    client.force_login(volunteer)
    assert _text(_papers(client, round, pot, per_page=1))[0] == 3
    url = reverse("voting:paper_register", args=[round.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, {"event": "Fair"}).status_code == 403
    assert not AuditEvent.objects.filter(action="voting.paper_register_printed").exists()


def test_residents_print_nothing(paper_round, client):
    round, pot, _ = paper_round
    client.force_login(resident(round.neighbourhood))
    assert _papers(client, round, pot, per_page=1).status_code == 403
    assert not AuditEvent.objects.filter(action="voting.ballot_papers_printed").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"count": 0, "per_page": 1}, "Print at least 1 paper."),
        ({"count": 1001, "per_page": 1}, "Print at most 1,000 papers at a time."),
        ({"event": "", "per_page": 1}, "This field is required."),
        ({"per_page": 3}, "Select a valid choice."),
    ],
)
def test_bad_input_gets_a_clear_message_and_prints_nothing(paper_round, client, data, message):
    round, pot, chair = paper_round
    client.force_login(chair)
    response = _papers(client, round, pot, **data)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    assert message in response.content.decode()
    assert not AuditEvent.objects.filter(action="voting.ballot_papers_printed").exists()


def test_too_many_proposals_for_two_to_a_sheet_says_so(client):
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place, costs=[100_000] * 11, channel_paper=True)
    client.force_login(trustee(place))
    response = _papers(client, round, pot, per_page=2)
    assert "Two papers fit on a sheet only with up to 10 proposals; this ballot has 11" in (
        response.content.decode()
    )
    assert _text(_papers(client, round, pot, per_page=1))[0] >= 3


def test_no_papers_once_the_vote_has_closed(client):
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place, channel_paper=True, status="closed")
    client.force_login(trustee(place))
    response = _papers(client, round, pot, per_page=1)
    assert "papers are printed before or while it is open" in response.content.decode()


def test_register_lists_eligible_members_name_house_postcode_only(paper_round, client):
    round, _, chair = paper_round
    place = round.neighbourhood
    MembershipFactory(
        neighbourhood=place,
        user=UserFactory(email="pat@example.org"),
        private_name="Pat Quill",
        private_house="12",
        private_postcode="HP1 1AA",
    )
    MembershipFactory(
        neighbourhood=place,
        connection="works",
        private_name="Wendy Worker",
        private_house="3",
        private_postcode="HP1 1AB",
    )
    client.force_login(chair)
    url = reverse("voting:paper_register", args=[round.pk])
    assert b"name, house and" in client.get(url).content
    pages, text = _text(client.post(url, {"event": "Spring fair"}))
    assert "Pat Quill" in text and "HP1 1AA" in text
    assert "Wendy Worker" not in text  # works there; this vote is for residents who live there
    assert "pat@example.org" not in text and "35 to 49" not in text and "Lives" not in text
    assert "Never write a ballot paper's number here" in text
    event = AuditEvent.objects.get(action="voting.paper_register_printed")
    assert event.actor == chair and event.changes["event"] == "Spring fair"
    assert event.changes["members"] >= 1


def test_paper_desk_links_to_both_prints(paper_round, client):
    round, _, chair = paper_round
    client.force_login(chair)
    page = client.get(reverse("voting:paper", args=[round.pk])).content.decode()
    assert reverse("voting:paper_print", args=[round.pk]) in page
    assert reverse("voting:paper_register", args=[round.pk]) in page
