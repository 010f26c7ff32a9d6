"""Authenticated actions through the API call the same services as the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.models import Membership
from proposals.models import Comment, Proposal, Support
from tests.api.helpers import make_token, token_client
from tests.factories import NeighbourhoodFactory, ProposalFactory, UserFactory, resident
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot, Participation

pytestmark = pytest.mark.django_db


def test_join_creates_a_pending_membership():
    nb = NeighbourhoodFactory()
    user = UserFactory()
    api = token_client(make_token(user))
    response = api.post(
        reverse("api:join", kwargs={"slug": nb.slug}),
        {"connection": "lives", "age_band": "25_34", "postcode": "HP1 1AA"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert Membership.objects.get(user=user, neighbourhood=nb).status == "pending"


def test_draft_submit_withdraw():
    nb = NeighbourhoodFactory()
    user = resident(nb)
    api = token_client(make_token(user))
    created = api.post(
        reverse("api:proposals", kwargs={"slug": nb.slug}),
        {
            "title": "Benches",
            "summary": "Three benches by the pond",
            "description": "Somewhere to sit.",
            "theme": Proposal._meta.get_field("theme").choices[0][0],
            "cost_lines": [{"description": "Benches", "amount_pence": 90000}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    pk = created.json()["id"]
    kwargs = {"slug": nb.slug, "pk": pk}
    submitted = api.post(reverse("api:proposal-submit", kwargs=kwargs), format="json")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["status"] == "submitted"
    again = api.post(reverse("api:proposal-submit", kwargs=kwargs), format="json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    withdrawn = api.post(
        reverse("api:proposal-withdraw", kwargs=kwargs), {"reason": "changed mind"}, format="json"
    )
    assert withdrawn.json()["status"] == "withdrawn"
    assert [h["to_status"] for h in withdrawn.json()["history"]][-1] == "withdrawn"


def test_support_and_comment():
    proposal = ProposalFactory()
    user = resident(proposal.neighbourhood)
    api = token_client(make_token(user))
    kwargs = {"slug": proposal.neighbourhood.slug, "pk": proposal.pk}
    assert api.post(reverse("api:proposal-support", kwargs=kwargs)).status_code == 200
    assert Support.objects.filter(user=user, proposal=proposal).exists()
    assert api.post(reverse("api:proposal-support", kwargs=kwargs)).status_code == 409
    assert api.delete(reverse("api:proposal-support", kwargs=kwargs)).status_code == 200
    commented = api.post(
        reverse("api:proposal-comment", kwargs=kwargs), {"body": "Good idea"}, format="json"
    )
    assert commented.status_code == 201
    assert Comment.objects.get(proposal=proposal).body == "Good idea"


def test_cast_per_pot_change_with_code_and_look_up_the_receipt(django_assert_max_num_queries):
    round, pot = round_with_pot()
    voter = resident(round.neighbourhood)
    api = token_client(make_token(voter))
    a, b, _ = proposal_ids(pot)
    url = reverse("api:ballot", kwargs={"pk": round.pk})
    cast = api.post(url, {"pot": pot.pk, "choices": [a, b]}, format="json")
    assert cast.status_code == 201, cast.json()
    code = cast.json()["receipt_code"]
    assert cast["Cache-Control"] == "no-store"
    changed = api.post(url, {"pot": pot.pk, "choices": [b], "receipt_code": code}, format="json")
    assert changed.status_code == 201 and changed.json()["changed"] is True
    assert Ballot.objects.get(pot=pot).choices == [b]
    assert Participation.objects.filter(pot=pot).count() == 1
    looked = api.post(reverse("api:receipt-lookup"), {"code": code}, format="json")
    assert looked.status_code == 200 and looked.json()["counted"] is False
    unknown = api.post(
        reverse("api:receipt-lookup"), {"code": "AAAA-AAAA-AAAA-AAAA"}, format="json"
    )
    assert unknown.status_code == 404


def test_cast_refusals_are_4xx_and_change_nothing():
    round, pot = round_with_pot()
    other_round, other_pot = round_with_pot(round.neighbourhood)
    voter = resident(round.neighbourhood)
    api = token_client(make_token(voter))
    a, _, _ = proposal_ids(pot)
    url = reverse("api:ballot", kwargs={"pk": round.pk})
    cases = [
        ({"pot": other_pot.pk, "choices": [a]}, 404),  # a pot of another round
        ({"pot": pot.pk, "choices": "everything"}, 400),
        ({"pot": pot.pk, "choices": [a], "extra": 1}, 400),  # unknown field
        ({"pot": "one", "choices": [a]}, 400),
        ({"pot": pot.pk, "choices": [10**30]}, 400),
    ]
    for body, expected in cases:
        response = api.post(url, body, format="json")
        assert response.status_code == expected, (body, response.json())
        assert set(response.json()["error"]) == {"code", "message", "fields"}
    outsider = token_client(make_token(UserFactory()))
    assert outsider.post(url, {"pot": pot.pk, "choices": [a]}, format="json").status_code == 403
    assert not Participation.objects.exists()
    assert not Ballot.objects.exists()


def test_anonymous_actions_are_401():
    round, pot = round_with_pot()
    from rest_framework.test import APIClient

    response = APIClient().post(
        reverse("api:ballot", kwargs={"pk": round.pk}),
        {"pot": pot.pk, "choices": []},
        format="json",
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
