"""The ranking explanation matches the engine: ranks score k, k-1, ..., 1 against the round's k
(a ballot ranking one proposal gives it k points), on the results page and on the ballot page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import resident
from tests.voting.factories import round_with_pot
from voting.counting_adapter import build_election
from voting.models import BallotMethod
from voting.selectors import ranking_points_text, rule_explanation

pytestmark = pytest.mark.django_db


def test_explanation_says_ranks_score_against_the_rounds_k():
    round, pot = round_with_pot(ballot_method=BallotMethod.RANKING, max_choices=3)
    text = " ".join(rule_explanation(round))
    assert "The proposal ranked first gets 3 points" in text
    assert "a ballot ranking just 1 proposal gives it 3 points" in text


def test_engine_scores_as_the_explanation_says():
    round, pot = round_with_pot(ballot_method=BallotMethod.RANKING, max_choices=3)
    items = [(i.proposal_id, i.cost_pence, "t") for i in pot.items.all()]
    a, b, c = (i[0] for i in items)
    election = build_election(
        round=round, budget_pence=pot.amount_pence, items=items, ballots=[[a], [b, c]]
    )
    # a ballot ranking only 1 proposal gives it the round's k = 3 points, not 1
    assert election.positional_scores() == {str(a): 3, str(b): 3, str(c): 2}


def test_ballot_page_explains_ranking_points(client):
    round, pot = round_with_pot(ballot_method=BallotMethod.RANKING, max_choices=3)
    client.force_login(resident(round.neighbourhood))
    page = client.get(reverse("voting:ballot", args=[pot.pk])).content.decode()
    assert "How rankings are counted" in page
    assert ranking_points_text(round) in page.replace("&#x27;", "'")


def test_ballot_page_has_no_ranking_text_for_other_methods(client):
    round, pot = round_with_pot()
    client.force_login(resident(round.neighbourhood))
    page = client.get(reverse("voting:ballot", args=[pot.pk])).content.decode()
    assert "How rankings are counted" not in page
