"""Issue 17: the fund page, the grant page and the claim page cost the same queries however
many grants, claims, tranches and items they list, and their lists are cut into pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from funds import services
from funds.models import Grant
from funds.services import TrancheSpec

from .factories import grant, item
from .test_scale_queue import _get

pytestmark = pytest.mark.django_db


def test_fund_page_costs_the_same_queries_for_2_or_22_grants(
    client, world, django_assert_num_queries
):
    url = reverse("funds:fund", args=[world.fund.pk])
    for _ in range(2):
        grant(world, amount_pence=10_000, activate=False)
    client.force_login(world.auditor)
    few, response = _get(client, url)
    assert response.context["grants"].paginator.count == 2
    for _ in range(20):
        grant(world, amount_pence=10_000, activate=False)
    many, response = _get(client, url)
    assert few == many
    # the fund, session, user and role checks, the figures (one grouped query), the funder's
    # tranches, the grants' count, page and figures (2), the decisions, the header's link
    with django_assert_num_queries(14):
        client.get(url)
    grants = response.context["grants"]
    assert grants.paginator.count == 22 and len(grants.object_list) == 20
    assert all(hasattr(g, "figures") for g in grants.object_list)
    assert 'href="?grants=2#grants" rel="next"' in response.content.decode()


def test_grant_page_costs_the_same_queries_for_few_or_many_tranches_and_claims(
    client, world, django_assert_num_queries
):
    few_tranches = grant(world, amount_pence=20_000, tranches=[TrancheSpec(20_000)])
    many_tranches = grant(world, amount_pence=20_000, tranches=[TrancheSpec(2_000)] * 10)
    for g in (few_tranches, many_tranches):
        services.claim_file(actor=world.contact, grant=g, items=[item(100)])
    for _ in range(24):
        services.claim_file(actor=world.contact, grant=many_tranches, items=[item(100)])
    client.force_login(world.finance)
    few, _ = _get(client, reverse("funds:grant", args=[few_tranches.pk]))
    many, response = _get(client, reverse("funds:grant", args=[many_tranches.pk]))
    assert few == many
    # the grant, session, user and role checks, the tranches and their facts (2), the grant's
    # money, the claims' count and page, the queries about the grant, the header's link
    with django_assert_num_queries(15):
        client.get(reverse("funds:grant", args=[many_tranches.pk]))
    reasons = [t.waiting_reason for t in response.context["tranches"]]
    assert reasons[0] is None
    assert set(reasons[1:]) == {"Earlier tranches of this grant must be paid first."}
    claims = response.context["claims"]
    assert claims.paginator.count == 25 and len(claims.object_list) == 20
    assert 'href="?claims=2#claims" rel="next"' in response.content.decode()


def test_claim_page_costs_the_same_queries_for_1_or_10_items(client, world):
    g = grant(world, amount_pence=20_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    one = services.claim_file(actor=world.contact, grant=g, items=[item(100)])
    ten = services.claim_file(actor=world.contact, grant=g, items=[item(100) for _ in range(10)])
    client.force_login(world.trustees[3])
    few, _ = _get(client, reverse("funds:claim", args=[one.pk]))
    many, response = _get(client, reverse("funds:claim", args=[ten.pk]))
    assert few == many
    assert response.context["total"] == 1_000
