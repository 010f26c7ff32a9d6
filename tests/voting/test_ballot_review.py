"""The ballot's review step (issue 13): fill in -> check -> cast, without JavaScript; over-budget
is refused at the review with the overspend named; links to each proposal; amounts in £."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import resident
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot, Participation

pytestmark = pytest.mark.django_db


def _url(pot):
    return reverse("voting:ballot", args=[pot.pk])


def _hidden(content: bytes) -> list[tuple[str, str]]:
    return re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', content.decode())


def test_review_lists_choices_and_total_and_casts_nothing(client):
    round, pot = round_with_pot(costs=(300_000, 400_000, 500_000), amount_pence=1_000_000)
    a, b, c = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    page = client.post(_url(pot), {"choice": [a, c], "step": "review"})
    body = page.content.decode()
    assert page.status_code == 200 and "Check your vote" in body
    titles = {i.proposal_id: i.proposal.title for i in pot.items.select_related("proposal")}
    assert titles[a] in body and titles[c] in body and titles[b] not in body
    assert "Total: <strong>£8,000</strong> of £10,000 (£2,000 left in the pot)" in body
    assert 'name="step" value="cast"' in body and 'name="step" value="change"' in body
    assert sorted(v for n, v in _hidden(page.content) if n == "choice") == sorted([str(a), str(c)])
    assert not Ballot.objects.exists() and not Participation.objects.exists()


def test_cast_from_the_review_records_exactly_the_reviewed_ballot(client):
    round, pot = round_with_pot()
    a, _, c = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    review = client.post(_url(pot), {"choice": [a, c], "step": "review"})
    carried = {}
    for name, value in _hidden(review.content):
        carried.setdefault(name, []).append(value)
    carried.pop("csrfmiddlewaretoken", None)
    receipt = client.post(_url(pot), {**carried, "step": "cast"})
    assert b'id="receipt-code"' in receipt.content
    assert list(Ballot.objects.values_list("choices", flat=True)) == [sorted([a, c])]


def test_change_brings_back_the_filled_in_ballot_with_the_server_total(client):
    round, pot = round_with_pot(costs=(300_000, 400_000, 500_000), amount_pence=1_000_000)
    a, b, _ = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    page = client.post(_url(pot), {"choice": [a, b], "step": "change"}).content.decode()
    assert re.search(rf'value="{a}" id="choice-{a}" data-cost="\d+" checked', page)
    assert re.search(rf'value="{b}" id="choice-{b}" data-cost="\d+" checked', page)
    assert "You have chosen £7,000 of £10,000." in page
    assert "error-summary" not in page
    assert not Ballot.objects.exists()


def test_over_budget_is_refused_at_review_naming_the_overspend(client):
    round, pot = round_with_pot(costs=(600_000, 640_000), amount_pence=1_000_000)
    client.force_login(resident(round.neighbourhood))
    page = client.post(_url(pot), {"choice": proposal_ids(pot), "step": "review"})
    body = page.content.decode()
    assert "Check your vote" not in body and 'class="error-summary"' in body
    assert "You have chosen £12,400 of £10,000: £2,400 more than the pot." in body
    # the ballot comes back ticked, with the running total saying the same without JavaScript
    assert "That is £2,400 more than the pot: remove a proposal." in body
    assert not Ballot.objects.exists()


def test_points_and_ranking_reviews_say_what_each_proposal_gets(client):
    round, pot = round_with_pot(ballot_method="cumulative", points_total=10)
    a, b, _ = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    body = client.post(
        _url(pot), {f"points_{a}": "7", f"points_{b}": "1", "step": "review"}
    ).content.decode()
    titles = {i.proposal_id: i.proposal.title for i in pot.items.select_related("proposal")}
    assert f"{titles[a]}</strong>: 7 points<" in body
    assert f"{titles[b]}</strong>: 1 point<" in body  # singular

    round, pot = round_with_pot(ballot_method="ranking", max_choices=3)
    a, b, c = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    body = client.post(
        _url(pot), {f"rank_{a}": "2", f"rank_{b}": "1", "step": "review"}
    ).content.decode()
    titles = {i.proposal_id: i.proposal.title for i in pot.items.select_related("proposal")}
    assert body.index(titles[b]) < body.index(titles[a])
    assert f"{titles[b]}</strong>: 1st choice" in body
    assert f"{titles[a]}</strong>: 2nd choice" in body


def test_changing_a_ballot_carries_the_receipt_code_through_the_review(client):
    round, pot = round_with_pot()
    a, b, _ = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    first = client.post(_url(pot), {"choice": [a], "step": "cast"})
    code = re.search(rb'id="receipt-code">([A-Z0-9-]+)<', first.content).group(1).decode()
    review = client.post(_url(pot), {"choice": [b], "receipt_code": code, "step": "review"})
    assert ("receipt_code", code) in _hidden(review.content)
    assert b"Cast my new ballot" in review.content
    client.post(_url(pot), {"choice": [b], "receipt_code": code, "step": "cast"})
    assert list(Ballot.objects.values_list("choices", flat=True)) == [[b]]


def test_each_proposal_links_to_its_full_page_and_the_total_stays_in_view(client):
    round, pot = round_with_pot()
    client.force_login(resident(round.neighbourhood))
    body = client.get(_url(pot)).content.decode()
    for pid in proposal_ids(pot):
        assert reverse("proposals:detail", args=[round.neighbourhood.slug, pid]) in body
    # the total and the next button sit in the sticky bar (static/css/site.css .ballot-bar)
    bar = body[body.index('class="ballot-bar"') :]
    assert bar.index('id="running-total"') < bar.index('value="review"')
    assert "You have chosen £0 of £10,000." in bar
    assert "GBP" not in body


def test_review_adds_no_query_beyond_the_ballot_page(client, django_assert_max_num_queries):
    round, pot = round_with_pot(costs=[100_000 + i for i in range(12)], amount_pence=10**7)
    client.force_login(resident(round.neighbourhood))
    ids = proposal_ids(pot)
    with django_assert_max_num_queries(14):
        client.post(_url(pot), {"choice": ids[:3], "step": "review"})
