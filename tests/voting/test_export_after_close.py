"""Ballots are exported as open data only once the round has closed: never interim results."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from config.errors import StateError
from tests.factories import resident
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import VoteRound
from voting.services import ballot_cast, round_export_pabulib

pytestmark = pytest.mark.django_db

S = VoteRound.Status


@pytest.mark.parametrize("status", [S.DRAFT, S.PUBLISHED, S.OPEN, S.ANNULLED])
def test_export_refused_before_close(status, tmp_path):
    round, pot = round_with_pot()
    ballot_cast(actor=resident(round.neighbourhood), pot=pot, choices=proposal_ids(pot)[:1])
    VoteRound.objects.filter(pk=round.pk).update(status=status)
    round.refresh_from_db()
    with pytest.raises(StateError, match="only after it has closed"):
        round_export_pabulib(round=round)
    out = tmp_path / "round.pb"
    with pytest.raises(CommandError, match="only after it has closed"):
        call_command("export_pb", str(round.pk), "--output", str(out))
    assert not out.exists()


@pytest.mark.parametrize("status", [S.CLOSED, S.COUNTED, S.CERTIFIED, S.RESULTS_PUBLISHED])
def test_export_allowed_once_closed(status, tmp_path):
    round, pot = round_with_pot()
    ballot_cast(actor=resident(round.neighbourhood), pot=pot, choices=proposal_ids(pot)[:1])
    VoteRound.objects.filter(pk=round.pk).update(status=status)
    round.refresh_from_db()
    assert "VOTES" in round_export_pabulib(round=round)
    out = tmp_path / "round.pb"
    call_command("export_pb", str(round.pk), "--output", str(out))
    assert "VOTES" in out.read_text()
