"""A resident asks for their polling code by text (issue 16): CODE through the signed inbound
webhook queues a text; the outbox task draws the code and texts it through the provider (a
stand-in server); the code votes once as the member, who then cannot vote again by any channel;
nobody else gets anything; the code is never at rest in our rows or logs."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from communities.identity import identity_key
from config.errors import ApplicationError, StateError
from notifications.code_texts import CARD_CODE_SMS_TASK
from notifications.models import SmsDelivery, SmsSubscription
from notifications.texts import sms_subscribe
from outbox.models import OutboxMessage
from outbox.services import outbox_drain
from tests.factories import MembershipFactory, resident
from tests.notifications.sms_standin import HTTP_TOKEN, HttpStandIn
from tests.voting.factories import postcode_in_area, proposal_ids, round_with_pot
from voting.models import Ballot, Participation, PollingCard, VoteRound
from voting.services import ballot_cast
from voting.services.cards import VoterIdentity, card_check, inperson_ballot_cast

pytestmark = pytest.mark.django_db
S = VoteRound.Status
SECRET = "gateway-secret"
PHONE = "07911 123456"
E164 = "+447911123456"
RITA = {
    "name": "Rita Resident",
    "house": "1 Hope Road",
    "postcode": "HP1 1AA",
    "age_band": "35_49",
    "connection": "lives",
}
CODE_IN_TEXT = re.compile(r"is ([0-9A-Z]{5}-[0-9A-Z]{5})\. Use it once at ")


@pytest.fixture
def gateway(settings):
    server = HttpStandIn().start()
    settings.SMS_PROVIDER = "http"
    settings.SMS_HTTP_URL = server.url + server.path
    settings.SMS_HTTP_TOKEN = HTTP_TOKEN
    settings.SMS_TIMEOUT_SECONDS = 3
    settings.SMS_HTTP_INBOUND_SECRET = SECRET
    yield server
    server.stop()


@pytest.fixture
def member():
    now = timezone.now()
    round, pot = round_with_pot(
        status=S.OPEN, opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=2)
    )
    postcode_in_area("HP11AA")
    membership = MembershipFactory(
        neighbourhood=round.neighbourhood,
        age_band="35_49",
        connection="lives",
        private_name="Rita Resident",
        private_house="1 Hope Road",
        private_postcode="HP11AA",
        identity_key=identity_key(name="Rita Resident", house="1 Hope Road", postcode="HP11AA"),
    )
    sms_subscribe(actor=membership.user, phone=PHONE, consent=True)
    return round, pot, membership.user


def _text(client, message: str, sender: str = PHONE) -> str:
    body = json.dumps({"from": sender, "message": message}).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    answer = client.post(
        reverse("notifications:sms_inbound_http"),
        body,
        content_type="application/json",
        headers={"X-Signature": signature},
    )
    assert answer.status_code == 200
    return answer.json()["result"]


def _codes(gateway) -> list[str]:
    return [CODE_IN_TEXT.search(m["body"]).group(1) for m in gateway.messages]


def _vote_with(code: str, round: VoteRound, **identity):
    card = card_check(code=code)
    return inperson_ballot_cast(
        round=round,
        identity=VoterIdentity(keys=[], member_ids=[], **{**RITA, **identity}),
        choices={p.pk: proposal_ids(p)[:1] for p in round.pots.all()},
        channel="card",
        card_id=card.pk,
    )


def test_code_by_text_votes_once_as_the_member_who_then_cannot_vote_by_account(
    client, gateway, member, django_capture_on_commit_callbacks, caplog
):
    round, pot, user = member
    caplog.set_level(logging.DEBUG)
    # when the member texts the keyword (any case, spaces) through the signed webhook
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "  code ") == "code_queued"
    # then one text reached the provider, with a code, a link and no choice
    assert [m["to"] for m in gateway.messages] == [E164]
    text = gateway.messages[0]["body"]
    assert text.startswith(f"Common Purse: your polling code for “{round.title}” is ")
    assert "/votes/card/" in text and "Nobody will ask you for it" in text and "STOP" in text
    for item in pot.items.select_related("proposal"):
        assert item.proposal.title not in text
    (code,) = _codes(gateway)
    card = PollingCard.objects.get(round=round, issued_to=user)
    assert card.issued_by_text and card.sent_at and card.used_at is None
    # the code is at rest nowhere: not in the outbox, the card, the delivery, the audit trail
    # or the logs
    plain = code.replace("-", "")
    rows = [
        *OutboxMessage.objects.values_list("task", "args", "last_error"),
        *PollingCard.objects.values_list("code_hash", "number"),
        *SmsDelivery.objects.values_list("kind", "provider", "provider_ref"),
        *AuditEvent.objects.values_list("action", "changes"),
    ]
    assert rows and all(plain not in str(r) and code not in str(r) for r in rows)
    assert code not in caplog.text and plain not in caplog.text
    assert list(OutboxMessage.objects.filter(task=CARD_CODE_SMS_TASK).values_list("args")) == [
        ([card.pk],)
    ]
    event = AuditEvent.objects.get(action="voting.card_issued_by_text")
    assert event.changes == {"card_number": card.number}
    assert E164 not in str(event.changes)
    # the code votes once, as the member
    results = _vote_with(code.lower(), round)
    assert len(results) == 1
    rows = Participation.objects.filter(round=round)
    assert [(r.channel, r.membership.user_id) for r in rows] == [("card", user.pk)]
    with pytest.raises(ApplicationError, match="already been used"):
        card_check(code=code)
    # and the member cannot vote again through their account
    with pytest.raises(StateError, match="polling code"):
        ballot_cast(actor=user, pot=pot, choices=proposal_ids(pot)[:1])
    assert Ballot.objects.filter(round=round).count() == 1
    # nor ask for another code
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "CODE") == "already_voted"
    assert len(gateway.messages) == 1


def test_a_member_who_voted_already_gets_nothing(
    client, gateway, member, django_capture_on_commit_callbacks
):
    round, pot, user = member
    ballot_cast(actor=user, pot=pot, choices=proposal_ids(pot)[:1])
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "CODE") == "already_voted"
    assert gateway.messages == []
    assert not PollingCard.objects.filter(issued_to=user).exists()


def test_unknown_opted_out_and_no_round_numbers_get_nothing(
    client, gateway, member, django_capture_on_commit_callbacks
):
    round, _, user = member
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "CODE", sender="07912 345678") == "unknown_number"
        SmsSubscription.objects.filter(user=user).update(opted_out_at=timezone.now())
        assert _text(client, "CODE") == "opted_out"
        SmsSubscription.objects.filter(user=user).update(opted_out_at=None)
        VoteRound.objects.filter(pk=round.pk).update(status=S.CLOSED)
        assert _text(client, "CODE") == "no_open_round"
        # a member elsewhere (not of this round's neighbourhood) gets nothing either
        VoteRound.objects.filter(pk=round.pk).update(status=S.OPEN)
        stranger = resident(round_with_pot()[0].neighbourhood)
        VoteRound.objects.exclude(pk=round.pk).update(status=S.CLOSED)
        sms_subscribe(actor=stranger, phone="07400 123456", consent=True)
        assert _text(client, "CODE", sender="07400 123456") == "no_open_round"
    assert gateway.messages == []
    assert not PollingCard.objects.filter(issued_by_text=True).exists()
    assert not OutboxMessage.objects.filter(task=CARD_CODE_SMS_TASK).exists()


def test_asking_again_voids_the_first_code_and_three_is_the_limit(
    client, gateway, member, django_capture_on_commit_callbacks
):
    round, _, user = member
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "CODE") == "code_queued"
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "Code.") == "code_queued"
    first, second = _codes(gateway)
    assert first != second
    with pytest.raises(ApplicationError, match="do not recognise"):
        card_check(code=first)
    assert card_check(code=second).issued_to == user
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "CODE") == "code_queued"
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "CODE") == "limit"  # nothing queued, nothing texted
    assert len(gateway.messages) == 3
    assert PollingCard.objects.filter(issued_to=user).count() == 3
    third = _codes(gateway)[2]
    for old in (first, second):
        with pytest.raises(ApplicationError, match="do not recognise"):
            card_check(code=old)
    assert _vote_with(third, round)


def test_the_keyword_is_rate_limited_per_number(
    client, gateway, member, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answers = [_text(client, "CODE") for _ in range(6)]
    assert answers[:3] == ["code_queued"] * 3
    assert answers[3:5] == ["limit", "limit"]
    assert answers[5] == "rate_limited"
    assert len(gateway.messages) == 3


def test_provider_down_leaves_no_usable_code_and_the_retry_sends_once(
    client, gateway, member, django_capture_on_commit_callbacks
):
    round, _, user = member
    gateway.stop()
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "CODE") == "code_queued"
    queued = OutboxMessage.objects.get(task=CARD_CODE_SMS_TASK)
    assert queued.done_at is None and "did not take the text" in queued.last_error
    card = PollingCard.objects.get(issued_to=user)
    assert card.sent_at is None and not re.fullmatch(r"[0-9a-f]{64}", card.code_hash)
    assert not SmsDelivery.objects.exists()
    assert not AuditEvent.objects.filter(action="voting.card_issued_by_text").exists()
    # the provider returns; the outbox runs the text again (and again: sent once)
    gateway.start()
    assert outbox_drain()["done"] == 1
    assert outbox_drain()["pending"] == 0
    from notifications.tasks import card_code_sms_task

    assert card_code_sms_task(card.pk) is False  # a duplicate delivery sends nothing
    (code,) = _codes(gateway)
    assert SmsDelivery.objects.get().card_id == card.pk
    assert _vote_with(code, round)


def test_a_text_code_is_only_for_the_member_it_was_sent_to(
    client, gateway, member, django_capture_on_commit_callbacks
):
    round, _, user = member
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "CODE") == "code_queued"
    (code,) = _codes(gateway)
    with pytest.raises(ApplicationError, match="registered with"):
        _vote_with(code, round, name="Sam Other", house="2 Hope Road")
    assert PollingCard.objects.get(issued_to=user).used_at is None
    assert not Participation.objects.exists()


def test_trustees_see_how_many_codes_went_by_text_not_a_batch_each(
    client, gateway, member, django_capture_on_commit_callbacks
):
    from tests.factories import trustee

    round, _, _ = member
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "CODE") == "code_queued"
    client.force_login(trustee(round.neighbourhood))
    page = client.get(reverse("voting:cards", args=[round.pk])).content.decode()
    assert "Members asked for 1 code by text" in page
    assert "asked for by text</td>" not in page and "No cards yet." in page


def test_after_a_text_code_vote_the_paper_desk_and_another_card_refuse_the_member(
    client, gateway, member, django_capture_on_commit_callbacks
):
    from tests.factories import trustee
    from tests.voting.factories import keyer
    from voting.services import paper_voter_mark, volunteer_appoint
    from voting.services.cards import card_batch_issue

    round, _, user = member
    VoteRound.objects.filter(pk=round.pk).update(channel_paper=True)
    round.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "CODE") == "code_queued"
    (code,) = _codes(gateway)
    _vote_with(code, round)
    chair = trustee(round.neighbourhood)
    helper = keyer(round.neighbourhood)
    volunteer_appoint(actor=chair, round=round, user=helper)
    membership = user.memberships.get()
    with pytest.raises(StateError, match="already voted"):
        paper_voter_mark(actor=helper, round=round, membership=membership)
    printed = card_batch_issue(actor=chair, round=round, count=1).codes[0][1]
    with pytest.raises(StateError, match="already voted"):
        _vote_with(printed, round, name="Mrs Rita Resident", house="1 Hope Rd")
    assert Ballot.objects.filter(round=round).count() == 1


def test_a_member_who_voted_with_a_printed_card_gets_no_code(
    client, gateway, member, django_capture_on_commit_callbacks
):
    from tests.factories import trustee
    from voting.services.cards import card_batch_issue

    round, _, user = member
    printed = card_batch_issue(actor=trustee(round.neighbourhood), round=round, count=1)
    _vote_with(printed.codes[0][1], round)  # by name and address, no account
    with django_capture_on_commit_callbacks(execute=True):
        assert _text(client, "CODE") == "already_voted"
    assert gateway.messages == []
