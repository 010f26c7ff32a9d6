"""Issue 17: the finance officer's payments queue and the trustee's money to-do cost the same
queries for 3 or 30 claims and tranches (the permission checks read what the list prefetched,
tranche_facts reads the tranches' conditions for the whole list), and every list is cut into
pages."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from communities.models import ConflictDeclaration
from funds import services
from funds.models import Grant, GrantTranche, MonitoringReport
from funds.services import TrancheSpec

from .factories import grant, item

pytestmark = pytest.mark.django_db


def _get(client, url, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def _advance_grants(w, n: int) -> list[Grant]:
    """Active advance grants of two tranches each: the first ready, the second waiting."""
    return [grant(w, amount_pence=20_000) for _ in range(n)]


def _claims(w, g: Grant, n: int, *, approve: bool) -> None:
    for _ in range(n):
        claim = services.claim_file(actor=w.contact, grant=g, items=[item(100)])
        if approve:
            services.claim_approve(actor=w.trustees[2], claim=claim)


def test_finance_queue_costs_the_same_queries_for_3_or_30_items(
    client, world, django_assert_num_queries
):
    url = reverse("funds:queue", args=[world.fund.pk])
    paid_by_claims = grant(world, amount_pence=20_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    _advance_grants(world, 1)
    _claims(world, paid_by_claims, 3, approve=True)
    client.force_login(world.finance)
    few, response = _get(client, url)
    assert response.context["claims"].paginator.count == 3
    assert response.context["tranches"].paginator.count == 1

    more_claims = grant(world, amount_pence=20_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    _advance_grants(world, 4)
    _claims(world, paid_by_claims, 15, approve=True)
    _claims(world, more_claims, 12, approve=True)
    many, response = _get(client, url)
    assert few == many
    # pinned (listed in test_finance_queue_pin): each list is a count and a page, or one
    # query, with its prefetches and the tranches' facts
    with django_assert_num_queries(27):
        client.get(url)
    claims = response.context["claims"]
    assert claims.paginator.count == 30 and len(claims.object_list) == 20
    assert response.context["tranches"].paginator.count == 5
    waiting = response.context["waiting"]
    assert waiting.paginator.count == 5
    assert {reason for _t, reason in waiting.object_list} == {
        "Earlier tranches of this grant must be paid first."
    }
    html = response.content.decode()
    assert "Claims to pay (30)" in html
    assert 'href="?claims=2#claims" rel="next"' in html
    last = client.get(url, {"claims": 2})
    assert len(last.context["claims"].object_list) == 10


def test_finance_queue_pin(client, world, django_assert_num_queries):
    paid_by_claims = grant(world, amount_pence=20_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    _advance_grants(world, 2)
    _claims(world, paid_by_claims, 3, approve=True)
    client.force_login(world.finance)
    url = reverse("funds:queue", args=[world.fund.pk])
    client.get(url)
    # fund, session, user, email, roles, two-factor; claims: count, page, items, contacts,
    # linked trustees, declared conflicts; grants to start: count; tranches ready: rows,
    # contacts, linked trustees, facts (2), declared conflicts; waiting: rows, contacts,
    # linked trustees, facts (2); the funder's tranches; the fund's figures (one grouped
    # query); the header's to-do link
    with django_assert_num_queries(27):
        client.get(url)


def test_queue_leaves_out_what_the_finance_officer_may_not_pay(client, world):
    # given a grant whose payee is the finance officer, and one they declared a conflict on
    own = grant(world, amount_pence=20_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    own.contacts.add(world.finance)
    declared = grant(world, amount_pence=20_000)
    ConflictDeclaration.objects.create(
        user=world.finance,
        neighbourhood=world.neighbourhood,
        object_type="funds.grant",
        object_id=str(declared.pk),
        reason="A relative runs it.",
    )
    services.claim_approve(
        actor=world.trustees[2],
        claim=services.claim_file(actor=world.contact, grant=own, items=[item(100)]),
    )
    fine = _advance_grants(world, 1)[0]
    client.force_login(world.finance)
    _, response = _get(client, reverse("funds:queue", args=[world.fund.pk]))
    # then neither is offered, and the other grant's first tranche is
    assert response.context["claims"].paginator.count == 0
    assert [t.grant_id for t in response.context["tranches"].object_list] == [fine.pk]


def test_a_tranche_waiting_for_a_report_is_ready_once_it_is_accepted(client, world):
    g = grant(
        world,
        amount_pence=20_000,
        tranches=[
            TrancheSpec(10_000),
            TrancheSpec(10_000, precondition=GrantTranche.Precondition.SPEND_REPORT_ACCEPTED),
        ],
    )
    first, second = g.tranches.order_by("number")
    services.grant_tranche_release(actor=world.finance, tranche=first)
    client.force_login(world.finance)
    url = reverse("funds:queue", args=[world.fund.pk])
    _, response = _get(client, url)
    assert response.context["tranches"].paginator.count == 0
    ((waiting, reason),) = response.context["waiting"].object_list
    assert waiting.pk == second.pk and reason.startswith("Its condition is not met yet")
    report = services.monitoring_report_submit(
        actor=world.contact, grant=g, body="Spent on seeds.", kind=MonitoringReport.Kind.SPEND
    )
    services.monitoring_report_review(actor=world.trustees[2], report=report, accept=True)
    _, response = _get(client, url)
    assert [t.pk for t in response.context["tranches"].object_list] == [second.pk]
    assert response.context["waiting"].paginator.count == 0


def test_trustee_money_todo_costs_the_same_queries_for_3_or_30_claims(
    client, world, django_assert_num_queries
):
    url = reverse("funds:todo", args=[world.fund.pk])
    first = grant(world, amount_pence=20_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    _claims(world, first, 3, approve=False)
    client.force_login(world.trustees[3])
    few, response = _get(client, url)
    assert response.context["claims"].paginator.count == 3

    second = grant(world, amount_pence=20_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    _claims(world, first, 12, approve=False)
    _claims(world, second, 15, approve=False)
    many, response = _get(client, url)
    assert few == many
    # session, user, fund, roles, two-factor (2); decisions due: count; claims: count, page,
    # items, contacts, linked trustees, declared conflicts; open queries; the fund's
    # figures (one grouped query); the header's to-do link
    with django_assert_num_queries(16):
        client.get(url)
    claims = response.context["claims"]
    assert claims.paginator.count == 30 and len(claims.object_list) == 20
    html = response.content.decode()
    assert "Claims to approve (30)" in html
    assert 'href="?claims=2#claims" rel="next"' in html
    assert "<title>Trustee to-do: " in html and "<title>Trustee to-do: <h2" not in html


def test_trustee_todo_page_costs_the_same_queries_for_3_or_30_claims(client, world):
    url = reverse("communities:todo", args=[world.neighbourhood.slug])
    first = grant(world, amount_pence=20_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    _claims(world, first, 3, approve=False)
    client.force_login(world.trustees[3])
    few, response = _get(client, url)
    assert "3 claims to approve" in response.content.decode()
    second = grant(world, amount_pence=20_000)
    _claims(world, first, 12, approve=False)
    _claims(world, second, 15, approve=False)
    many, response = _get(client, url)
    assert few == many
    assert "30 claims to approve" in response.content.decode()
