"""Text messages about votes (issue 16): a person's number and consent, STOP, and sending.

Kept apart from services.py (emails) so neither module grows past ~400 lines; the providers
live in notifications/sms/. A text says only that voting opens, closes tomorrow or has results,
with a link: choices are never sent or received by text (the provider would see them).

Flow: `round_notice_send` (services.py) queues `notice_sms_task(user_id, round_id, kind)` through
the outbox for each person with an active subscription. `notice_sms_send` records an
`SmsDelivery` (unique per person, round and kind) and calls the provider in the outbox row's
transaction: if the provider is down the row fails, nothing is recorded, and the outbox sweep
runs it again later; once sent, a duplicate delivery finds the record and sends nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from config.errors import ApplicationError
from outbox.services import outbox_enqueue
from voting.models import VoteRound

from .models import SMS_KINDS, Kind, SmsDelivery, SmsSubscription, Unsubscription
from .sms import sms_provider
from .sms.phone import mobile_number_normalise

NOTICE_SMS_TASK = "notifications.tasks.notice_sms_task"
# What people text to stop (the words UK networks and Notify treat as opt-out).
STOP_WORDS = frozenset({"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"})
# Other keywords a text may carry: "CODE" (a resident's polling code by text) is registered by
# NotificationsConfig.ready from notifications/code_texts.py, which calls voting's services
# (voting never imports notifications). A handler gets the sender's E.164 number, runs in the
# webhook's transaction and returns a short result word; it must never read a choice from a
# text. Until a handler is registered, such texts are ignored.
INBOUND_COMMANDS: dict[str, Callable[[str], str]] = {}


def _site_link(path: str) -> str:
    from .services import site_link

    return site_link(path)


# --- a person's number and consent ------------------------------------------------------------


@transaction.atomic
def sms_subscribe(*, actor, phone: str, consent: bool) -> SmsSubscription:
    """Keep a person's mobile number for vote texts; only with their consent, recorded with
    the time. Giving a number again after STOP (with consent) starts texts again."""
    if not getattr(actor, "is_authenticated", False):
        raise ApplicationError("Sign in to choose text messages.")
    number = mobile_number_normalise(phone)
    if not consent:
        raise ApplicationError(
            "Tick the box to agree to texts about votes, or leave the number empty."
        )
    now = timezone.now()
    actor = get_user_model().objects.get(pk=actor.pk)
    sub, _ = SmsSubscription.objects.select_for_update().get_or_create(user=actor)
    sub.phone_e164 = number
    sub.consented_at = now
    sub.opted_out_at = None
    sub.opt_out_source = ""
    sub.updated_at = now
    sub.full_clean()
    sub.save()
    # The audit trail says consent was given, not the number (no more personal data than needed).
    audit_record(action="notifications.sms_consented", actor=actor, obj=actor, changes={})
    return sub


@transaction.atomic
def sms_opt_out(*, actor) -> bool:
    """Stop texts from the preferences page; True if texts were on."""
    if not getattr(actor, "is_authenticated", False):
        raise ApplicationError("Sign in to choose text messages.")
    sub = SmsSubscription.objects.select_for_update().filter(user_id=actor.pk).first()
    if sub is None or not sub.active:
        return False
    _opt_out(sub, source=SmsSubscription.Source.PREFERENCES)
    return True


def _opt_out(sub: SmsSubscription, *, source: str) -> None:
    now = timezone.now()
    sub.opted_out_at = now
    sub.opt_out_source = source
    sub.updated_at = now
    sub.save(update_fields=["opted_out_at", "opt_out_source", "updated_at"])
    audit_record(
        action="notifications.sms_opted_out",
        actor=sub.user if source == SmsSubscription.Source.PREFERENCES else None,
        actor_role="" if source == SmsSubscription.Source.PREFERENCES else "system",
        obj=sub.user,
        changes={"source": source},
    )


@transaction.atomic
def sms_inbound_receive(*, from_number: str, text: str) -> str:
    """An inbound text from a provider's webhook: STOP (and its synonyms) opts every
    subscription with that number out; a keyword in INBOUND_COMMANDS goes to its handler;
    anything else is ignored (no choice is ever read from a text).
    Returns "stopped", "unknown_number", "ignored" or the handler's result."""
    word = (text or "").strip().upper().rstrip(".!")
    if word not in STOP_WORDS and word not in INBOUND_COMMANDS:
        return "ignored"
    try:
        number = mobile_number_normalise(from_number)
    except ApplicationError:
        return "unknown_number"
    if word in INBOUND_COMMANDS:
        return INBOUND_COMMANDS[word](number)
    subs = list(
        SmsSubscription.objects.select_for_update(of=("self",))
        .filter(phone_e164=number, opted_out_at__isnull=True)
        .select_related("user")
    )
    for sub in subs:
        _opt_out(sub, source=SmsSubscription.Source.STOP)
    return "stopped" if subs else "unknown_number"


def sms_subscription_get(user) -> SmsSubscription | None:
    return SmsSubscription.objects.filter(user_id=user.pk).first()


# --- sending ----------------------------------------------------------------------------------


def notice_sms_queue(*, round: VoteRound, kind: str, user_ids: list[int]) -> int:
    """Queue one text per person with an active subscription (in the caller's transaction).
    Returns how many were queued."""
    if kind not in SMS_KINDS:
        return 0
    texted = list(
        SmsSubscription.objects.filter(
            user_id__in=user_ids,
            consented_at__isnull=False,
            opted_out_at__isnull=True,
        )
        .exclude(phone_e164="")
        .values_list("user_id", flat=True)
    )
    for user_id in sorted(texted):
        outbox_enqueue(NOTICE_SMS_TASK, user_id, round.pk, kind)
    return len(texted)


def notice_sms_body(round: VoteRound, kind: str, now: datetime.datetime) -> str:
    """The text: what happened, when, and a link. Never choices. Kept under ~300 characters."""
    title = round.title if len(round.title) <= 60 else round.title[:57] + "..."
    closes = timezone.localtime(round.closes_at).strftime("%a %-d %b at %H:%M")
    if kind == Kind.OPENS:
        line = f"Voting in “{title}” is open until {closes}."
        link = _site_link(reverse("voting:round_detail", args=[round.pk]))
    elif kind == Kind.CLOSING:
        day = timezone.localdate(round.closes_at)
        word = "today" if day == timezone.localdate(now) else "tomorrow"
        line = f"Voting in “{title}” closes {word}, {closes}."
        link = _site_link(reverse("voting:round_detail", args=[round.pk]))
    else:
        line = f"The results of “{title}” are out."
        link = _site_link(reverse("voting:results", args=[round.pk]))
    return f"Common Purse: {line} {link} Reply STOP to stop these texts."


def notice_sms_send(*, user_id: int, round_id: int, kind: str) -> bool:
    """Text one notice to one person (run once per outbox row); False if nothing to send.

    Raises `SmsError` when the provider does not take it: the outbox keeps the row and runs
    it again later, and since the `SmsDelivery` row rolls back with the failure, the retry
    sends it. A second run after success finds the `SmsDelivery` and sends nothing.
    """
    if kind not in SMS_KINDS:
        return False
    sub = SmsSubscription.objects.filter(user_id=user_id).select_related("user").first()
    round = VoteRound.objects.filter(pk=round_id).first()
    if sub is None or round is None or not sub.active or not sub.user.is_active:
        return False  # opted out (or gone) after the text was queued
    if Unsubscription.objects.filter(user_id=user_id, kind=kind).exists():
        return False
    provider = sms_provider()
    with transaction.atomic():
        try:
            with transaction.atomic():
                delivery = SmsDelivery.objects.create(
                    user_id=user_id, round_id=round_id, kind=kind, provider=provider.name
                )
        except IntegrityError:
            return False  # already sent
        body = notice_sms_body(round, kind, timezone.now())
        delivery.provider_ref = provider.send(
            to=sub.phone_e164, body=body, reference=f"cp-{round_id}-{kind}-{user_id}"
        )[:100]
        delivery.save(update_fields=["provider_ref"])
    return True
