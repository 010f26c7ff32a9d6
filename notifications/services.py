"""Notices to a round's eligible members: queue, send once, digest, unsubscribe.

Flow: a service that changes a round (voting/services) queues `round_notice_task(round_id, kind)`
through the outbox after its commit; `round_notice_send` records a `RoundNotice` (unique per round
and kind, under the round's row lock) and fans out: one outbox row per person who wants the
notice straight away, a `DigestItem` for those who chose the daily digest. However often the
task is delivered, the second run finds the `RoundNotice` and sends nothing.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from communities.models import AgeBand, Membership
from config.errors import ApplicationError
from outbox.services import outbox_enqueue
from voting.models import VoteRound

from .models import Delivery, DigestItem, Kind, NotificationPreference, RoundNotice, Unsubscription
from .texts import notice_sms_queue

UNSUBSCRIBE_SALT = "notifications.unsubscribe"
ROUND_NOTICE_TASK = "notifications.tasks.round_notice_task"
NOTICE_EMAIL_TASK = "notifications.tasks.notice_email_task"
CLOSING_WINDOW = datetime.timedelta(hours=24)

S = VoteRound.Status


# --- links ------------------------------------------------------------------------------------


def site_link(path: str) -> str:
    """An absolute link on this site, from SITE_URL (never a guessed host or port)."""
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_token(*, user_id: int, kind: str) -> str:
    """A signed token naming the person and the kind: the link works without signing in."""
    return signing.dumps({"u": user_id, "k": kind}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_token_read(token: str) -> tuple[int, str]:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
        user_id, kind = int(data["u"]), str(data["k"])
    except (signing.BadSignature, KeyError, TypeError, ValueError) as exc:
        raise ApplicationError("This unsubscribe link is not valid.") from exc
    if kind not in Kind.values:
        raise ApplicationError("This unsubscribe link is not valid.")
    return user_id, kind


def unsubscribe_link(*, user_id: int, kind: str) -> str:
    token = unsubscribe_token(user_id=user_id, kind=kind)
    return site_link(reverse("notifications:unsubscribe", args=[token]))


# --- who gets a notice ------------------------------------------------------------------------


def round_recipient_ids(round: VoteRound) -> list[int]:
    """Members who may vote in the round: active, with an eligible connection and age band,
    an active account with an email address (the same rule as `voter_ineligibility`)."""
    members = Membership.objects.active().filter(
        neighbourhood_id=round.neighbourhood_id, user__is_active=True
    )
    members = members.exclude(user__email="")
    if round.eligible_connections:
        members = members.filter(connection__in=round.eligible_connections)
    if round.min_age_band:
        least = AgeBand.rank(round.min_age_band)
        members = members.filter(
            age_band__in=[b for b in AgeBand.values if AgeBand.rank(b) >= least]
        )
    return sorted(set(members.values_list("user_id", flat=True)))


def round_notice_queue(*, round: VoteRound, kind: str) -> None:
    """Queue a notice about the round after the caller's transaction commits (ids only)."""
    outbox_enqueue(ROUND_NOTICE_TASK, round.pk, kind)


# --- sending ----------------------------------------------------------------------------------


def _still_true(round: VoteRound, kind: str, now: datetime.datetime) -> bool:
    """A notice still says something true (a round annulled meanwhile gets no reminder)."""
    if kind == Kind.OPENS:
        return round.status == S.OPEN
    if kind == Kind.CLOSING:
        return round.status == S.OPEN and now < round.closes_at <= now + CLOSING_WINDOW
    if kind == Kind.CLOSED:
        return round.status in (S.CLOSED, S.COUNTED, S.CERTIFIED)
    if kind == Kind.RESULTS:
        return round.status == S.RESULTS_PUBLISHED
    return False


@transaction.atomic
def round_notice_send(*, round_id: int, kind: str, now: datetime.datetime | None = None) -> int:
    """Send one notice about a round to its eligible members, once; returns how many people.

    Under the round's row lock: a `RoundNotice` for (round, kind) already there means it was
    sent, and nothing happens. Otherwise it is recorded, and each person who did not
    unsubscribe from this kind gets an email queued (one outbox row each) or, with the daily
    digest, a digest item.
    """
    if kind not in Kind.values:
        raise ApplicationError(f"Unknown notice “{kind}”.")
    now = now or timezone.now()
    round = VoteRound.objects.select_for_update().filter(pk=round_id).first()
    if round is None or RoundNotice.objects.filter(round=round, kind=kind).exists():
        return 0
    if not _still_true(round, kind, now):
        return 0
    user_ids = round_recipient_ids(round)
    unsubscribed = set(
        Unsubscription.objects.filter(kind=kind, user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    )
    digest = set(
        NotificationPreference.objects.filter(
            user_id__in=user_ids, delivery=Delivery.DIGEST
        ).values_list("user_id", flat=True)
    )
    wanted = [u for u in user_ids if u not in unsubscribed]
    RoundNotice.objects.create(round=round, kind=kind, recipients=len(wanted), created_at=now)
    DigestItem.objects.bulk_create(
        [
            DigestItem(user_id=u, round=round, kind=kind, created_at=now)
            for u in wanted
            if u in digest
        ]
    )
    for user_id in wanted:
        if user_id not in digest:
            outbox_enqueue(NOTICE_EMAIL_TASK, user_id, round.pk, kind)
    texts = notice_sms_queue(round=round, kind=kind, user_ids=wanted)
    audit_record(
        action="notifications.round_notice_sent",
        obj=round,
        actor_role="system",
        changes={"kind": kind, "recipients": len(wanted), "texts": texts},
    )
    return len(wanted)


def _when(value: datetime.datetime) -> str:
    return timezone.localtime(value).strftime("%A %-d %B %Y at %H:%M")


def _notice_context(round: VoteRound, kind: str, now: datetime.datetime) -> dict:
    round_link = site_link(reverse("voting:round_detail", args=[round.pk]))
    if kind == Kind.OPENS:
        subject = f"Voting opens today: “{round.title}”"
        body = f"Voting in “{round.title}” is open until {_when(round.closes_at)}."
    elif kind == Kind.CLOSING:
        day = timezone.localdate(round.closes_at)
        word = "today" if day == timezone.localdate(now) else "tomorrow"
        subject = f"Voting closes {word}: “{round.title}”"
        body = f"Voting in “{round.title}” closes {word}, {_when(round.closes_at)}."
    elif kind == Kind.CLOSED:
        subject = f"Voting has closed: “{round.title}”"
        body = f"Voting in “{round.title}” has closed. The results follow once they are certified."
    else:
        round_link = site_link(reverse("voting:results", args=[round.pk]))
        subject = f"Results are out: “{round.title}”"
        body = f"The results of “{round.title}” are published."
    return {
        "subject": f"[Common Purse] {subject}",
        "heading": subject,
        "body": body,
        "link": round_link,
        "neighbourhood": round.neighbourhood.name,
    }


def _send(*, user, subject: str, context: dict, unsubscribe: list[tuple[str, str]]) -> None:
    """One email with a plain-text and an HTML part, with an unsubscribe link per kind."""
    context = {**context, "unsubscribe": unsubscribe}
    text = render_to_string("notifications/email.txt", context)
    html = render_to_string("notifications/email.html", context)
    headers = {}
    if len(unsubscribe) == 1:
        headers["List-Unsubscribe"] = f"<{unsubscribe[0][1]}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=subject, body=text, to=[user.email], headers=headers or None
    )
    message.attach_alternative(html, "text/html")
    message.send()


def notice_email_send(*, user_id: int, round_id: int, kind: str) -> bool:
    """Email one notice to one person (run once per outbox row); False if nothing to send."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True, erased_at=None).first()
    round = VoteRound.objects.select_related("neighbourhood").filter(pk=round_id).first()
    if user is None or round is None or not user.email:
        return False
    if Unsubscription.objects.filter(user=user, kind=kind).exists():
        return False  # unsubscribed after the notice was queued
    context = _notice_context(round, kind, timezone.now())
    context["items"] = [context.copy()]
    _send(
        user=user,
        subject=context["subject"],
        context=context,
        unsubscribe=[(Kind(kind).label, unsubscribe_link(user_id=user.pk, kind=kind))],
    )
    return True


def digests_send(*, now: datetime.datetime | None = None) -> int:
    """Send each person with waiting digest items one email (the daily task); returns emails.

    Each person's items are locked (skipping any another run holds), sent and marked sent in
    one transaction: a re-run finds nothing waiting.
    """
    now = now or timezone.now()
    user_ids = list(
        DigestItem.objects.filter(sent_at__isnull=True)
        .order_by()
        .values_list("user_id", flat=True)
        .distinct()
    )
    sent = 0
    for user_id in user_ids:
        with transaction.atomic():
            items = list(
                DigestItem.objects.select_for_update(skip_locked=True).filter(
                    user_id=user_id, sent_at__isnull=True
                )
            )  # only the items are locked: rounds are read below, unlocked
            if not items:
                continue
            user = (
                get_user_model().objects.filter(pk=user_id, is_active=True, erased_at=None).first()
            )
            dropped = set(
                Unsubscription.objects.filter(user_id=user_id).values_list("kind", flat=True)
            )
            keep = [i for i in items if i.kind not in dropped]
            if user is not None and user.email and keep:
                rounds = VoteRound.objects.select_related("neighbourhood").in_bulk(
                    {i.round_id for i in keep}
                )
                entries = [_notice_context(rounds[i.round_id], i.kind, now) for i in keep]
                kinds = sorted({i.kind for i in keep})
                _send(
                    user=user,
                    subject=f"[Common Purse] Your daily digest: {len(entries)} notice"
                    + ("" if len(entries) == 1 else "s"),
                    context={
                        "heading": "Your daily digest",
                        "body": "",
                        "link": "",
                        "items": entries,
                    },
                    unsubscribe=[
                        (Kind(k).label, unsubscribe_link(user_id=user_id, kind=k)) for k in kinds
                    ],
                )
                sent += 1
            DigestItem.objects.filter(pk__in=[i.pk for i in items]).update(sent_at=now)
    return sent


def closing_reminders_queue(*, now: datetime.datetime | None = None) -> list[int]:
    """Queue "voting closes tomorrow" for open rounds closing within a day (the hourly task).

    A round already reminded is skipped here, and `round_notice_send` checks again under the
    round's lock, so running this every hour sends each round's reminder once.
    """
    now = now or timezone.now()
    due = (
        VoteRound.objects.filter(
            status=S.OPEN, closes_at__gt=now, closes_at__lte=now + CLOSING_WINDOW
        )
        .exclude(pk__in=RoundNotice.objects.filter(kind=Kind.CLOSING).values("round_id"))
        .values_list("pk", flat=True)
    )
    queued = []
    with transaction.atomic():
        for pk in due:
            outbox_enqueue(ROUND_NOTICE_TASK, pk, Kind.CLOSING.value)
            queued.append(pk)
    return queued


# --- a person's choices -----------------------------------------------------------------------


@transaction.atomic
def unsubscribe(*, token: str) -> tuple[object, str]:
    """The one-click link: stop notices of the token's kind for its person (no sign-in)."""
    user_id, kind = unsubscribe_token_read(token)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise ApplicationError("This unsubscribe link is not valid.")
    _, created = Unsubscription.objects.get_or_create(user=user, kind=kind)
    if created:
        audit_record(
            action="notifications.unsubscribed", actor=user, obj=user, changes={"kind": kind}
        )
    return user, kind


@transaction.atomic
def resubscribe(*, token: str) -> tuple[object, str]:
    """Undo the one-click unsubscribe from the same link."""
    user_id, kind = unsubscribe_token_read(token)
    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        raise ApplicationError("This unsubscribe link is not valid.")
    deleted, _ = Unsubscription.objects.filter(user=user, kind=kind).delete()
    if deleted:
        audit_record(
            action="notifications.resubscribed", actor=user, obj=user, changes={"kind": kind}
        )
    return user, kind


@transaction.atomic
def notification_preferences_update(*, actor, delivery: str, kinds: list[str]) -> None:
    """A signed-in person chooses straight away or a daily digest, and which kinds they get."""
    if not getattr(actor, "is_authenticated", False):
        raise ApplicationError("Sign in to choose your notices.")
    if delivery not in Delivery.values:
        raise ApplicationError("Choose straight away or a daily digest.")
    unknown = set(kinds) - set(Kind.values)
    if unknown:
        raise ApplicationError("Choose notices from the list.")
    actor = get_user_model().objects.get(pk=actor.pk)  # the model, not a request's lazy user
    NotificationPreference.objects.update_or_create(
        user=actor, defaults={"delivery": delivery, "updated_at": timezone.now()}
    )
    Unsubscription.objects.filter(user=actor, kind__in=kinds).delete()
    for kind in set(Kind.values) - set(kinds):
        Unsubscription.objects.get_or_create(user=actor, kind=kind)
    audit_record(
        action="notifications.preferences_changed",
        actor=actor,
        obj=actor,
        changes={"delivery": delivery, "kinds": sorted(kinds)},
    )


def notification_preferences(user) -> tuple[str, list[str]]:
    pref = NotificationPreference.objects.filter(user=user).first()
    dropped = set(Unsubscription.objects.filter(user=user).values_list("kind", flat=True))
    return (pref.delivery if pref else Delivery.IMMEDIATE), [
        k for k in Kind.values if k not in dropped
    ]
