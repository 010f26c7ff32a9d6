"""The funds pages, through the test client: each role sees its work and its buttons do it."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from funds import services
from funds.models import Claim, Decision, Fund, Grant, GrantTranche
from funds.selectors import fund_figures
from proposals.models import Proposal
from tests.factories import UserFactory

from .factories import grant, item, png, selected_proposal


def _login(client, user):
    client.force_login(user)
    return client


def test_money_index_lists_role_holders_funds_and_neighbourhood_page_links_it(client, world):
    _login(client, world.finance)
    page = client.get(reverse("funds:index"))
    assert page.status_code == 200
    body = page.content.decode()
    assert world.fund.name in body
    assert reverse("funds:queue", args=[world.fund.pk]) in body
    nb_page = client.get(reverse("communities:detail", args=[world.neighbourhood.slug]))
    assert f'href="{reverse("funds:index")}"' in nb_page.content.decode()


def test_money_link_not_shown_to_residents(client, world):
    _login(client, UserFactory())
    body = client.get(reverse("communities:detail", args=[world.neighbourhood.slug]))
    assert f'href="{reverse("funds:index")}"' not in body.content.decode()


def test_grantee_finds_their_grant_from_the_money_page(client, world):
    g = grant(world, amount_pence=10_000)
    body = _login(client, world.contact).get(reverse("funds:index")).content.decode()
    assert reverse("funds:grant", args=[g.pk]) in body


def test_fund_page_shows_balances_and_schedule_to_trustee_and_auditor(client, world):
    for user in (world.chair, world.auditor):
        page = _login(client, user).get(reverse("funds:fund", args=[world.fund.pk]))
        assert page.status_code == 200
        body = page.content.decode()
        assert 'data-figure="received">£5,000.00' in body
        assert 'data-figure="available"><strong>£5,000.00' in body
        assert "Not yet" in body  # the second tranche from the funder


def test_fund_page_refused_to_a_resident(client, world):
    page = _login(client, UserFactory()).get(reverse("funds:fund", args=[world.fund.pk]))
    assert page.status_code == 403


def test_trustee_todo_lists_decisions_due_and_claims_to_approve(client, world):
    due = selected_proposal(world, title="Bus shelter benches")
    g = grant(world, amount_pence=100_000)
    claim = services.claim_create(actor=world.contact, grant=g, items=[item(10_000)])
    services.claim_submit(actor=world.contact, claim=claim)
    body = _login(client, world.trustees[3]).get(reverse("funds:todo", args=[world.fund.pk]))
    text = body.content.decode()
    assert "Bus shelter benches" in text
    assert reverse("funds:decide", args=[world.fund.pk, due.pk]) in text
    assert reverse("funds:claim", args=[claim.pk]) in text


def _decision_post(
    world, proposal, *, votes, conflicted=(), amount="1,000", tranches=("600", "400")
):
    data = {
        "held_on": "2026-06-01",
        "motion": "That we fund it.",
        "title": "Benches",
        "amount": amount,
        "recipient": f"org:{world.grantee.pk}",
        "payment_mode": Grant.PaymentMode.ADVANCE,
        "conditions": "Photos of the benches installed.",
    }
    for n, value in enumerate(tranches, start=1):
        data[f"tranche_{n}"] = value
    for trustee, choice in votes.items():
        data[f"vote_{trustee.pk}"] = choice
    for trustee in conflicted:
        data[f"attend_{trustee.pk}"] = "present"
    return data


def test_decision_form_records_meeting_decision_and_grant_with_conflicted_trustee_excluded(
    client, world
):
    conflicted = world.trustees[4]
    proposal = selected_proposal(world, proposer=conflicted)
    url = reverse("funds:decide", args=[world.fund.pk, proposal.pk])
    form_page = _login(client, world.chair).get(url).content.decode()
    assert "Excluded from the vote" in form_page and "Proposed it" in form_page
    assert f'name="vote_{conflicted.pk}"' not in form_page

    votes = dict.fromkeys(world.trustees[:3], "for")
    votes[world.trustees[3]] = "against"
    response = client.post(
        url, _decision_post(world, proposal, votes=votes, conflicted=[conflicted])
    )

    decision = Decision.objects.get(proposal=proposal)
    assert response.status_code == 302
    assert response["Location"] == reverse("funds:minutes", args=[decision.pk])
    assert decision.passed and decision.votes_for == 3 and decision.votes_against == 1
    assert list(decision.exclusions.values_list("trustee_id", "reason")) == [
        (conflicted.pk, "proposer")
    ]
    g = Grant.objects.get(proposal=proposal)
    assert g.amount_pence == 100_000
    assert list(g.tranches.values_list("amount_pence", "precondition")) == [
        (60_000, GrantTranche.Precondition.NONE),
        (40_000, GrantTranche.Precondition.SPEND_REPORT_ACCEPTED),
    ]
    assert fund_figures(fund=world.fund).available == 400_000
    minutes = client.get(response["Location"]).content.decode()
    assert "Proposed it" in minutes and "3 for, 1 against" in minutes
    pdf = client.get(reverse("funds:minutes_pdf", args=[decision.pk]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_decision_form_without_quorum_stores_nothing(client, world):
    proposal = selected_proposal(world)
    url = reverse("funds:decide", args=[world.fund.pk, proposal.pk])
    votes = {world.trustees[0]: "for", world.trustees[1]: "for"}
    votes.update(dict.fromkeys(world.trustees[2:], "absent"))
    page = _login(client, world.chair).post(url, _decision_post(world, proposal, votes=votes))
    assert page.status_code == 200
    assert "not quorate" in page.content.decode()
    assert not Decision.objects.exists()
    assert fund_figures(fund=world.fund).available == 500_000


def test_decision_form_grant_beyond_available_stores_nothing(client, world):
    proposal = selected_proposal(world)
    url = reverse("funds:decide", args=[world.fund.pk, proposal.pk])
    votes = dict.fromkeys(world.trustees, "for")
    data = _decision_post(world, proposal, votes=votes, amount="6,000", tranches=("6,000",))
    page = _login(client, world.chair).post(url, data)
    assert "below zero" in page.content.decode()
    assert not Decision.objects.exists() and not Grant.objects.exists()
    assert Proposal.objects.get(pk=proposal.pk).status == Proposal.Status.SELECTED


def test_finance_queue_starts_grant_and_releases_tranche_once(client, world):
    g = grant(world, amount_pence=100_000, activate=False)
    _login(client, world.finance)
    queue = reverse("funds:queue", args=[world.fund.pk])
    assert "Issue the agreement" in client.get(queue).content.decode()
    client.post(reverse("funds:grant_start", args=[g.pk]))
    client.post(reverse("funds:grant_start", args=[g.pk]))
    g.refresh_from_db()
    assert g.status == Grant.Status.ACTIVE
    first = g.tranches.get(number=1)
    assert reverse("funds:tranche_release", args=[first.pk]) in client.get(queue).content.decode()
    client.post(reverse("funds:tranche_release", args=[first.pk]))
    client.post(reverse("funds:tranche_release", args=[first.pk]))  # a double click
    assert fund_figures(fund=world.fund).paid == 50_000


def test_grantee_submits_claim_with_receipt_through_the_form(client, world):
    g = grant(world, amount_pence=100_000)
    _login(client, world.contact)
    page = client.get(reverse("funds:grant", args=[g.pk])).content.decode()
    assert reverse("funds:claim_new", args=[g.pk]) in page
    response = client.post(
        reverse("funds:claim_new", args=[g.pk]),
        {
            "description_1": "Timber",
            "amount_1": "120.50",
            "receipt_1": SimpleUploadedFile("till.png", png(), content_type="image/png"),
        },
    )
    claim = Claim.objects.get(grant=g)
    assert response.status_code == 302
    assert claim.status == Claim.Status.SUBMITTED
    assert claim.items.get().amount_pence == 12_050


def test_claim_form_refuses_a_renamed_text_file_and_stores_nothing(client, world):
    g = grant(world, amount_pence=100_000)
    page = _login(client, world.contact).post(
        reverse("funds:claim_new", args=[g.pk]),
        {
            "description_1": "Timber",
            "amount_1": "10",
            "receipt_1": SimpleUploadedFile("till.png", b"just text", content_type="image/png"),
        },
    )
    assert page.status_code == 200
    assert "photo (JPEG, PNG or WebP) or a PDF" in page.content.decode()
    assert not Claim.objects.exists()


def test_claim_approve_and_pay_buttons_for_a_reimbursement_grant(client, world):
    g = grant(world, amount_pence=100_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_create(actor=world.contact, grant=g, items=[item(30_000)])
    services.claim_submit(actor=world.contact, claim=claim)
    _login(client, world.trustees[2]).post(reverse("funds:claim_approve", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED
    queue = _login(client, world.finance).get(reverse("funds:queue", args=[world.fund.pk]))
    assert reverse("funds:claim_pay", args=[claim.pk]) in queue.content.decode()
    client.post(reverse("funds:claim_pay", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.PAID
    assert fund_figures(fund=world.fund).paid == 30_000


def test_grantee_cannot_approve_own_claim_through_the_page(client, world):
    g = grant(world, amount_pence=100_000)
    claim = services.claim_create(actor=world.contact, grant=g, items=[item(10_000)])
    services.claim_submit(actor=world.contact, claim=claim)
    response = _login(client, world.contact).post(reverse("funds:claim_approve", args=[claim.pk]))
    claim.refresh_from_db()
    assert response.status_code == 403
    assert claim.status == Claim.Status.SUBMITTED


@pytest.fixture
def claimed(world):
    g = grant(world, amount_pence=100_000)
    claim = services.claim_create(actor=world.contact, grant=g, items=[item(10_000)])
    return claim.items.get()


def test_receipt_served_to_the_grantee_and_never_from_media(client, world, claimed, settings):
    response = _login(client, world.contact).get(reverse("funds:receipt", args=[claimed.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"\xff\xd8\xff")
    assert not (settings.MEDIA_ROOT / claimed.receipt.name).exists()
    assert not AuditEvent.objects.filter(action="funds.receipt_viewed").exists()


def test_receipt_refused_to_a_stranger(client, world, claimed):
    response = _login(client, UserFactory(mfa=True)).get(
        reverse("funds:receipt", args=[claimed.pk])
    )
    assert response.status_code == 403


def test_funder_auditor_reading_a_receipt_is_audited(client, world, claimed):
    response = _login(client, world.auditor).get(reverse("funds:receipt", args=[claimed.pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="funds.receipt_viewed")
    assert event.actor_id == world.auditor.pk


def test_proposal_page_shows_the_money(client, world):
    g = grant(world, amount_pence=100_000)
    services.grant_tranche_release(actor=world.finance, tranche=g.tranches.get(number=1))
    claim = services.claim_create(actor=world.contact, grant=g, items=[item(20_000)])
    services.claim_submit(actor=world.contact, claim=claim)
    services.claim_approve(actor=world.trustees[2], claim=claim)
    url = reverse("proposals:detail", args=[world.neighbourhood.slug, g.proposal_id])
    body = client.get(url).content.decode()
    assert 'id="money"' in body
    assert "£1,000.00" in body and "£500.00" in body and "£200.00" in body
    assert "an individual resident" not in body


def test_decision_form_dates_render_as_iso_for_the_date_input(client, world):
    # A date input accepts only YYYY-MM-DD; any other rendering leaves it empty in a browser.
    proposal = selected_proposal(world)
    url = reverse("funds:decide", args=[world.fund.pk, proposal.pk])
    body = _login(client, world.chair).get(url).content.decode()
    from django.utils import timezone

    assert f'type="date" name="held_on" value="{timezone.localdate():%Y-%m-%d}"' in body


def test_fund_page_queries_do_not_grow_with_its_grants(client, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("funds:fund", args=[world.fund.pk])
    _login(client, world.auditor)
    grant(world, amount_pence=10_000)
    client.get(url)  # warm up the session and caches
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    grant(world, amount_pence=10_000)
    grant(world, amount_pence=10_000)
    with CaptureQueriesContext(connection) as three:
        body = client.get(url).content.decode()
    assert body.count('<td><a href="/funds/grants/') == 3
    assert len(three) == len(one)


def test_a_conflicted_trustee_cannot_record_the_decision(client, world):
    proposer = world.trustees[0]
    proposal = selected_proposal(world, proposer=proposer)
    url = reverse("funds:decide", args=[world.fund.pk, proposal.pk])
    page = _login(client, proposer).get(url).content.decode()
    assert "another trustee must record this decision" in page
    votes = dict.fromkeys(world.trustees[1:], "for")
    client.post(url, _decision_post(world, proposal, votes=votes))
    assert not Decision.objects.exists()


def test_radio_groups_are_fieldsets_the_error_summary_can_link_to(client, world):
    proposal = selected_proposal(world)
    url = reverse("funds:decide", args=[world.fund.pk, proposal.pk])
    page = _login(client, world.chair).post(url, {"held_on": "2026-06-01"}).content.decode()
    trustee = world.trustees[1]
    assert f'href="#id_vote_{trustee.pk}"' in page
    assert f'<fieldset class="field has-error" id="id_vote_{trustee.pk}"' in page


def test_funder_auditor_holds_a_tranche_and_the_queue_stops_offering_it(client, world):
    g = grant(world, amount_pence=100_000)
    first = g.tranches.get(number=1)
    page = _login(client, world.auditor).get(reverse("funds:grant", args=[g.pk])).content.decode()
    assert reverse("funds:tranche_hold", args=[first.pk]) in page
    client.post(reverse("funds:tranche_hold", args=[first.pk]), {"reason": "Awaiting bank check"})
    first.refresh_from_db()
    assert first.is_held and first.held_reason == "Awaiting bank check"
    queue = _login(client, world.finance).get(reverse("funds:queue", args=[world.fund.pk]))
    assert reverse("funds:tranche_release", args=[first.pk]) not in queue.content.decode()
    assert "Awaiting bank check" in queue.content.decode()
    response = client.post(reverse("funds:tranche_hold", args=[first.pk]), {"action": "lift"})
    assert response.status_code == 403  # only the funder's auditor lifts a hold
    _login(client, world.auditor).post(
        reverse("funds:tranche_hold", args=[first.pk]), {"action": "lift"}
    )
    first.refresh_from_db()
    assert not first.is_held


def test_funder_auditor_suspends_and_resumes_the_fund_from_its_page(client, world):
    url = reverse("funds:fund_suspend", args=[world.fund.pk])
    _login(client, world.auditor).post(url, {"reason": "Annual accounts overdue"})
    world.fund.refresh_from_db()
    assert world.fund.status == Fund.Status.SUSPENDED
    client.post(url, {"action": "resume"})
    world.fund.refresh_from_db()
    assert world.fund.status == Fund.Status.ACTIVE
    assert _login(client, world.chair).post(url, {"reason": "x"}).status_code == 403
