"""A trustee's to-do page per neighbourhood: everything waiting for the partnership, from
every app, with a query count that does not grow with the number of items."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from communities.models import Role
from tests.factories import MembershipFactory, ProposalFactory, UserFactory
from tests.funds.factories import make_world, selected_proposal
from tests.voting.factories import VoteRoundFactory, round_with_pot
from voting.models import PaperBatch

from .factories import pending

pytestmark = pytest.mark.django_db


def _waiting(nb, n: int = 1) -> None:
    """n of each: a proposal to screen, a request to join, a paper batch keyed once, a closed
    vote, a counted vote, a certified vote."""
    closed = {
        "closes_at": timezone.now() - timedelta(hours=1),
        "opens_at": timezone.now() - timedelta(days=7),
    }
    for i in range(n):
        ProposalFactory(
            neighbourhood=nb,
            title=f"Skate park {i}",
            status="submitted",
            submitted_at=timezone.now(),
        )
        pending(nb, user=UserFactory(display_name=f"Newcomer {i}"))
        round, pot = round_with_pot(nb, title=f"Paper vote {i}", costs=(100_000,))
        PaperBatch.objects.create(
            round=round,
            pot=pot,
            event=f"Library event {i}",
            declared_count=40,
            status=PaperBatch.Status.AWAITING_SECOND,
            created_by=UserFactory(),
        )
        VoteRoundFactory(neighbourhood=nb, title=f"To count {i}", status="closed", **closed)
        VoteRoundFactory(neighbourhood=nb, title=f"To certify {i}", status="counted", **closed)
        VoteRoundFactory(neighbourhood=nb, title=f"To publish {i}", status="certified", **closed)


def test_the_todo_lists_what_waits_in_every_app(client):
    w = make_world()
    nb = w.neighbourhood
    selected_proposal(w, title="Community garden")
    _waiting(nb)
    from funds.models import JournalEntry
    from funds.services.queries import fund_query_raise

    fund_query_raise(
        actor=w.auditor,
        fund=w.fund,
        subject="Which account?",
        body="Which bank account took this tranche?",
        entry=JournalEntry.objects.filter(fund=w.fund).first(),
    )
    client.force_login(w.chair)
    html = client.get(f"/neighbourhoods/{nb.slug}/to-do/").content.decode()
    for text in [
        "Proposals to screen (1)",
        'Screen it<span class="visually-hidden">:</span> Skate park 0',
        "People waiting to join (1)",
        "Newcomer 0",
        "Paper ballots waiting for a second keying (1)",
        "Library event 0 (40 papers)",
        "Votes to count (1)",
        "Counts to certify (1)",
        "To certify 0",
        "Results to publish (1)",
        "To publish 0",
        "Money: decisions, claims, payments and queries (2)",
        "1 grant decision",
        "1 auditor&#x27;s query to answer",
        f'href="/funds/{w.fund.pk}/to-do/"',
    ]:
        assert text in html, text
    assert "/proposals/" in html and "/screen/" in html


def test_an_empty_todo_says_nothing_is_waiting(client):
    nb = make_world().neighbourhood
    client.force_login(nb.role_assignments.filter(role=Role.TRUSTEE).first().user)
    html = client.get(f"/neighbourhoods/{nb.slug}/to-do/").content.decode()
    assert "Nothing is waiting for you." in html
    assert "No proposal is waiting to be screened." in html


def test_only_trustees_see_the_todo(client):
    w = make_world()
    resident = MembershipFactory(neighbourhood=w.neighbourhood).user
    client.force_login(resident)
    assert client.get(f"/neighbourhoods/{w.neighbourhood.slug}/to-do/").status_code == 403
    assert client.get("/neighbourhoods/to-do/").status_code == 403


def test_the_header_links_trustees_to_their_todo(client):
    w = make_world()
    client.force_login(w.chair)
    html = client.get("/").content.decode()
    assert 'href="/neighbourhoods/to-do/">Your to-do' in html
    response = client.get("/neighbourhoods/to-do/")
    assert response["Location"] == f"/neighbourhoods/{w.neighbourhood.slug}/to-do/"
    resident = MembershipFactory(neighbourhood=w.neighbourhood).user
    client.force_login(resident)
    assert "Your to-do" not in client.get("/").content.decode()


def test_a_trustee_of_two_neighbourhoods_chooses(client):
    w = make_world()
    other = make_world().neighbourhood
    other.role_assignments.create(user=w.chair, role=Role.TRUSTEE)
    client.force_login(w.chair)
    html = client.get("/neighbourhoods/to-do/").content.decode()
    assert f'href="/neighbourhoods/{w.neighbourhood.slug}/to-do/"' in html
    assert f'href="/neighbourhoods/{other.slug}/to-do/"' in html


def test_query_count_does_not_grow_with_the_number_of_items(client, django_assert_num_queries):
    w = make_world()
    nb = w.neighbourhood
    client.force_login(w.chair)
    path = f"/neighbourhoods/{nb.slug}/to-do/"
    selected_proposal(w)
    _waiting(nb, 1)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    few = len(ctx.captured_queries)
    for _ in range(5):
        selected_proposal(w)
    _waiting(nb, 12)  # more than a section lists: the rest are counted
    with django_assert_num_queries(few):
        html = client.get(path).content.decode()
    assert "Proposals to screen (13)" in html
    assert "These are the first 10 of 13." in html
    assert "6 grant decisions" in html
    assert "These are the first 1 of" not in html  # the money line sums a fund, not items
