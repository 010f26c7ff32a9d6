"""Authenticated funds actions through the API: the same services as the pages, the roles
they need (with a two-factor token), 409 in the wrong state, and pinned query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from funds import services
from funds.models import Claim, Decision, Fund, Grant, GrantTranche, JournalEntry
from tests.api.helpers import make_token, token_client
from tests.funds.factories import TODAY, decide, grant, item, make_world, pdf, selected_proposal

pytestmark = pytest.mark.django_db


def api(user, *, mfa: bool = True):
    return token_client(make_token(user, mfa=mfa))


@pytest.fixture
def w():
    return make_world()


def test_record_a_decision_excludes_the_conflicted_and_makes_the_grant(
    w, django_assert_num_queries
):
    proposal = selected_proposal(w)
    conflicted = w.trustees[4]
    proposal.linked_trustees.add(conflicted)
    body = {
        "proposal": proposal.pk,
        "held_on": TODAY.isoformat(),
        "motion": "That we fund it.",
        "votes": [{"trustee": t.pk, "vote": "for"} for t in w.trustees[:4]],
        "present_not_voting": [conflicted.pk],
        "title": "Benches",
        "amount_pence": 60_000,
        "recipient_organisation": w.grantee.pk,
        "payment_mode": "advance",
        "tranches_pence": [30_000, 30_000],
    }
    url = reverse("api:decision-record", kwargs={"pk": w.fund.pk})
    client = api(w.chair)
    # token, fund, proposal, people, organisation; meeting, decision (votes, exclusions,
    # quorum), grant, tranches, ledger posting, proposal state, audit events; the answer
    with django_assert_num_queries(115):
        response = client.post(url, body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["outcome"] == "passed"
    assert [e["trustee"] for e in data["excluded"]] == [conflicted.public_name]
    grant_made = Grant.objects.get(pk=data["grant"])
    assert grant_made.amount_pence == 60_000
    assert list(grant_made.tranches.values_list("amount_pence", flat=True)) == [30_000, 30_000]
    # the same proposal again: not waiting for a decision any more
    again = client.post(url, body, format="json")
    assert again.status_code == 409
    assert Decision.objects.count() == 1


def test_a_conflicted_trustee_voting_is_refused_and_nothing_is_stored(w):
    proposal = selected_proposal(w)
    proposal.linked_trustees.add(w.trustees[4])
    body = {
        "proposal": proposal.pk,
        "held_on": TODAY.isoformat(),
        "motion": "That we fund it.",
        "votes": [{"trustee": t.pk, "vote": "for"} for t in w.trustees],
        "title": "Benches",
        "amount_pence": 60_000,
        "recipient_organisation": w.grantee.pk,
        "payment_mode": "reimbursement",
    }
    response = api(w.chair).post(
        reverse("api:decision-record", kwargs={"pk": w.fund.pk}), body, format="json"
    )
    assert response.status_code == 400
    assert "conflict" in response.json()["error"]["message"]
    assert not Decision.objects.exists()


def test_powers_need_a_two_factor_token(w):
    proposal = selected_proposal(w)
    decision = decide(w, amount_pence=40_000, proposal=proposal)
    body = {
        "title": "Benches",
        "recipient_organisation": w.grantee.pk,
        "contact_email": w.contact.email,
        "payment_mode": "advance",
        "tranches": 2,
    }
    url = reverse("api:grant-create", kwargs={"pk": decision.pk})
    refused = api(w.trustees[1], mfa=False).post(url, body, format="json")
    assert refused.status_code == 403
    assert not Grant.objects.exists()
    made = api(w.trustees[1]).post(url, body, format="json")
    assert made.status_code == 201, made.json()
    assert made.json()["granted_pence"] == 40_000
    assert [t["amount_pence"] for t in made.json()["tranches"]] == [20_000, 20_000]
    twice = api(w.trustees[1]).post(url, body, format="json")
    assert twice.status_code == 409


def test_release_hold_and_unhold_a_tranche(w, django_assert_num_queries):
    g = grant(w)
    first, second = g.tranches.order_by("number")
    auditor, finance = api(w.auditor), api(w.finance)
    held = auditor.post(
        reverse("api:tranche-hold", kwargs={"pk": first.pk}), {"reason": "Photos?"}, format="json"
    )
    assert held.status_code == 200 and held.json()["is_held"]
    refused = finance.post(reverse("api:tranche-release", kwargs={"pk": first.pk}))
    assert refused.status_code == 409
    assert "holding" in refused.json()["error"]["message"]
    lifted = auditor.delete(reverse("api:tranche-hold", kwargs={"pk": first.pk}))
    assert lifted.status_code == 200 and not lifted.json()["is_held"]
    assert auditor.delete(reverse("api:tranche-hold", kwargs={"pk": first.pk})).status_code == 409
    url = reverse("api:tranche-release", kwargs={"pk": first.pk})
    with django_assert_num_queries(42):
        paid = finance.post(url)
    assert paid.status_code == 200, paid.json()
    assert paid.json()["status"] == GrantTranche.Status.RELEASED
    # a retry pays nothing more
    assert finance.post(url).status_code == 200
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.TRANCHE_PAID).count() == 1
    # the funder's auditor cannot release; a trustee cannot hold
    assert auditor.post(reverse("api:tranche-release", kwargs={"pk": second.pk})).status_code == 403
    assert (
        api(w.chair)
        .post(reverse("api:tranche-hold", kwargs={"pk": second.pk}), {"reason": "x"}, format="json")
        .status_code
        == 403
    )


def test_suspend_and_resume_a_fund(w):
    auditor = api(w.auditor)
    suspend = reverse("api:fund-suspend", kwargs={"pk": w.fund.pk})
    resume = reverse("api:fund-resume", kwargs={"pk": w.fund.pk})
    assert auditor.post(resume, {}, format="json").status_code == 409
    response = auditor.post(suspend, {"reason": "Audit"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == Fund.Status.SUSPENDED
    assert auditor.post(resume, {}, format="json").json()["status"] == Fund.Status.ACTIVE
    assert api(w.finance).post(suspend, {"reason": "x"}, format="json").status_code == 403


def test_claim_submit_approve_pay_through_the_api(w, django_assert_num_queries):
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    url = reverse("api:claim-submit", kwargs={"pk": g.pk})
    with django_assert_num_queries(36):
        response = api(w.contact, mfa=False).post(
            url,
            {"description_1": "Compost", "amount_pence_1": "2500", "receipt_1": _file(pdf())},
            format="multipart",
        )
    assert response.status_code == 201, response.json()
    claim = Claim.objects.get(pk=response.json()["id"])
    assert claim.status == Claim.Status.SUBMITTED and claim.items.get().receipt
    pay = reverse("api:claim-pay", kwargs={"pk": claim.pk})
    assert api(w.finance).post(pay).status_code == 409  # not approved yet
    approved = api(w.trustees[2]).post(reverse("api:claim-approve", kwargs={"pk": claim.pk}))
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    paid = api(w.finance).post(pay)
    assert paid.status_code == 200 and paid.json()["status"] == "paid"
    assert api(w.finance).post(pay).status_code == 200  # once
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.CLAIM_PAID).count() == 1


def test_return_and_reject_a_claim(w):
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_file(actor=w.contact, grant=g, items=[item(2_000)])
    trustee = api(w.trustees[2])
    returned = trustee.post(
        reverse("api:claim-return", kwargs={"pk": claim.pk}), {"reason": "Blurry"}, format="json"
    )
    assert returned.json()["status"] == "incomplete"
    rejected = trustee.post(
        reverse("api:claim-reject", kwargs={"pk": claim.pk}), {"reason": "No"}, format="json"
    )
    assert rejected.json()["status"] == "rejected"
    again = trustee.post(
        reverse("api:claim-reject", kwargs={"pk": claim.pk}), {"reason": "No"}, format="json"
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"


def test_a_refused_receipt_stores_nothing(w):
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    response = api(w.contact).post(
        reverse("api:claim-submit", kwargs={"pk": g.pk}),
        {"description_1": "Compost", "amount_pence_1": "2500", "receipt_1": _file(b"not a file")},
        format="multipart",
    )
    assert response.status_code == 400
    assert "photo" in response.json()["error"]["message"]
    assert not Claim.objects.exists()


def test_a_json_claim_is_refused_415(w):
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    response = api(w.contact).post(
        reverse("api:claim-submit", kwargs={"pk": g.pk}),
        {"description_1": "x", "amount_pence_1": 1},
        format="json",
    )
    assert response.status_code == 415
    assert not Claim.objects.exists()


def test_receipt_read_is_permission_checked_and_audited_for_auditors(w, django_assert_num_queries):
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_file(actor=w.contact, grant=g, items=[item(2_000)])
    receipt = claim.items.get()
    url = reverse("api:receipt", kwargs={"pk": receipt.pk})
    with django_assert_num_queries(17):  # token, item, roles, the audit event and its chain
        response = api(w.auditor).get(url, HTTP_ACCEPT="image/jpeg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"
    assert AuditEvent.objects.filter(action="funds.receipt_viewed").count() == 1
    api(w.contact).get(url)  # the grantee's own read is not an auditor's
    assert AuditEvent.objects.filter(action="funds.receipt_viewed").count() == 1
    from tests.factories import UserFactory

    stranger = api(UserFactory())
    refused = stranger.get(url, HTTP_ACCEPT="image/jpeg")
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "forbidden"


def _file(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("receipt.bin", data)
