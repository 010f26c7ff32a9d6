"""The cast's budget (issue 17, RULINGS "Votes"): at most 8 SQL statements per cast, no row
lock on the round, no audit event, and a receipt page rendered from what the cast returns.

How the statements are counted: every statement the request sends to the database, from the
first middleware to the rendered response, captured by `django_assert_max_num_queries`. The
test's own transaction turns the request's BEGIN and COMMIT into SAVEPOINT and RELEASE
SAVEPOINT; those two are the only statements left out (`_counted`). The session and the user
(or, for the API, the token and its user) are counted. The ballot paper is in the cache, as it
is for every voter but the first (a cold cache costs 3 more reads, checked separately).
"""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from tests.api.helpers import make_token, token_client
from tests.factories import resident
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot, Participation
from voting.selectors import ballot_paper

pytestmark = pytest.mark.django_db

BUDGET = 8


def _counted(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if not re.match(r"\s*(SAVEPOINT|RELEASE SAVEPOINT)\b", q["sql"], re.I)
    ]


def _check_statements(statements: list[str]) -> None:
    text = "\n".join(statements)
    assert len(statements) <= BUDGET, text
    assert "FOR UPDATE" not in text.upper(), text  # no row lock on the round (nor anything)
    assert "audit" not in text.lower(), text  # no per-ballot audit event
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 3, text  # participation, ballot, outbox row


def test_html_cast_stays_within_the_budget(client, django_assert_max_num_queries):
    round, pot = round_with_pot(costs=[100_000 + i for i in range(12)], amount_pence=10**7)
    a, b = proposal_ids(pot)[:2]
    voter = resident(round.neighbourhood)
    client.force_login(voter)
    ballot_paper(pot_id=pot.pk)  # another voter's visit filled the cache
    url = reverse("voting:ballot", args=[pot.pk])

    with django_assert_max_num_queries(BUDGET + 2) as captured:  # + SAVEPOINT, RELEASE
        response = client.post(url, {"choice": [a, b]})

    assert response.status_code == 200
    assert b'id="receipt-code"' in response.content
    _check_statements(_counted(captured))
    # session, user, the voter's standing (email, membership, header flags), 3 INSERTs
    assert len(_counted(captured)) == 6, "\n".join(_counted(captured))
    assert Participation.objects.get(pot=pot).membership.user == voter
    assert Ballot.objects.get(pot=pot).choices == sorted([a, b])


def test_api_cast_stays_within_the_budget(django_assert_max_num_queries):
    round, pot = round_with_pot()
    a, _, _ = proposal_ids(pot)
    voter = resident(round.neighbourhood)
    api = token_client(make_token(voter))
    ballot_paper(pot_id=pot.pk)
    url = reverse("api:ballot", kwargs={"pk": round.pk})

    with django_assert_max_num_queries(BUDGET + 2) as captured:
        response = api.post(url, {"pot": pot.pk, "choices": [a]}, format="json")

    assert response.status_code == 201, response.json()
    _check_statements(_counted(captured))
    # the token with its user (joined) and its last use, the standing, 3 INSERTs
    assert len(_counted(captured)) == 6, "\n".join(_counted(captured))
    assert Ballot.objects.get(pot=pot).choices == [a]


def test_a_cold_cache_costs_only_the_paper_reads(client, django_assert_max_num_queries):
    round, pot = round_with_pot()
    a, _, _ = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    cache.clear()
    with django_assert_max_num_queries(BUDGET + 2 + 3) as captured:
        response = client.post(reverse("voting:ballot", args=[pot.pk]), {"choice": [a]})
    assert b'id="receipt-code"' in response.content
    assert len(_counted(captured)) <= BUDGET + 3


def test_the_cached_paper_is_forgotten_when_the_round_changes(django_capture_on_commit_callbacks):
    from tests.factories import trustee
    from voting.services import round_close_now

    round, pot = round_with_pot()
    assert ballot_paper(pot_id=pot.pk).round.status == "open"
    with django_capture_on_commit_callbacks(execute=True):
        round_close_now(actor=trustee(round.neighbourhood), round=round)
    assert ballot_paper(pot_id=pot.pk).round.status == "closed"


def test_a_stale_cached_round_never_lets_a_ballot_in(client):
    # given a paper cached while the round was open, then the round closed behind the cache's
    # back (as if the cache had not been told: Redis was down at the time)
    round, pot = round_with_pot()
    a, _, _ = proposal_ids(pot)
    ballot_paper(pot_id=pot.pk)
    type(round).objects.filter(pk=round.pk).update(status="closed")
    client.force_login(resident(round.neighbourhood))
    # when a voter posts a ballot
    response = client.post(reverse("voting:ballot", args=[pot.pk]), {"choice": [a]})
    # then the database refuses it, and the page says the vote is not open
    assert response.status_code == 403
    assert b"not open" in response.content
    assert not Participation.objects.exists() and not Ballot.objects.exists()


def test_a_second_post_asks_for_the_receipt_code_and_changes_nothing(client):
    round, pot = round_with_pot()
    a, b, _ = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    url = reverse("voting:ballot", args=[pot.pk])
    client.post(url, {"choice": [a]})
    again = client.post(url, {"choice": [b]})
    assert again.status_code == 200
    assert b"enter the receipt code" in again.content
    assert b'name="receipt_code"' in again.content
    assert list(Ballot.objects.values_list("choices", flat=True)) == [[a]]
