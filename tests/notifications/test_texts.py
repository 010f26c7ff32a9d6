"""Text messages without a stand-in (issue 16): UK numbers to E.164, consent recorded with its
time, STOP by text (authenticated webhooks) and in preferences, texts queued with round notices
and sent once through the console provider (the embedded default)."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from config.errors import ApplicationError
from notifications.models import SmsDelivery, SmsSubscription
from notifications.services import notification_preferences_update
from notifications.sms.phone import mobile_number_normalise
from notifications.tasks import notice_sms_task
from notifications.texts import NOTICE_SMS_TASK, notice_sms_body, sms_subscribe
from outbox.models import OutboxMessage
from tests.factories import resident
from tests.voting.factories import round_with_pot
from voting.models import VoteRound
from voting.services import rounds_advance

pytestmark = pytest.mark.django_db
S = VoteRound.Status


@pytest.mark.parametrize(
    "typed",
    [
        "07911 123456",
        "07911123456",
        "+44 7911 123456",
        "0044 7911 123456",
        "(0)7911-123456",
        " 447911123456 ",
    ],
)
def test_uk_mobile_numbers_as_typed_become_e164(typed):
    assert mobile_number_normalise(typed) == "+447911123456"


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "Enter your mobile number"),
        ("12345", "Enter a UK mobile number"),
        ("020 7946 0958", "not a mobile number"),
        ("+33 6 12 34 56 78", "Enter a UK mobile number"),
        ("call me", "Enter a UK mobile number"),
    ],
)
def test_other_numbers_are_refused_with_a_plain_message(typed, says):
    with pytest.raises(ApplicationError, match=says):
        mobile_number_normalise(typed)


def test_a_number_is_kept_only_with_consent_and_its_time():
    user = resident(round_with_pot()[0].neighbourhood)
    with pytest.raises(ApplicationError, match="Tick the box"):
        sms_subscribe(actor=user, phone="07911 123456", consent=False)
    assert not SmsSubscription.objects.exists()
    before = timezone.now()
    sub = sms_subscribe(actor=user, phone="07911 123456", consent=True)
    assert sub.phone_e164 == "+447911123456" and sub.consented_at >= before and sub.active
    event = AuditEvent.objects.filter(action="notifications.sms_consented").get()
    assert "447911" not in json.dumps(event.changes)  # the trail records consent, not the number


def test_preferences_page_turns_texts_on_and_off_and_shows_errors_by_the_field(client):
    user = resident(round_with_pot()[0].neighbourhood)
    client.force_login(user)
    url = reverse("notifications:preferences")
    page = client.get(url)
    assert page.status_code == 200 and b"Text messages (optional)" in page.content
    bad = client.post(url, {"form": "texts", "phone": "020 7946 0958", "consent": "yes"})
    assert bad.status_code == 400
    assert b'href="#id_phone"' in bad.content and b"not a mobile number" in bad.content
    assert not SmsSubscription.objects.exists()
    ok = client.post(url, {"form": "texts", "phone": "07911 123456", "consent": "yes"})
    assert ok.status_code == 302
    assert SmsSubscription.objects.get(user=user).active
    assert b"+447911123456" in client.get(url).content
    client.post(url, {"form": "texts", "action": "stop"})
    sub = SmsSubscription.objects.get(user=user)
    assert not sub.active and sub.opt_out_source == "preferences"


def _signed(body: bytes, secret: str) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_stop_by_text_through_the_notify_callback_needs_its_bearer_token(client, settings):
    settings.NOTIFY_INBOUND_TOKEN = "inbound-secret"
    user = resident(round_with_pot()[0].neighbourhood)
    sms_subscribe(actor=user, phone="07911 123456", consent=True)
    url = reverse("notifications:sms_inbound_notify")
    payload = {
        "id": "1",
        "source_number": "447911123456",
        "destination_number": "07700900000",
        "message": "Stop",
        "date_received": "2026-12-03T09:00:00.000000Z",
    }
    refused = client.post(url, payload, content_type="application/json")
    assert refused.status_code == 403
    wrong = client.post(
        url, payload, content_type="application/json", headers={"Authorization": "Bearer no"}
    )
    assert wrong.status_code == 403
    assert SmsSubscription.objects.get(user=user).active
    ok = client.post(
        url,
        payload,
        content_type="application/json",
        headers={"Authorization": "Bearer inbound-secret"},
    )
    assert ok.status_code == 200 and ok.json() == {"result": "stopped"}
    sub = SmsSubscription.objects.get(user=user)
    assert not sub.active and sub.opt_out_source == "stop"


def test_stop_through_the_generic_webhook_needs_the_body_signature(client, settings):
    settings.SMS_HTTP_INBOUND_SECRET = "gateway-secret"
    user = resident(round_with_pot()[0].neighbourhood)
    sms_subscribe(actor=user, phone="07911 123456", consent=True)
    url = reverse("notifications:sms_inbound_http")
    body = json.dumps({"from": "+447911123456", "message": "STOP"}).encode()
    forged = client.post(
        url, body, content_type="application/json", headers={"X-Signature": "0" * 64}
    )
    assert forged.status_code == 403 and SmsSubscription.objects.get(user=user).active
    other = json.dumps({"from": "+447911123456", "message": "yes to project 3"}).encode()
    ignored = client.post(
        url,
        other,
        content_type="application/json",
        headers={"X-Signature": _signed(other, "gateway-secret")},
    )
    assert ignored.json() == {"result": "ignored"}  # nothing is read from texts but STOP
    assert SmsSubscription.objects.get(user=user).active
    bad = client.post(
        url,
        b"not json",
        content_type="application/json",
        headers={"X-Signature": _signed(b"not json", "gateway-secret")},
    )
    assert bad.status_code == 400
    ok = client.post(
        url,
        body,
        content_type="application/json",
        headers={"X-Signature": _signed(body, "gateway-secret")},
    )
    assert ok.json() == {"result": "stopped"}
    assert not SmsSubscription.objects.get(user=user).active


def test_webhooks_refuse_everything_when_no_secret_is_configured(client, settings):
    settings.NOTIFY_INBOUND_TOKEN = ""
    settings.SMS_HTTP_INBOUND_SECRET = ""
    body = json.dumps({"from": "+447911123456", "message": "STOP"}).encode()
    assert (
        client.post(
            reverse("notifications:sms_inbound_http"),
            body,
            content_type="application/json",
            headers={"X-Signature": _signed(body, "")},
        ).status_code
        == 403
    )
    assert (
        client.post(
            reverse("notifications:sms_inbound_notify"),
            body,
            content_type="application/json",
            headers={"Authorization": "Bearer "},
        ).status_code
        == 403
    )


def _published_round():
    now = timezone.now()
    return round_with_pot(
        status=S.PUBLISHED, opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=3)
    )


def test_opening_texts_members_with_texts_on_once_and_skips_the_rest(
    django_capture_on_commit_callbacks, caplog
):
    round, _ = _published_round()
    texted = resident(round.neighbourhood)
    sms_subscribe(actor=texted, phone="07911 123456", consent=True)
    stopped = resident(round.neighbourhood)
    sms_subscribe(actor=stopped, phone="07912 345678", consent=True)
    SmsSubscription.objects.filter(user=stopped).update(opted_out_at=timezone.now())
    no_opens = resident(round.neighbourhood)
    sms_subscribe(actor=no_opens, phone="07400 123456", consent=True)
    notification_preferences_update(actor=no_opens, delivery="immediate", kinds=["closing"])
    resident(round.neighbourhood)  # no number
    with django_capture_on_commit_callbacks(execute=True):
        rounds_advance()
    queued = OutboxMessage.objects.filter(task=NOTICE_SMS_TASK)
    assert [m.args for m in queued] == [[texted.pk, round.pk, "opens"]]  # ids only, no number
    assert queued.get().done_at is not None
    assert list(SmsDelivery.objects.values_list("user_id", "kind", "provider")) == [
        (texted.pk, "opens", "console")
    ]
    assert "+447911123456" in caplog.text and "is open until" in caplog.text
    # a duplicate delivery sends nothing
    assert notice_sms_task(texted.pk, round.pk, "opens") is False
    assert SmsDelivery.objects.count() == 1


def test_closed_is_not_texted_and_a_text_never_carries_choices(
    django_capture_on_commit_callbacks,
):
    round, pot = _published_round()
    user = resident(round.neighbourhood)
    sms_subscribe(actor=user, phone="07911 123456", consent=True)
    assert notice_sms_task(user.pk, round.pk, "closed") is False
    body = notice_sms_body(round, "results", timezone.now())
    assert "results" in body.lower() and "STOP" in body
    for item in pot.items.all():
        assert item.proposal.title not in body


def test_a_keyword_handler_registered_by_another_app_gets_the_senders_number(
    client, settings, monkeypatch
):
    from notifications import texts

    settings.SMS_HTTP_INBOUND_SECRET = "gateway-secret"
    asked = []
    monkeypatch.setitem(texts.INBOUND_COMMANDS, "CODE", lambda n: asked.append(n) or "code_sent")
    body = json.dumps({"from": "07911 123456", "message": " code "}).encode()
    answer = client.post(
        reverse("notifications:sms_inbound_http"),
        body,
        content_type="application/json",
        headers={"X-Signature": _signed(body, "gateway-secret")},
    )
    assert answer.json() == {"result": "code_sent"} and asked == ["+447911123456"]
