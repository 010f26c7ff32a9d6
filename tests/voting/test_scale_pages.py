"""Issue 17: the paper desk and the round page run the same number of queries for a small and
a larger vote (no query per ballot, batch or proposal), and the desk's batches are paginated.

Rows are written in bulk with the fields the services would write (paper participations name
who marked them; paper ballots belong to a batch), so the pages read what production keeps.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import ConflictDeclaration
from tests.factories import MembershipFactory, UserFactory, trustee
from tests.voting.factories import round_with_pot
from voting.models import Ballot, Certification, Channel, PaperBatch, Participation, PotResult

pytestmark = pytest.mark.django_db


def _paper_vote(*, voters: int, batches: int, proposals: int = 3, status="open"):
    """A paper round with `voters` members marked at the desk and `voters` paper ballots keyed
    in `batches` agreed batches, plus as many online voters and ballots."""
    round, pot = round_with_pot(
        costs=[100_000 + i for i in range(proposals)], channel_paper=True, status=status
    )
    place = round.neighbourhood
    chair = trustee(place)
    members = [MembershipFactory(neighbourhood=place) for _ in range(2 * voters)]
    choice = list(pot.items.values_list("proposal_id", flat=True)[:1])
    Participation.objects.bulk_create(
        Participation(
            round=round,
            pot=pot,
            membership=m,
            channel=Channel.PAPER if i < voters else Channel.ONLINE,
            recorded_by=chair if i < voters else None,
            age_band=m.age_band,
        )
        for i, m in enumerate(members)
    )
    made = PaperBatch.objects.bulk_create(
        PaperBatch(
            round=round,
            pot=pot,
            event=f"Community centre, session {b + 1}",
            declared_count=voters // batches,
            status=PaperBatch.Status.AGREED,
            created_by=chair,
        )
        for b in range(batches)
    )
    Ballot.objects.bulk_create(
        Ballot(
            round=round,
            pot=pot,
            channel=Channel.PAPER if i < voters else Channel.ONLINE,
            choices=choice,
            paper_batch=made[i % batches] if i < voters else None,
        )
        for i in range(2 * voters)
    )
    return round, pot, chair


def _queries(client, url) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_paper_desk_counts_marked_voters_and_ballots_per_pot_in_bounded_queries(
    client, django_assert_num_queries
):
    # given a small paper vote and one with 30 times the voters, ballots and batches
    small, small_pot, small_chair = _paper_vote(voters=4, batches=2)
    large, large_pot, large_chair = _paper_vote(voters=120, batches=60)
    client.force_login(small_chair)
    few, response = _queries(client, reverse("voting:paper", args=[small.pk]))
    assert response.context["tally"] == [{"pot": small_pot, "marked": 4, "keyed": 4}]
    client.force_login(large_chair)
    # when the desks are shown, then the count is the same for both
    many, response = _queries(client, reverse("voting:paper", args=[large.pk]))
    assert few == many
    # and pinned: the tally is one grouped count per table, the batches one page of rows (and
    # the header's to-do link)
    with django_assert_num_queries(13):
        client.get(reverse("voting:paper", args=[large.pk]))
    # and the tally counts each paper voter and each paper ballot once (online ones not at all)
    assert response.context["tally"] == [{"pot": large_pot, "marked": 120, "keyed": 120}]
    html = response.content.decode()
    assert '<td class="num">120</td><td class="num">120</td>' in html


def test_paper_desk_batches_are_paginated(client):
    round, _, chair = _paper_vote(voters=60, batches=60)
    client.force_login(chair)
    url = reverse("voting:paper", args=[round.pk])
    first = client.get(url)
    page = first.context["batches"]
    assert page.paginator.count == 60 and len(page.object_list) == 25
    html = first.content.decode()
    assert "Community centre, session 1<" in html and "session 26<" not in html
    assert 'href="?page=2#batches" rel="next"' in html
    third = client.get(url, {"page": 3}).content.decode()
    assert "session 60<" in third and "session 1<" not in third
    assert "Page 3 of 3" in third
    # a page number that is not one shows the first page, not an error
    assert client.get(url, {"page": "x"}).context["batches"].number == 1


def _counted_vote(proposals: int):
    """A counted round whose ballot has `proposals` proposals, each with a linked trustee
    (other than the one looking) and a declared conflict by someone else."""
    round, pot = round_with_pot(costs=[50_000 + i for i in range(proposals)], status="counted")
    place = round.neighbourhood
    viewer = trustee(place)
    others = [UserFactory() for _ in range(3)]
    ids = []
    for i, item in enumerate(pot.items.select_related("proposal")):
        item.proposal.linked_trustees.add(others[i % 3])
        ids.append(item.proposal_id)
        ConflictDeclaration.objects.create(
            user=others[(i + 1) % 3],
            neighbourhood=place,
            object_type="proposals.proposal",
            object_id=str(item.proposal_id),
            reason="Neighbour",
        )
    PotResult.objects.create(
        pot=pot,
        rule="greedy",
        winners=ids[:2],
        scores={str(i): "1" for i in ids},
        total_cost_pence=100_001,
        ballots_counted=10,
    )
    Certification.objects.create(round=round, trustee=trustee(place))
    return round, viewer


def test_round_page_of_a_counted_round_costs_the_same_for_3_or_60_proposals(
    client, django_assert_num_queries
):
    small, small_viewer = _counted_vote(3)
    large, large_viewer = _counted_vote(60)
    client.force_login(small_viewer)
    few, response = _queries(client, reverse("voting:round_detail", args=[small.pk]))
    assert response.context["can_certify"] is True
    client.force_login(large_viewer)
    many, response = _queries(client, reverse("voting:round_detail", args=[large.pk]))
    assert few == many
    assert response.context["can_certify"] is True
    # pinned (it was 2 more per proposal: 212 for a ballot of about 100); with the header's
    # to-do link, the turnout by channel (eligible members, population, voters per channel)
    # and the round's latest count job (its progress while a worker counts)
    with django_assert_num_queries(16):
        client.get(reverse("voting:round_detail", args=[large.pk]))


@pytest.mark.parametrize("how", ["proposer", "linked", "declared"])
def test_round_page_still_refuses_a_conflicted_trustee_with_one_query(client, how):
    round, viewer = _counted_vote(40)
    proposal = round.pots.get().items.order_by("number").last().proposal
    if how == "proposer":
        proposal.proposer = viewer
        proposal.save(update_fields=["proposer"])
    elif how == "linked":
        proposal.linked_trustees.add(viewer)
    else:
        ConflictDeclaration.objects.create(
            user=viewer,
            neighbourhood=round.neighbourhood,
            object_type="proposals.proposal",
            object_id=str(proposal.pk),
            reason="My sister runs it",
        )
    client.force_login(viewer)
    response = client.get(reverse("voting:round_detail", args=[round.pk]))
    assert response.context["can_certify"] is False
    assert response.context["can_annul"] is False
    assert "Certify the count" not in response.content.decode()


def test_rounds_list_is_paginated_with_the_same_queries_for_3_or_45_rounds(client):
    from datetime import timedelta

    from django.utils import timezone

    from tests.factories import NeighbourhoodFactory
    from voting.models import VoteRound

    counts = []
    for how_many in (3, 45):
        place = NeighbourhoodFactory()
        start = timezone.now() - timedelta(days=1000)
        VoteRound.objects.bulk_create(
            VoteRound(
                neighbourhood=place,
                title=f"Vote number {i}",
                status="results_published",
                ballot_method="knapsack",
                counting_rule="greedy",
                eligible_connections=["lives"],
                opens_at=start + timedelta(days=10 * i),
                closes_at=start + timedelta(days=10 * i + 5),
            )
            for i in range(how_many)
        )
        url = reverse("voting:round_list", args=[place.slug])
        queries, response = _queries(client, url)
        counts.append(queries)
    assert counts[0] == counts[1]
    page = response.context["rounds"]
    assert page.paginator.count == 45 and len(page.object_list) == 20
    html = response.content.decode()
    assert "Vote number 44<" in html and "Vote number 24<" not in html  # newest first
    assert "Page 1 of 3" in html
    last = client.get(url, {"page": 3}).content.decode()
    assert "Vote number 0<" in last and "Vote number 44<" not in last
