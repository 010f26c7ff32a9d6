"""A resident asks for their polling code by text (issue 16): the CODE keyword and the text.

Apps depend one way: notifications already reads voting (rounds for notices), so this module,
in notifications, answers the keyword by calling voting's services
(voting/services/card_texts.py), and NotificationsConfig.ready registers it in
`INBOUND_COMMANDS`; voting never imports notifications.

Who gets a code: only a number with an active, consented subscription whose owner is an active
member of the neighbourhood of an open round (taking online votes), may vote in it, and has
not voted in it by any channel. Each such member and round gets a fresh polling card bound to
the member; the text says "Common Purse: your polling code for “<round>” is ABCDE-FGHJK. Use it
once at <card page> before <close>. Nobody will ask you for it. Reply STOP to stop texts."
Never a choice, and no choice is ever read from a text.

Every other case answers the webhook with a result word and sends nothing: "unknown_number",
"opted_out", "no_open_round", "already_voted", "not_eligible", "limit" (3 codes per member
and round: a fourth ask is not answered by text either, so a loop between two automated
senders, or a prank, costs at most three texts) and "rate_limited" (more than
`MAX_ASKS_PER_NUMBER` CODE texts from one number in an hour; the counter lives in the cache and
fails soft, as the card page's limits do: an outage never blocks a resident, and the per-member
limit in the database still holds).

Where the code lives: nowhere at rest. The webhook's transaction makes the card with a
placeholder hash and queues `card_code_sms_task(card_id)` in the outbox (ids only). The task,
in one transaction, draws the code, stores its keyed hash, records an `SmsDelivery` (kind
"code", one per card) and calls the provider. If the provider is down, everything rolls back
(the card stays unusable) and the outbox retries later with a freshly drawn code; once sent,
the delivery row and the card's `sent_at` make any duplicate run send nothing. So the code
exists in clear only in the provider call and on the member's phone: never in the outbox row,
a card row, the delivery row, the audit trail ("voting.card_issued_by_text": round and card
number) or our logs (the console provider, for development only, logs what it "sends").
"""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from communities.identity import keyed_hash
from outbox.services import outbox_enqueue
from voting.models import PollingCard, VoteRound
from voting.services.card_texts import text_card_code_issue, text_card_request, text_rounds_for

from .models import SMS_CODE, SmsDelivery, SmsSubscription
from .sms import sms_provider

CARD_CODE_SMS_TASK = "notifications.tasks.card_code_sms_task"
CODE_KEYWORD = "CODE"
MAX_ASKS_PER_NUMBER = 5  # CODE texts per number per hour
RATE_WINDOW = 3600
# When one text covers several members or rounds, the answer is the most useful word.
_ANSWER_ORDER = ("code_queued", "limit", "already_voted", "not_eligible")


def _rate_key(number: str) -> str:
    return f"cp:sms-code:{keyed_hash('notifications.code-rate', number)}"


def _rate_limited(number: str) -> bool:
    key = _rate_key(number)
    try:
        cache.add(key, 0, timeout=RATE_WINDOW)
        return cache.incr(key) > MAX_ASKS_PER_NUMBER
    except Exception:  # noqa: BLE001 - fail soft: a broken cache never blocks a resident
        return False


def card_code_text_request(number: str) -> str:
    """The CODE keyword from `number` (E.164), in the webhook's transaction: queue one polling
    code text per member with texts on at that number and per open round they may still vote
    in. Returns a result word; sends nothing itself."""
    if _rate_limited(number):
        return "rate_limited"
    subs = list(SmsSubscription.objects.filter(phone_e164=number).select_related("user"))
    if not subs:
        return "unknown_number"
    subs = [s for s in subs if s.active and s.user.is_active]
    if not subs:
        return "opted_out"
    answers = []
    for sub in subs:
        for round, _membership in text_rounds_for(sub.user):
            card = text_card_request(user=sub.user, round=round)
            if isinstance(card, PollingCard):
                outbox_enqueue(CARD_CODE_SMS_TASK, card.pk)  # the card's id only
                answers.append("code_queued")
            else:
                answers.append(card)
    if not answers:
        return "no_open_round"
    return next(word for word in _ANSWER_ORDER if word in answers)


def card_code_sms_body(round: VoteRound, code: str) -> str:
    """The text: the code, where and until when to use it, and a warning. Never choices."""
    from .services import site_link

    title = round.title if len(round.title) <= 60 else round.title[:57] + "..."
    closes = timezone.localtime(round.closes_at).strftime("%a %-d %b at %H:%M")
    link = site_link(reverse("voting:card"))
    return (
        f"Common Purse: your polling code for “{title}” is {code}. Use it once at {link} "
        f"before {closes}. Nobody will ask you for it. Reply STOP to stop texts."
    )


@sensitive_variables("code", "body", "issued")
def card_code_sms_send(*, card_id: int) -> bool:
    """Text a member the code of their text card (run once per outbox row); False if nothing
    to send. The code is drawn, hashed onto the card, recorded as delivered and handed to the
    provider in one transaction: `SmsError` rolls all of it back and the outbox retries."""
    card = PollingCard.objects.filter(pk=card_id, issued_by_text=True).first()
    if card is None or card.issued_to_id is None or card.sent_at:
        return False
    sub = SmsSubscription.objects.filter(user_id=card.issued_to_id).first()
    if sub is None or not sub.active:
        return False  # opted out after asking: the card never gets a code
    provider = sms_provider()
    with transaction.atomic():
        issued = text_card_code_issue(card_id=card_id)
        if issued is None:
            return False
        card, code = issued
        delivery = SmsDelivery.objects.create(
            user_id=card.issued_to_id,
            round_id=card.round_id,
            kind=SMS_CODE,
            card=card,
            provider=provider.name,
        )
        body = card_code_sms_body(card.round, code)
        delivery.provider_ref = provider.send(
            to=sub.phone_e164, body=body, reference=f"cp-code-{card.pk}"
        )[:100]
        delivery.save(update_fields=["provider_ref"])
    return True
