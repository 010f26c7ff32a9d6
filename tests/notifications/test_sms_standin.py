"""Texts through each provider's real client against a local stand-in of its HTTP API
(issue 16, acceptance 4): a provider that is down never blocks a page; the texts wait in the
outbox and, once the stand-in is back, each is delivered exactly once.

Heavy (it starts HTTP servers): runs when COMMONPURSE_HEAVY_TESTS=1 (CI's PostgreSQL pass, as
RULINGS place the SMS stand-in there).
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from notifications.models import RoundNotice, SmsDelivery
from notifications.services import closing_reminders_queue
from notifications.sms import SmsError, sms_provider
from notifications.tasks import notice_sms_task
from notifications.texts import NOTICE_SMS_TASK, sms_subscribe
from outbox.models import OutboxMessage
from outbox.services import outbox_drain
from tests.factories import resident, trustee
from tests.notifications.sms_standin import (
    HTTP_TOKEN,
    NOTIFY_API_KEY,
    TEMPLATE_ID,
    HttpStandIn,
    NotifyStandIn,
)
from tests.voting.factories import round_with_pot
from voting.models import VoteRound

HEAVY = os.environ.get("COMMONPURSE_HEAVY_TESTS") == "1"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not HEAVY, reason="heavy: set COMMONPURSE_HEAVY_TESTS=1 (CI does)"),
]
S = VoteRound.Status


def _use_notify(settings, stand_in):
    settings.SMS_PROVIDER = "notify"
    settings.NOTIFY_API_KEY = NOTIFY_API_KEY
    settings.NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    settings.NOTIFY_BASE_URL = stand_in.url
    settings.SMS_TIMEOUT_SECONDS = 3


def _use_http(settings, stand_in):
    settings.SMS_PROVIDER = "http"
    settings.SMS_HTTP_URL = stand_in.url + stand_in.path
    settings.SMS_HTTP_TOKEN = HTTP_TOKEN
    settings.SMS_TIMEOUT_SECONDS = 3


@pytest.fixture(params=["notify", "http"])
def stand_in(request, settings):
    server = (NotifyStandIn if request.param == "notify" else HttpStandIn)().start()
    (_use_notify if request.param == "notify" else _use_http)(settings, server)
    yield server
    server.stop()


def _texting_resident(neighbourhood, phone: str):
    user = resident(neighbourhood)
    sms_subscribe(actor=user, phone=phone, consent=True)
    return user


def _port_refuses(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_each_provider_sends_through_its_client_to_the_stand_in(stand_in):
    ref = sms_provider().send(to="+447911123456", body="Voting opens", reference="cp-1")
    assert ref  # the provider's id for the message
    assert stand_in.messages == [
        {"to": "+447911123456", "body": "Voting opens", "reference": "cp-1"}
    ]
    assert stand_in.refused == []


def test_a_provider_with_the_wrong_credentials_is_an_error_not_a_send(stand_in, settings):
    settings.NOTIFY_API_KEY = NOTIFY_API_KEY[:-4] + "0000"
    settings.SMS_HTTP_TOKEN = "wrong"
    with pytest.raises(SmsError):
        sms_provider().send(to="+447911123456", body="x", reference="cp-1")
    assert stand_in.messages == [] and stand_in.refused in ([401], [403])


def test_with_the_stand_in_stopped_reminders_queue_and_are_delivered_once_when_it_returns(
    stand_in, django_capture_on_commit_callbacks
):
    # given a round closing within a day, two members with texts on and one without
    now = timezone.now()
    round, _ = round_with_pot(
        status=S.OPEN, opens_at=now - timedelta(days=2), closes_at=now + timedelta(hours=20)
    )
    _texting_resident(round.neighbourhood, "07911 123456")
    _texting_resident(round.neighbourhood, "+44 7912 345678")
    resident(round.neighbourhood)
    # when the provider is down and the hourly reminder job runs (twice)
    stand_in.stop()
    assert _port_refuses(stand_in.port)
    with django_capture_on_commit_callbacks(execute=True):
        assert closing_reminders_queue() == [round.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert closing_reminders_queue() == []  # already reminded: nothing queued again
    # then the emails went, and the two texts wait in the outbox with the provider's error
    assert len(mail.outbox) == 3
    texts = OutboxMessage.objects.filter(task=NOTICE_SMS_TASK)
    assert texts.count() == 2
    assert {(t.done_at, t.attempts) for t in texts} == {(None, 1)}
    assert all("did not take the text" in t.last_error for t in texts)
    assert not SmsDelivery.objects.exists()
    # when the stand-in returns (same address) and the outbox is drained
    stand_in.start()
    assert outbox_drain()["done"] == 2
    # then each text arrived exactly once, and nothing more goes on later runs
    assert sorted(m["to"] for m in stand_in.messages) == ["+447911123456", "+447912345678"]
    assert all("closes tomorrow" in m["body"] and "STOP" in m["body"] for m in stand_in.messages)
    assert outbox_drain()["pending"] == 0
    user_id = SmsDelivery.objects.values_list("user_id", flat=True).first()
    assert notice_sms_task(user_id, round.pk, "closing") is False  # a duplicate delivery
    with django_capture_on_commit_callbacks(execute=True):
        closing_reminders_queue()
    assert len(stand_in.messages) == 2
    assert SmsDelivery.objects.count() == 2
    assert RoundNotice.objects.filter(round=round, kind="closing").count() == 1


def test_a_provider_that_is_down_never_blocks_a_trustees_page(
    stand_in, client, django_capture_on_commit_callbacks
):
    now = timezone.now()
    round, _ = round_with_pot(
        status=S.PUBLISHED, opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=8)
    )
    chair = trustee(round.neighbourhood)
    _texting_resident(round.neighbourhood, "07911 123456")
    stand_in.stop()
    client.force_login(chair)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("voting:round_open_now", args=[round.pk]), {"confirm": "yes"}
        )
    assert response.status_code == 302
    round.refresh_from_db()
    assert round.status == S.OPEN
    waiting = OutboxMessage.objects.get(task=NOTICE_SMS_TASK)
    assert waiting.done_at is None and waiting.last_error
    stand_in.start()
    outbox_drain()
    assert [m["to"] for m in stand_in.messages] == ["+447911123456"]
    assert "is open until" in stand_in.messages[0]["body"]
