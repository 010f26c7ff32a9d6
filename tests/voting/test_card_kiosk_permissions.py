"""Who may issue polling cards and run kiosks (issue 16): every role against every round state."""

from __future__ import annotations

import pytest

from tests.factories import NeighbourhoodFactory, UserFactory, resident, trustee
from tests.voting.factories import round_with_pot
from voting.models import VoteRound
from voting.permissions import can_issue_polling_cards, can_run_kiosks

pytestmark = pytest.mark.django_db

S = VoteRound.Status
CARD_STATES = {S.DRAFT, S.PUBLISHED, S.OPEN}
KIOSK_STATES = {S.PUBLISHED, S.OPEN}


@pytest.mark.parametrize("state", list(S))
def test_every_role_against_every_state(state):
    place = NeighbourhoodFactory()
    round, _ = round_with_pot(place, status=state)
    people = {
        "trustee": trustee(place),
        "trustee_without_2fa": trustee(place, mfa=False),
        "resident": resident(place),
        "stranger": UserFactory(),
        "other_trustee": trustee(NeighbourhoodFactory()),
    }
    for who, user in people.items():
        expected = who == "trustee"
        assert can_issue_polling_cards(user, round) is (expected and state in CARD_STATES), who
        assert can_run_kiosks(user, round) is (expected and state in KIOSK_STATES), who


def test_paper_only_round_has_no_cards_or_kiosks():
    place = NeighbourhoodFactory()
    round, _ = round_with_pot(place, channel_online=False, channel_paper=True)
    chair = trustee(place)
    assert not can_issue_polling_cards(chair, round)
    assert not can_run_kiosks(chair, round)
