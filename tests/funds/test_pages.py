"""Funds pages without JavaScript: the finance officer's queue pays, the grant page takes a
claim with a receipt, receipts are served only through the permission check."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audit.models import AuditEvent
from funds import services
from funds.models import Claim, Grant, GrantTranche
from tests.factories import UserFactory

from .factories import grant, item, jpeg


def test_finance_officer_releases_a_ready_tranche_from_the_queue(client, world):
    w = world
    g = grant(w)
    client.force_login(w.finance)
    page = client.get(reverse("funds:fund", args=[w.fund.pk]))
    assert page.status_code == 200
    assert "Tranches ready to release" in page.content.decode()
    assert g.title in page.content.decode()
    tranche = g.tranches.get(number=1)
    response = client.post(reverse("funds:tranche_release", args=[tranche.pk]))
    assert response.status_code == 302
    tranche.refresh_from_db()
    assert tranche.status == GrantTranche.Status.RELEASED


def test_the_approver_gets_a_plain_refusal_not_a_payment(client, world):
    from communities.models import Role, RoleAssignment

    w = world
    RoleAssignment.objects.create(
        user=w.trustees[1], neighbourhood=w.neighbourhood, role=Role.FINANCE_OFFICER
    )
    g = grant(w)
    client.force_login(w.trustees[1])
    tranche = g.tranches.get(number=1)
    response = client.post(reverse("funds:tranche_release", args=[tranche.pk]), follow=True)
    assert "You approved this grant" in response.content.decode()
    tranche.refresh_from_db()
    assert tranche.status == GrantTranche.Status.PENDING


def test_a_grantee_submits_a_claim_with_a_receipt_on_the_grant_page(client, world):
    w = world
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    client.force_login(w.contact)
    response = client.post(
        reverse("funds:grant", args=[g.pk]),
        {
            "description": "Compost",
            "amount_pence": "12.50",
            "receipt": SimpleUploadedFile("r.jpg", jpeg()),
        },
    )
    assert response.status_code == 302
    claim = Claim.objects.get()
    assert claim.status == Claim.Status.SUBMITTED and claim.items.get().amount_pence == 1250


def test_bad_claim_input_is_refused_in_plain_english_and_nothing_is_stored(client, world):
    w = world
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    client.force_login(w.contact)
    for amount, receipt, message in (
        ("12.505", jpeg(), "two decimal places"),
        ("0", jpeg(), "more than £0"),
        ("12", b"plain text", "photo (JPEG, PNG or WebP) or a PDF"),
    ):
        response = client.post(
            reverse("funds:grant", args=[g.pk]),
            {
                "description": "x",
                "amount_pence": amount,
                "receipt": SimpleUploadedFile("r.jpg", receipt),
            },
        )
        assert response.status_code == 400
        assert message in response.content.decode()
    assert not Claim.objects.exists()


def test_receipts_are_served_only_to_people_who_may_see_the_grant(client, world):
    w = world
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_create(actor=w.contact, grant=g, items=[item()])
    url = reverse("funds:receipt", args=[claim.items.get().pk])
    client.force_login(UserFactory())
    assert client.get(url).status_code == 404
    client.force_login(w.auditor)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="funds.receipt_viewed", actor=w.auditor).exists()


def test_strangers_cannot_see_the_books(client, world):
    client.force_login(UserFactory())
    assert client.get(reverse("funds:fund", args=[world.fund.pk])).status_code == 403


def test_a_trustee_approves_a_claim_from_the_fund_page(client, world):
    w = world
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_create(actor=w.contact, grant=g, items=[item()])
    services.claim_submit(actor=w.contact, claim=claim)
    client.force_login(w.trustees[2])
    page = client.get(reverse("funds:fund", args=[w.fund.pk])).content.decode()
    assert "Claims to approve" in page
    client.post(reverse("funds:claim_approve", args=[claim.pk]))
    claim.refresh_from_db()
    assert claim.status == Claim.Status.APPROVED and claim.approved_by == w.trustees[2]


def test_minutes_are_generated_from_the_record_with_the_excluded_trustee(client, world):
    from .factories import decide, selected_proposal

    w = world
    proposal = selected_proposal(w, proposer=w.trustees[4])
    decision = decide(w, proposal=proposal)
    client.force_login(w.trustees[0])
    page = client.get(reverse("funds:decision", args=[decision.pk])).content.decode()
    from django.utils.html import escape

    assert escape(w.trustees[4].display_name) in page and "proposed it" in page
    assert "For 4, against 0" in page


def _decision_post(w, proposal, *, votes):
    data = {
        "held_on": "2026-06-01",
        "proposal": proposal.pk,
        "amount_pence": "1,000.00",
        "motion": "Fund the garden",
    }
    for t in w.trustees:
        data[f"presence_{t.pk}"] = "present"
        data[f"vote_{t.pk}"] = votes.get(t, "")
    return data


def test_a_trustee_records_a_decision_with_a_conflicted_trustee_excluded(client, world):
    from funds.models import Decision

    from .factories import selected_proposal

    w = world
    proposal = selected_proposal(w, proposer=w.trustees[4])
    client.force_login(w.chair)
    assert client.get(reverse("funds:decide", args=[w.fund.pk])).status_code == 200
    votes = dict.fromkeys(w.trustees[:4], "for")
    response = client.post(
        reverse("funds:decide", args=[w.fund.pk]), _decision_post(w, proposal, votes=votes)
    )
    decision = Decision.objects.get()
    assert response.status_code == 302
    assert decision.passed and decision.amount_pence == 100_000
    assert decision.exclusions.get().trustee == w.trustees[4]


def test_a_conflicted_vote_on_the_form_is_refused_and_no_meeting_is_left(client, world):
    from funds.models import Decision, Meeting

    from .factories import selected_proposal

    w = world
    proposal = selected_proposal(w, proposer=w.trustees[4])
    client.force_login(w.chair)
    votes = dict.fromkeys(w.trustees, "for")
    response = client.post(
        reverse("funds:decide", args=[w.fund.pk]), _decision_post(w, proposal, votes=votes)
    )
    assert response.status_code == 400
    assert "conflict of interest" in response.content.decode()
    assert not Decision.objects.exists() and not Meeting.objects.exists()


def test_a_trustee_turns_the_decision_into_a_grant_on_its_page(client, world):
    from .factories import decide, selected_proposal

    w = world
    proposal = selected_proposal(w)
    decision = decide(w, proposal=proposal, amount_pence=90_001)
    client.force_login(w.trustees[1])
    minutes = client.get(reverse("funds:decision", args=[decision.pk])).content.decode()
    assert reverse("funds:grant_create", args=[decision.pk]) in minutes
    response = client.post(
        reverse("funds:grant_create", args=[decision.pk]),
        {
            "title": "Garden",
            "recipient_organisation": w.grantee.pk,
            "contact_email": w.contact.email,
            "payment_mode": "advance",
            "tranches": "3",
            "conditions": "",
        },
    )
    assert response.status_code == 302
    g = Grant.objects.get()
    assert list(g.tranches.values_list("amount_pence", "precondition")) == [
        (30_001, "none"),
        (30_000, "spend_report_accepted"),
        (30_000, "spend_report_accepted"),
    ]
    assert g.approved_by == w.trustees[1]
