"""Round counting options (issue 6): skip / no-skip, score threshold, points and positional
scores, Method of Equal Shares with or without completion; and the results page names them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import NeighbourhoodFactory, trustee
from tests.voting.factories import proposal_ids, round_with_pot
from voting.counting_adapter import rule_for
from voting.models import Ballot
from voting.services import round_count

pytestmark = pytest.mark.django_db


def _count(round, pot, ballots):
    for choices in ballots:
        Ballot.objects.create(round=round, pot=pot, channel="online", choices=choices)
    round_count(actor=trustee(round.neighbourhood), round=round)
    pot.refresh_from_db()
    return pot.result


def _approval_round(**options):
    # costs: a £6,000, b £5,000, c £3,000, d £1,000; pot £10,000
    round, pot = round_with_pot(
        NeighbourhoodFactory(),
        costs=(600_000, 500_000, 300_000, 100_000),
        amount_pence=1_000_000,
        ballot_method="k_approval",
        max_choices=4,
        status="closed",
        **options,
    )
    a, b, c, d = proposal_ids(pot)
    # votes: a 5, b 4, c 3, d 1
    ballots = [[a, b, c]] * 3 + [[a, b]] + [[a, d]]
    return round, pot, (a, b, c, d), ballots


def test_skip_funds_what_still_fits():
    round, pot, (a, b, c, d), ballots = _approval_round()
    assert rule_for(round).rule == "greedy"
    assert _count(round, pot, ballots).winners == sorted([a, c, d])


def test_no_skip_stops_at_the_first_that_does_not_fit():
    round, pot, (a, b, c, d), ballots = _approval_round(greedy_skip=False)
    assert rule_for(round).options["skip"] is False
    assert _count(round, pot, ballots).winners == [a]


def test_threshold_never_funds_low_scores():
    round, pot, (a, b, c, d), ballots = _approval_round(score_threshold=2)
    assert _count(round, pot, ballots).winners == sorted([a, c])


def test_ranking_uses_positional_points_k_to_1():
    round, pot = round_with_pot(
        costs=(300_000, 300_000, 300_000),
        amount_pence=300_000,
        ballot_method="ranking",
        max_choices=3,
        status="closed",
    )
    a, b, c = proposal_ids(pot)
    # ballots of length 3 give 3, 2, 1 points: a 3+1+2, b 2+3+3, c 1+2+1
    result = _count(round, pot, [[a, b, c], [b, c, a], [b, a, c]])
    assert result.scores == {str(a): "6", str(b): "8", str(c): "4"}
    assert result.winners == [b]


def test_cumulative_counts_points():
    round, pot = round_with_pot(
        costs=(300_000, 300_000), amount_pence=300_000, ballot_method="cumulative",
        points_total=5, status="closed",
    )  # fmt: skip
    a, b = proposal_ids(pot)
    result = _count(round, pot, [{str(a): 5}, {str(b): 1}, {str(b): 1}])
    assert result.winners == [a]  # 5 points beat 2 supporters


@pytest.mark.parametrize(
    "rule, expected_phrases",
    [
        ({"greedy_skip": False}, ["No skip:", "the cheaper one goes first"]),
        ({"score_threshold": 3}, ["Threshold: a proposal with a score below 3", "Skip:"]),
        ({"counting_rule": "mes_add1"}, ["Method of Equal Shares", "No completion"]),
        ({"counting_rule": "mes_add1_greedy"}, ["Method of Equal Shares", "Completion:"]),
        ({"counting_rule": "phragmen"}, ["Phragmén"]),
    ],
)
def test_results_page_explains_the_rule(rule, expected_phrases, client):
    round, pot, _, ballots = _approval_round(**rule)
    _count(round, pot, ballots)
    round.status = "results_published"
    round.save()
    page = client.get(reverse("voting:results", args=[round.pk])).content.decode()
    for phrase in expected_phrases:
        assert phrase in page
