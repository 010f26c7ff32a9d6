"""Issue 17: the public spend page and the money index cost the same queries however many
grants they list, and cut them into pages; a fund's figures are one grouped query over the
ledger's yearly summary, equal to the running balances."""

from __future__ import annotations

import pytest
from django.urls import reverse

from funds import selectors, services
from funds.models import Grant
from funds.selectors import Figures, account_balances

from .factories import grant, item
from .test_public_spend import _world_with_an_individual
from .test_scale_queue import _get

pytestmark = pytest.mark.django_db


def test_fund_figures_are_one_query_and_equal_the_running_balances(
    world, django_assert_num_queries
):
    paid = grant(world, amount_pence=40_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_file(actor=world.contact, grant=paid, items=[item(15_000)])
    services.claim_approve(actor=world.trustees[2], claim=claim)
    services.claim_pay(actor=world.finance, claim=claim)
    grant(world, amount_pence=20_000)  # an advance grant: its first tranche is paid on start
    expected = Figures.from_balances(account_balances(fund=world.fund))
    assert expected.paid > 0 and expected.outstanding > 0 and expected.received > 0
    with django_assert_num_queries(1):
        figures = selectors.fund_figures(fund=world.fund)
    assert figures == expected
    with django_assert_num_queries(1):
        assert selectors.funds_figures(funds=[world.fund]) == {world.fund.pk: expected}


def test_public_spend_page_costs_the_same_queries_for_2_or_22_grants(
    client, world, django_assert_num_queries
):
    url = reverse("funds:public_spend", args=[world.neighbourhood.slug])
    for _ in range(2):
        grant(world, amount_pence=10_000)
    few, response = _get(client, url)
    assert response.context["grants"].paginator.count == 2
    _org, _claim, individual, person = _world_with_an_individual(world)
    for _ in range(19):
        grant(world, amount_pence=10_000)
    many, response = _get(client, url)
    assert few == many
    # the neighbourhood, the funds' count and page, their figures (one grouped query), the
    # grants' count and page, their figures (2) and accepted reports, spend by theme
    with django_assert_num_queries(10):
        client.get(url)
    grants = response.context["grants"]
    assert grants.paginator.count == 23 and len(grants.object_list) == 20
    assert all(hasattr(g, "figures") for g in grants.object_list)
    html = response.content.decode()
    assert 'href="?grants=2#grants" rel="next"' in html
    assert "£5,000.00" in html  # the fund's received figure
    # newest first: the individual's grant (made before the last 19) is the 20th, on page 1,
    # named only as "an individual resident"
    assert individual in grants.object_list
    assert "an individual resident" in html and person.display_name not in html
    second = client.get(url, {"grants": 2})
    assert len(second.context["grants"].object_list) == 3
    assert 'href="?grants=1#grants" rel="prev"' in second.content.decode()


def test_money_index_costs_the_same_queries_for_2_or_22_grants(
    client, world, django_assert_num_queries
):
    url = reverse("funds:index")
    for _ in range(2):
        grant(world, amount_pence=10_000, activate=False)
    client.force_login(world.contact)
    few, response = _get(client, url)
    assert response.context["grants"].paginator.count == 2
    for _ in range(20):
        grant(world, amount_pence=10_000, activate=False)
    many, response = _get(client, url)
    assert few == many
    # the session, the user, the funds they look after (none), the grants' count and page, the
    # header's link
    with django_assert_num_queries(6):
        client.get(url)
    grants = response.context["grants"]
    assert grants.paginator.count == 22 and len(grants.object_list) == 20
    html = response.content.decode()
    assert "Grants you report on (22)" in html
    assert 'href="?grants=2#grants" rel="next"' in html
    assert len(client.get(url, {"grants": 2}).context["grants"].object_list) == 2
