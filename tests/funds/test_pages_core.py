"""Funds pages kept from the funds core branch: the grant-approval page for a passed decision
that has no grant yet, plain refusals for segregation of duties, and the claim form's amount
checks in plain English."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from funds.models import Claim, Grant, GrantTranche

from .factories import decide, grant, jpeg, selected_proposal


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


def test_bad_claim_amounts_are_refused_in_plain_english_and_nothing_is_stored(client, world):
    w = world
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    client.force_login(w.contact)
    for amount, message in (("12.505", "two decimal places"), ("0", "more than £0")):
        response = client.post(
            reverse("funds:claim_new", args=[g.pk]),
            {
                "description_1": "Compost",
                "amount_1": amount,
                "receipt_1": SimpleUploadedFile("r.jpg", jpeg()),
            },
        )
        assert response.status_code == 200
        assert message in response.content.decode()
    assert not Claim.objects.exists()


def test_a_trustee_turns_a_passed_decision_without_a_grant_into_one(client, world):
    w = world
    proposal = selected_proposal(w)
    decision = decide(w, proposal=proposal, amount_pence=90_001)
    client.force_login(w.trustees[1])
    minutes = client.get(reverse("funds:minutes", args=[decision.pk])).content.decode()
    url = reverse("funds:grant_create", args=[decision.pk])
    assert url in minutes
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "title": "Garden",
            "recipient_organisation": w.grantee.pk,
            "contact_email": w.contact.email,
            "payment_mode": "advance",
            "tranches": "3",
            "conditions": "",
        },
    )
    g = Grant.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "funds:grant", args=[g.pk]
    )
    assert list(g.tranches.values_list("amount_pence", "precondition")) == [
        (30_001, "none"),
        (30_000, "spend_report_accepted"),
        (30_000, "spend_report_accepted"),
    ]
    assert g.approved_by == w.trustees[1] and list(g.contacts.all()) == [w.contact]
    # once the grant exists, the page no longer offers (or takes) another
    assert url not in client.get(reverse("funds:minutes", args=[decision.pk])).content.decode()
    assert client.get(url).status_code == 404


def test_the_grant_approval_page_is_for_trustees_only(client, world):
    w = world
    decision = decide(w, proposal=selected_proposal(w), amount_pence=10_000)
    client.force_login(w.finance)
    assert client.get(reverse("funds:grant_create", args=[decision.pk])).status_code == 403
    assert not Grant.objects.exists()


def test_an_unknown_contact_email_is_refused_in_plain_english(client, world):
    w = world
    decision = decide(w, proposal=selected_proposal(w), amount_pence=10_000)
    client.force_login(w.trustees[1])
    response = client.post(
        reverse("funds:grant_create", args=[decision.pk]),
        {
            "title": "Garden",
            "recipient_organisation": w.grantee.pk,
            "contact_email": "nobody@example.org",
            "payment_mode": "reimbursement",
            "tranches": "1",
        },
    )
    assert response.status_code == 400
    assert "Nobody has an account with that email address." in response.content.decode()
    assert not Grant.objects.exists()
