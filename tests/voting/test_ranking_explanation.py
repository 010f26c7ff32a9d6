"""The ranking explanation matches the engine: each ballot scores by its own length (a ballot
ranking n proposals gives n, n-1, ..., 1), on the results page and on the ballot page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import resident
from tests.voting.factories import round_with_pot
from voting.counting_adapter import build_election
from voting.models import BallotMethod
from voting.selectors import ranking_points_text, rule_explanation

pytestmark = pytest.mark.django_db


def test_explanation_says_each_ballot_scores_by_its_own_length():
    round, pot = round_with_pot(ballot_method=BallotMethod.RANKING, max_choices=3)
    text = " ".join(rule_explanation(round))
    assert "first on a ballot of 3 gets 3 points" not in text
    assert "a ballot ranking 3 proposals gives 3, 2 and 1 points" in text
    assert "a ballot ranking just 1 gives it 1 point" in text


def test_engine_scores_as_the_explanation_says():
    round, pot = round_with_pot(ballot_method=BallotMethod.RANKING, max_choices=3)
    items = [(i.proposal_id, i.cost_pence, "t") for i in pot.items.all()]
    a, b, c = (i[0] for i in items)
    election = build_election(
        round=round, budget_pence=pot.amount_pence, items=items, ballots=[[a], [b, c]]
    )
    # a ballot ranking only 1 proposal gives it 1 point, not max_choices
    assert election.positional_scores() == {str(a): 1, str(b): 2, str(c): 1}


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
