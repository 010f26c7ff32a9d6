"""The round form bounds its numbers with clear messages: how many proposals a voter chooses
(no more than the ballot holds, at most 50), the points to share out and the score threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import NeighbourhoodFactory, ProposalFactory
from voting.forms import RoundForm

pytestmark = pytest.mark.django_db


def _form(**over):
    place = NeighbourhoodFactory()
    proposals = [
        ProposalFactory(neighbourhood=place, status="shortlisted", cost_pence=100_000)
        for _ in range(3)
    ]
    now = timezone.now()
    data = {
        "title": "Spring vote",
        "opens_at": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "ballot_method": "k_approval",
        "counting_rule": "greedy",
        "eligible_connections": ["lives"],
        "channel_online": "on",
        "pot_name": "Main pot",
        "pot_amount": "10000",
        "proposals": [str(p.pk) for p in proposals],
        "max_choices": "2",
        "min_spend_percent": "0",
    }
    data.update(over)
    return RoundForm(data, neighbourhood=place)


def test_sensible_options_are_accepted():
    form = _form(score_threshold="10")
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        (
            {"max_choices": "4"},
            "max_choices",
            "more proposals (4) than there are on the ballot (3)",
        ),
        ({"max_choices": "40000"}, "max_choices", "at most 50 proposals"),
        ({"max_choices": "0"}, "max_choices", "at least 1 proposal"),
        (
            {"ballot_method": "cumulative", "points_total": "99999999"},
            "points_total",
            "at most 1,000 points",
        ),
        ({"ballot_method": "cumulative", "points_total": "0"}, "points_total", "at least 1 point"),
        ({"score_threshold": "99999999999"}, "score_threshold", "at most 10,000,000"),
        ({"score_threshold": "-1"}, "score_threshold", "cannot be below 0"),
    ],
)
def test_out_of_range_numbers_are_refused_with_a_clear_message(over, field, message):
    form = _form(**over)
    assert not form.is_valid()
    assert any(message in error for error in form.errors[field]), form.errors
