"""Home and neighbourhood pages lead with what is happening now: an open vote with "Vote
now", ideas waiting for support, results just published; a new member is taken there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import Membership
from tests.factories import MembershipFactory, ProposalFactory, UserFactory
from tests.voting.factories import VoteRoundFactory, round_with_pot

from .factories import hollin_bank, pending

pytestmark = pytest.mark.django_db


def _busy(nb, n: int = 1):
    """n open votes (one pot each), n ideas waiting for support, n results just published."""
    rounds = []
    for i in range(n):
        round, pot = round_with_pot(nb, title=f"Park vote {i}", costs=(100_000,))
        rounds.append((round, pot))
        ProposalFactory(neighbourhood=nb, title=f"Benches {i}", status="submitted")
        VoteRoundFactory(
            neighbourhood=nb,
            title=f"Spring vote {i}",
            status="results_published",
            closes_at=timezone.now() - timedelta(days=2),
            opens_at=timezone.now() - timedelta(days=9),
            results_published_at=timezone.now() - timedelta(days=1),
        )
    return rounds


def test_the_neighbourhood_page_leads_with_an_open_vote(client, geography):
    nb = hollin_bank()
    [(round, pot)] = _busy(nb)
    VoteRoundFactory(
        neighbourhood=nb,
        title="Old vote",
        status="results_published",
        closes_at=timezone.now() - timedelta(days=50),
        opens_at=timezone.now() - timedelta(days=60),
        results_published_at=timezone.now() - timedelta(days=45),
    )
    html = client.get("/neighbourhoods/hollin-bank/").content.decode()
    assert html.index('id="now"') < html.index('id="you"')
    assert "Open votes" in html and "Park vote 0" in html
    assert f'class="button" href="/votes/pot/{pot.pk}/vote/">Vote now' in html
    assert "Ideas waiting for support" in html and "Benches 0" in html
    assert "Results just published" in html and "Spring vote 0" in html
    assert f'href="/votes/round/{round.pk + 1}/results/"' in html
    assert "Old vote" not in html  # results from 45 days ago are not news


def test_a_quiet_neighbourhood_says_so_and_a_member_is_told_what_to_do(client, geography):
    nb = hollin_bank()
    html = client.get("/neighbourhoods/hollin-bank/").content.decode()
    assert "No vote is open and no idea is waiting for support just now." in html
    member = MembershipFactory(neighbourhood=nb).user
    client.force_login(member)
    html = client.get("/neighbourhoods/hollin-bank/").content.decode()
    assert 'href="/proposals/hollin-bank/new/">put forward an idea' in html


def test_a_vote_with_several_pots_links_to_its_page(client, geography):
    from voting.models import Pot

    nb = hollin_bank()
    round, _pot = round_with_pot(nb, costs=(100_000,))
    Pot.objects.create(round=round, name="Youth pot", amount_pence=100_000)
    html = client.get("/neighbourhoods/hollin-bank/").content.decode()
    assert f'class="button" href="/votes/round/{round.pk}/">Vote now' in html


def test_home_shows_a_members_own_neighbourhoods_only(client, geography):
    nb = hollin_bank()
    _busy(nb)
    other = hollin_bank(name="Elsewhere", slug="elsewhere")
    round_with_pot(other, title="Elsewhere vote", costs=(100_000,))
    member = MembershipFactory(neighbourhood=nb).user
    client.force_login(member)
    html = client.get("/").content.decode()
    assert "Happening now in your neighbourhood" in html
    assert "Park vote 0" in html and "Vote now" in html
    assert "Elsewhere vote" not in html
    assert "Find your neighbourhood" not in html


def test_home_for_a_visitor_shows_active_neighbourhoods_and_a_postcode_search(client, geography):
    nb = hollin_bank()
    _busy(nb)
    hollin_bank(name="Elsewhere", slug="elsewhere")
    html = client.get("/").content.decode()
    assert "Happening now" in html and "Hollin Bank: open until" in html
    assert '<label for="home-q">Find your neighbourhood</label>' in html
    assert 'action="/neighbourhoods/"' in html


def test_after_joining_a_resident_is_taken_to_what_they_can_do(client, geography):
    nb = hollin_bank()
    _busy(nb)
    user = UserFactory()
    pending(nb, user=user, postcode="ZZ11AA")
    client.force_login(user)
    response = client.post("/neighbourhoods/hollin-bank/join/verify/", {"method": "postcode"})
    assert response.status_code == 302
    assert response["Location"] == "/neighbourhoods/hollin-bank/#now"
    assert Membership.objects.get(user=user).status == "verified"
    html = client.get(response["Location"]).content.decode()
    assert "Here is what you can do now." in html and "Vote now" in html


def _queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", ["/", "/neighbourhoods/hollin-bank/"])
def test_query_count_does_not_grow_with_what_is_happening(
    client, geography, path, django_assert_num_queries
):
    nb = hollin_bank()
    member = MembershipFactory(neighbourhood=nb).user
    client.force_login(member)
    _busy(nb, 1)
    few = _queries(client, path)
    _busy(nb, 6)
    with django_assert_num_queries(few):
        html = client.get(path).content.decode()
    assert html.count(">Vote now<") == 7
