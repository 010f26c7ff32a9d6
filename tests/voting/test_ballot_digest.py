"""The ballot-set digest (RULINGS, Votes): at close each pot's ballots get a SHA-256 over the
sorted canonical ballots, written to the audit trail, shown on the results page and in the .pb
META; anyone can recompute it from the published file. Ballots added after close (paper batches
agreed later) are covered by recomputing at count."""

from __future__ import annotations

import hashlib
import subprocess
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import trustee
from tests.voting.factories import proposal_ids, round_with_pot
from voting.counting import Election, write_pabulib
from voting.counting.digest import ballot_lines, ballots_digest, pabulib_ballots_digest
from voting.models import Ballot, BallotMethod, Channel, VoteRound
from voting.services import (
    round_close,
    round_count,
    round_export_pabulib,
    round_publish_results,
)

S = VoteRound.Status


def _election(vote_type, ballots):
    return Election.from_ballots(
        budget=100,
        projects=[("1", 10), ("2", 20), ("12", 30)],
        vote_type=vote_type,
        ballots=ballots,
    )


def test_the_digest_is_sha256_over_the_sorted_vote_lines():
    election = _election("approval", [{"2", "1"}, {"12"}, {"1"}])
    lines = ballot_lines(election)
    assert lines == sorted(lines) and len(lines) == 3
    expected = hashlib.sha256("".join(f"{line}\n" for line in lines).encode()).hexdigest()
    assert ballots_digest(election) == (expected, 3)


def test_the_order_of_voting_does_not_change_the_digest_and_a_changed_ballot_does():
    ballots = [{"1"}, {"2", "12"}, {"1", "2"}, {"1"}]
    assert ballots_digest(_election("approval", ballots)) == ballots_digest(
        _election("approval", list(reversed(ballots)))
    )
    assert (
        ballots_digest(_election("approval", ballots))[0]
        != ballots_digest(_election("approval", [*ballots[:-1], {"2"}]))[0]
    )


@pytest.mark.parametrize(
    "vote_type, ballots",
    [
        ("cumulative", [{"1": 3, "12": 2}, {"2": 5}]),
        ("ordinal", [["12", "1"], ["1", "12"]]),  # the ranking order is part of the ballot
    ],
)
def test_points_and_rankings_are_in_the_canonical_line(vote_type, ballots):
    swapped = (
        [{"1": 2, "12": 3}, {"2": 5}] if vote_type == "cumulative" else [["12", "1"], ["12", "1"]]
    )
    assert (
        ballots_digest(_election(vote_type, ballots))[0]
        != (ballots_digest(_election(vote_type, swapped))[0])
    )


def _closed_with_ballots(n=12, **kwargs):
    now = timezone.now()
    round, pot = round_with_pot(
        status=S.OPEN, opens_at=now - timedelta(days=2), closes_at=now - timedelta(days=1), **kwargs
    )
    ids = proposal_ids(pot)
    for i in range(n):
        choices = {str(ids[i % 3]): 1 + i % 4} if kwargs else [ids[i % 3]]
        Ballot.objects.create(round=round, pot=pot, channel=Channel.ONLINE, choices=choices)
    assert round_close(round=round) is True
    round.refresh_from_db()
    pot.refresh_from_db()
    return round, pot


@pytest.mark.django_db
@pytest.mark.parametrize(
    "options", [{}, {"ballot_method": BallotMethod.CUMULATIVE, "points_total": 10}]
)
def test_closing_digests_each_pot_and_the_pb_file_recomputes_it(options):
    # given a round closed with 12 ballots
    round, pot = _closed_with_ballots(**options)
    # then its pot has a digest, in the audit trail too
    assert pot.ballots_digested == 12 and len(pot.ballots_sha256) == 64
    assert round.ballots_digested_at is not None
    event = AuditEvent.objects.get(action="voting.ballots_digested")
    assert event.changes["stage"] == "close"
    assert event.changes["pots"] == {str(pot.pk): {"sha256": pot.ballots_sha256, "ballots": 12}}
    # and the published .pb names it in META, and recomputes to it from its VOTES
    text = round_export_pabulib(round=round, pot=pot)
    assert f"ballots_sha256;{pot.ballots_sha256}" in text.splitlines()
    assert pabulib_ballots_digest(text) == (pot.ballots_sha256, 12)


@pytest.mark.django_db
def test_a_tampered_ballot_no_longer_matches_the_published_digest():
    round, pot = _closed_with_ballots()
    ballot = Ballot.objects.filter(pot=pot).first()
    ballot.choices = [proposal_ids(pot)[2]] if ballot.choices != [proposal_ids(pot)[2]] else []
    ballot.save()
    text = round_export_pabulib(round=round, pot=pot)
    assert pabulib_ballots_digest(text)[0] != pot.ballots_sha256


@pytest.mark.django_db
def test_ballots_added_after_close_are_digested_again_at_count():
    # given a closed round, then paper ballots agreed after the close
    round, pot = _closed_with_ballots()
    first = pot.ballots_sha256
    Ballot.objects.create(
        round=round, pot=pot, channel=Channel.PAPER, choices=[proposal_ids(pot)[0]]
    )
    # when it is counted
    chair = trustee(round.neighbourhood)
    round_count(actor=chair, round=round)
    # then the digest covers the 13 ballots counted, and the change is in the audit trail
    pot.refresh_from_db()
    assert pot.ballots_digested == 13 and pot.ballots_sha256 != first
    events = AuditEvent.objects.filter(action="voting.ballots_digested").order_by("seq")
    assert [e.changes["stage"] for e in events] == ["close", "count"]
    assert events.last().actor == chair
    assert pot.result.ballots_counted == pot.ballots_digested


@pytest.mark.django_db
def test_counting_unchanged_ballots_writes_no_second_digest():
    round, pot = _closed_with_ballots()
    round_count(actor=trustee(round.neighbourhood), round=round)
    assert AuditEvent.objects.filter(action="voting.ballots_digested").count() == 1


@pytest.mark.django_db
def test_the_results_page_shows_the_digest(client):
    round, pot = _closed_with_ballots()
    chair = trustee(round.neighbourhood)
    round_count(actor=chair, round=round)
    VoteRound.objects.filter(pk=round.pk).update(status=S.CERTIFIED)
    round_publish_results(actor=chair, round=round)
    response = client.get(reverse("voting:results", args=[round.pk]))
    page = response.content.decode()
    assert pot.ballots_sha256 in page
    assert "Fingerprint of the 12 ballots counted" in page


@pytest.mark.parametrize(
    "vote_type, ballots",
    [
        ("approval", [{"2", "1"}, {"12"}, {"1"}, {"12", "2"}]),
        ("cumulative", [{"1": 3, "12": 2}, {"2": 5}, {"1": 1}]),
        ("ordinal", [["12", "1"], ["1", "12"], ["2"]]),
    ],
)
def test_the_shell_recipe_in_the_docs_gives_the_same_digest(tmp_path, vote_type, ballots):
    election = _election(vote_type, ballots)
    path = tmp_path / "ballots.pb"
    path.write_text(write_pabulib(election))
    recipe = (  # docs/voting.md, "Ballot digest"
        f"sed -n '/^VOTES$/,$p' {path} | tail -n +3 | cut -d';' -f2- | LC_ALL=C sort | sha256sum"
    )
    out = subprocess.run(recipe, shell=True, capture_output=True, text=True, check=True).stdout
    assert out.split()[0] == ballots_digest(election)[0]
