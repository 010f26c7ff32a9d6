"""Turnout by channel (issue 16): voters per channel against eligible members and the area's
population, each voter once however many pots, counts under 5 hidden (RULINGS)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, NeighbourhoodFactory, trustee
from tests.voting.factories import round_with_pot
from voting.models import Participation, Pot
from voting.turnout import round_turnout

pytestmark = pytest.mark.django_db


def _voters(round, pots, channel, n, *, members=False):
    """n people who voted by `channel` in every pot (rows as the services write them)."""
    for i in range(n):
        membership = MembershipFactory(neighbourhood=round.neighbourhood) if members else None
        for pot in pots:
            Participation.objects.create(
                round=round,
                pot=pot,
                membership=membership,
                in_person_key="" if members else f"{channel}-{i}".ljust(64, "0"),
                channel=channel,
                recorded_by=trustee(round.neighbourhood) if channel == "paper" else None,
            )


@pytest.fixture
def round_two_pots():
    place = NeighbourhoodFactory(population_estimate=8000)
    round, pot = round_with_pot(place, channel_paper=True)
    second = Pot.objects.create(round=round, name="Second", amount_pence=100)
    return round, [pot, second]


def _table(turnout):
    return {r.label: (r.count, r.of_members, r.of_population) for r in turnout.rows}


def test_each_voter_counts_once_per_channel_and_small_counts_are_hidden(round_two_pots):
    round, pots = round_two_pots
    _voters(round, pots, "online", 6, members=True)
    _voters(round, pots, "card", 7)
    _voters(round, pots, "kiosk", 0)
    _voters(round, pots, "paper", 2)
    # more members who did not vote (the paper rows' trustees are members too)
    for _ in range(14):
        MembershipFactory(neighbourhood=round.neighbourhood)
    turnout = round_turnout(round)
    table = _table(turnout)
    assert table["Online"][0] == "6"
    assert table["Polling card"][0] == "7"
    assert table["Kiosk"][0] == "fewer than 5"
    assert table["Paper"][0] == "fewer than 5"
    assert turnout.total.count == "15"
    assert table["Online"][1] == f"{100 * 6 / turnout.eligible_members:.1f}%"
    assert table["Polling card"][2] == f"{100 * 7 / 8000:.1f}%"
    assert table["Kiosk"][1] == ""


def test_a_lone_hidden_channel_hides_the_next_smallest_too(round_two_pots):
    round, pots = round_two_pots
    _voters(round, pots, "online", 6, members=True)
    _voters(round, pots, "card", 7)
    _voters(round, pots, "kiosk", 5)
    _voters(round, pots, "paper", 2)
    table = _table(round_turnout(round))
    assert table["Paper"][0] == "fewer than 5"
    # else 20 - 6 - 7 - 5 would give paper away
    assert table["Kiosk"][0] == "hidden"
    assert table["Online"][0] == "6"


def test_without_population_estimate_the_page_says_so(client, round_two_pots):
    round, pots = round_two_pots
    round.neighbourhood.population_estimate = None
    round.neighbourhood.save()
    chair = trustee(round.neighbourhood)
    _voters(round, pots, "card", 5)
    client.force_login(chair)
    page = client.get(reverse("voting:round_detail", args=[round.pk])).content.decode()
    assert "Who voted, and how" in page
    assert "no population estimate" in page
    assert round_turnout(round).rows[1].of_population == ""


def test_the_public_round_page_shows_no_turnout_table(client, round_two_pots):
    round, pots = round_two_pots
    _voters(round, pots, "card", 5)
    page = client.get(reverse("voting:round_detail", args=[round.pk])).content.decode()
    assert "Who voted, and how" not in page
