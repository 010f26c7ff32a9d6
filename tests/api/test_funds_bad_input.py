"""Bad input to the funds API: wrong types, unknown fields, invalid ids, the wrong state,
expired or revoked tokens, bodies over the caps. Always 4xx in the error format, and nothing
changes."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import ApiToken
from audit.models import AuditEvent
from funds.models import Claim, Decision, Fund, Grant, GrantTranche, JournalEntry
from tests.api.helpers import make_token, token_client
from tests.funds.factories import TODAY, grant, make_world, selected_proposal

pytestmark = pytest.mark.django_db


@pytest.fixture
def w():
    world = make_world()
    world.extra["grant"] = grant(world)
    return world


def _state():
    return (
        Decision.objects.count(),
        Grant.objects.count(),
        Claim.objects.count(),
        JournalEntry.objects.count(),
        AuditEvent.objects.count(),
        list(GrantTranche.objects.order_by("pk").values_list("status", "held_reason")),
        list(Fund.objects.values_list("status", flat=True)),
    )


def _decision_body(w, the_proposal, **changes):
    body = {
        "proposal": the_proposal.pk,
        "held_on": TODAY.isoformat(),
        "motion": "That we fund it.",
        "votes": [{"trustee": t.pk, "vote": "for"} for t in w.trustees],
        "title": "Benches",
        "amount_pence": 60_000,
        "recipient_organisation": w.grantee.pk,
        "payment_mode": "reimbursement",
    }
    body.update(changes)
    return body


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"amount_pence": "60000"}, "amount_pence"),  # text, not a number
        ({"amount_pence": 0}, "amount_pence"),
        ({"proposal": True}, "proposal"),
        ({"payment_mode": "cash"}, "payment_mode"),
        ({"held_on": "yesterday"}, "held_on"),
        ({"votes": [{"trustee": 1, "vote": "maybe"}]}, "votes.0.vote"),
        ({"votes": []}, "votes.non_field_errors"),
        ({"colour": "red"}, "colour"),  # unknown field
        ({"tranches_pence": [1, 2, 3, 4]}, "tranches_pence"),
    ],
)
def test_a_bad_decision_body_is_400_and_stores_nothing(w, changes, field):
    proposal = selected_proposal(w)
    before = _state()
    response = token_client(make_token(w.chair, mfa=True)).post(
        reverse("api:decision-record", kwargs={"pk": w.fund.pk}),
        _decision_body(w, proposal, **changes),
        format="json",
    )
    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert _state() == before


def test_ids_that_do_not_exist(w):
    proposal = selected_proposal(w)
    api = token_client(make_token(w.chair, mfa=True))
    before = _state()
    missing_person = api.post(
        reverse("api:decision-record", kwargs={"pk": w.fund.pk}),
        _decision_body(w, proposal, votes=[{"trustee": 10**15, "vote": "for"}]),
        format="json",
    )
    assert missing_person.status_code == 400
    missing_proposal = api.post(
        reverse("api:decision-record", kwargs={"pk": w.fund.pk}),
        _decision_body(w, proposal, proposal=10**15),
        format="json",
    )
    assert missing_proposal.json()["error"]["fields"] == {"proposal": [
        "There is no such proposal in this fund's neighbourhood."
    ]}  # fmt: skip
    for name in ("tranche-release", "claim-approve", "claim-pay", "fund-suspend"):
        response = api.post(f"/api/v1/{_path(name)}/{10**15}/{_verb(name)}/", {}, format="json")
        assert response.status_code == 404, name
        assert response.json()["error"]["code"] == "not_found"
    assert api.get("/api/v1/grants/1234567890123456789/").status_code == 404  # over 18 digits
    assert api.get("/api/v1/grants/abc/").status_code == 404
    assert _state() == before


def _path(name: str) -> str:
    return {"tranche": "tranches", "claim": "claims", "fund": "funds"}[name.split("-")[0]]


def _verb(name: str) -> str:
    return name.split("-")[1]


def test_wrong_state_is_409_and_changes_nothing(w):
    g = w.extra["grant"]
    second = g.tranches.get(number=2)
    finance = token_client(make_token(w.finance, mfa=True))
    before = _state()
    # the second tranche waits for the first (and for a spend report)
    response = finance.post(reverse("api:tranche-release", kwargs={"pk": second.pk}))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert response.json()["error"]["message"]
    assert _state() == before


@pytest.mark.parametrize("how", ["expired", "revoked", "unknown"])
def test_expired_revoked_or_unknown_tokens_are_401(w, how):
    tranche = w.extra["grant"].tranches.get(number=1)
    secret = make_token(w.finance, mfa=True)
    if how == "expired":
        ApiToken.objects.update(
            created_at=timezone.now() - datetime.timedelta(days=10),
            expires_at=timezone.now() - datetime.timedelta(seconds=1),
        )
    if how == "revoked":
        ApiToken.objects.update(revoked_at=timezone.now())
    if how == "unknown":
        secret = "cp_nobody"
    before = _state()
    response = token_client(secret).post(reverse("api:tranche-release", kwargs={"pk": tranche.pk}))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert _state() == before


def test_reasons_are_required_text(w):
    tranche = w.extra["grant"].tranches.get(number=1)
    auditor = token_client(make_token(w.auditor, mfa=True))
    before = _state()
    url = reverse("api:tranche-hold", kwargs={"pk": tranche.pk})
    assert auditor.post(url, {"reason": 12}, format="json").status_code == 400
    assert auditor.post(url, {}, format="json").status_code == 400
    assert auditor.post(url, {"reason": "   "}, format="json").status_code == 400
    assert auditor.post(url, b"{not json", content_type="application/json").status_code == 400
    assert _state() == before


def test_a_json_body_over_1_mb_is_413(w):
    tranche = w.extra["grant"].tranches.get(number=1)
    auditor = token_client(make_token(w.auditor, mfa=True))
    before = _state()
    response = auditor.post(
        reverse("api:tranche-hold", kwargs={"pk": tranche.pk}),
        {"reason": "x" * (1024 * 1024 + 10)},
        format="json",
    )
    assert response.status_code == 413
    assert _state() == before


def test_claim_with_an_unknown_field_or_a_missing_receipt(w):
    g = w.extra["grant"]
    contact = token_client(make_token(w.contact))
    url = reverse("api:claim-submit", kwargs={"pk": g.pk})
    before = _state()
    unknown = contact.post(
        url, {"description_1": "x", "amount_pence_1": "5", "colour": "red"}, format="multipart"
    )
    assert unknown.status_code == 400 and "colour" in unknown.json()["error"]["fields"]
    no_receipt = contact.post(
        url, {"description_1": "x", "amount_pence_1": "5"}, format="multipart"
    )
    assert no_receipt.status_code == 400 and "receipt_1" in no_receipt.json()["error"]["fields"]
    not_a_number = contact.post(
        url, {"description_1": "x", "amount_pence_1": "five"}, format="multipart"
    )
    assert "amount_pence_1" in not_a_number.json()["error"]["fields"]
    assert _state() == before
