"""The ballot page without JavaScript: random order per voter, server-side messages, the
receipt page, changing a ballot with the code, and the public receipt lookup."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import resident
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot

pytestmark = pytest.mark.django_db


def _order(content: bytes) -> list[str]:
    return re.findall(r'name="choice" value="(\d+)"', content.decode())


def test_order_is_random_per_voter_and_stable(client):
    round, pot = round_with_pot(costs=[100_000 + i for i in range(8)], amount_pence=10**7)
    url = reverse("voting:ballot", args=[pot.pk])
    orders = []
    for _ in range(4):
        client.force_login(resident(round.neighbourhood))
        first = _order(client.get(url).content)
        assert _order(client.get(url).content) == first  # stable for one voter
        orders.append(tuple(first))
    assert len(set(orders)) > 1
    assert sorted(map(int, orders[0])) == sorted(proposal_ids(pot))


def test_page_is_small_and_has_labels(client):
    round, pot = round_with_pot()
    client.force_login(resident(round.neighbourhood))
    page = client.get(reverse("voting:ballot", args=[pot.pk]))
    assert len(page.content) < 30_000
    for pid in proposal_ids(pot):
        assert f'<label for="choice-{pid}">'.encode() in page.content


def test_cast_change_and_look_up_by_forms(client):
    round, pot = round_with_pot()
    a, b, c = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    url = reverse("voting:ballot", args=[pot.pk])
    response = client.post(url, {"choice": [a]})
    code = re.search(rb'id="receipt-code">([A-Z0-9-]+)<', response.content).group(1).decode()
    # a second visit asks for the code to change the ballot
    page = client.get(url)
    assert b"Your receipt code" in page.content and b"Review my new ballot" in page.content
    wrong = client.post(url, {"choice": [b], "receipt_code": "AAAA-AAAA-AAAA-AAAA"})
    assert b"not the receipt code" in wrong.content
    client.post(url, {"choice": [b, c], "receipt_code": code})
    assert list(Ballot.objects.values_list("choices", flat=True)) == [sorted([b, c])]
    # anyone with the code learns only that it is recorded, not the choices
    client.logout()
    lookup = client.post(reverse("voting:receipt"), {"code": code.lower()})
    assert b"will be counted" in lookup.content
    assert pot.items.get(proposal_id=b).proposal.title.encode() not in lookup.content
    unknown = client.post(reverse("voting:receipt"), {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"})
    assert b"We have no ballot with this code" in unknown.content


def test_ranking_form_needs_ranks_without_gaps(client):
    round, pot = round_with_pot(ballot_method="ranking", max_choices=3)
    a, b, c = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    url = reverse("voting:ballot", args=[pot.pk])
    response = client.post(url, {f"rank_{a}": "1", f"rank_{b}": "3"})
    assert b"without gaps" in response.content
    response = client.post(url, {f"rank_{a}": "2", f"rank_{b}": "1"})
    assert response.status_code == 200 and b"receipt-code" in response.content
    assert Ballot.objects.get().choices == [b, a]


def test_round_list_shows_public_rounds(client):
    round, _ = round_with_pot()
    page = client.get(reverse("voting:round_list", args=[round.neighbourhood.slug]))
    assert round.title.encode() in page.content


def test_round_list_links_straight_to_the_ballot_of_an_open_round(client):
    round, pot = round_with_pot()
    page = client.get(reverse("voting:round_list", args=[round.neighbourhood.slug]))
    assert reverse("voting:ballot", args=[pot.pk]).encode() in page.content


def test_list_and_ballot_pages_have_bounded_queries(client, django_assert_max_num_queries):
    round, pot = round_with_pot(costs=[100_000 + i for i in range(12)], amount_pence=10**7)
    for _ in range(5):
        round_with_pot(round.neighbourhood)
    client.force_login(resident(round.neighbourhood))
    with django_assert_max_num_queries(10):
        client.get(reverse("voting:round_list", args=[round.neighbourhood.slug]))
    with django_assert_max_num_queries(14):
        client.get(reverse("voting:ballot", args=[pot.pk]))
    with django_assert_max_num_queries(14):
        client.get(reverse("voting:round_detail", args=[round.pk]))
