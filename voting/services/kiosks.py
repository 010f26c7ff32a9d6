"""Kiosks: a shared device where residents vote one after another, and the voter visits that
keep each voter's progress on the server (issue 16).

The device is bound by a kiosk cookie holding a random token (we keep its keyed hash). Each
voter's progress lives in a VoterVisit row keyed by a per-voter nonce carried in the pages'
forms, never in a cookie: it is dropped when the ballot is cast, when "Finish" is pressed, or
when the next request comes after the idle limit (2 minutes on a kiosk), so the next voter
starts clean. No meta refresh and no JavaScript are needed for the reset.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit.services import audit_record
from communities.identity import keyed_hash
from communities.permissions import TRUSTEE_ROLES, ensure_powers
from config.errors import ApplicationError, NotFoundError, StateError

from ..models import Kiosk, VoteRound, VoterVisit
from ..permissions import window_refusal
from ._common import S, lock_round

KIOSK_IDLE = timedelta(minutes=2)
CARD_IDLE = timedelta(minutes=30)
MAX_KIOSK_HOURS = 24


def _token_hash(token: str) -> str:
    return keyed_hash("voting.kiosk", token or "")


def kiosk_refusal(kiosk: Kiosk, now: datetime | None = None) -> str | None:
    """Why this kiosk takes no votes now (plain English), or None."""
    now = now or timezone.now()
    if kiosk.closed_at is not None:
        return "This kiosk has been closed by a trustee. Thank you: voting here has finished."
    if now < kiosk.opens_at:
        when = timezone.localtime(kiosk.opens_at).strftime("%H:%M on %d %B")
        return f"This kiosk opens at {when}."
    if now >= kiosk.closes_at:
        when = timezone.localtime(kiosk.closes_at).strftime("%H:%M on %d %B")
        return f"This kiosk closed at {when}. Ask a trustee where else you can vote."
    return window_refusal(kiosk.round, now)


@sensitive_variables("token")
@transaction.atomic
def kiosk_open(
    *, actor, round: VoteRound, label: str, opens_at: datetime, closes_at: datetime
) -> tuple[Kiosk, str]:
    """A trustee (with two-factor) opens a kiosk for an open or published round and a time
    window inside the round's. Returns the kiosk and the device token (for its cookie)."""
    round = lock_round(round)
    ensure_powers(actor, round.neighbourhood, TRUSTEE_ROLES, action="open a kiosk")
    if round.status not in (S.PUBLISHED, S.OPEN):
        raise StateError("A kiosk can only be opened for a vote that is published or open.")
    if not round.channel_online:
        raise StateError("This vote takes paper ballots only, so it has no kiosks.")
    if opens_at >= closes_at:
        raise ApplicationError(
            "The kiosk must open before it closes.", extra={"field": "closes_at"}
        )
    if closes_at - opens_at > timedelta(hours=MAX_KIOSK_HOURS):
        raise ApplicationError(
            f"A kiosk can be open for at most {MAX_KIOSK_HOURS} hours at a time.",
            extra={"field": "closes_at"},
        )
    if closes_at <= timezone.now():
        raise ApplicationError("The kiosk's closing time has passed.", extra={"field": "closes_at"})
    closes_at = min(closes_at, round.closes_at)
    opens_at = max(opens_at, round.opens_at)
    if opens_at >= closes_at:
        raise ApplicationError(
            "The kiosk's time must fall while the vote is open.", extra={"field": "opens_at"}
        )
    token = secrets.token_urlsafe(32)
    kiosk = Kiosk.objects.create(
        round=round,
        label=(label or "").strip()[:120] or "Kiosk",
        token_hash=_token_hash(token),
        opens_at=opens_at,
        closes_at=closes_at,
        opened_by=actor,
    )
    audit_record(
        action="voting.kiosk_opened",
        actor=actor,
        actor_role="trustee",
        obj=round,
        changes={"kiosk": kiosk.pk, "opens_at": opens_at, "closes_at": closes_at},
    )
    return kiosk, token


@transaction.atomic
def kiosk_close(*, actor, kiosk: Kiosk) -> Kiosk:
    """Any trustee (with two-factor) closes a kiosk, from any device; its visits are dropped."""
    kiosk = Kiosk.objects.select_for_update(of=("self",)).select_related("round").get(pk=kiosk.pk)
    ensure_powers(actor, kiosk.round.neighbourhood, TRUSTEE_ROLES, action="close a kiosk")
    if kiosk.closed_at is not None:
        raise StateError("This kiosk is already closed.")
    kiosk.closed_at, kiosk.closed_by = timezone.now(), actor
    kiosk.save(update_fields=["closed_at", "closed_by"])
    VoterVisit.objects.filter(kiosk=kiosk).delete()
    audit_record(
        action="voting.kiosk_closed",
        actor=actor,
        actor_role="trustee",
        obj=kiosk.round,
        changes={"kiosk": kiosk.pk},
    )
    return kiosk


@sensitive_variables("token")
def kiosk_for_token(token: str) -> Kiosk:
    """The kiosk a device's cookie belongs to (NotFoundError when it is none)."""
    kiosk = (
        Kiosk.objects.select_related("round__neighbourhood")
        .filter(token_hash=_token_hash(token))
        .first()
        if token
        else None
    )
    if kiosk is None:
        raise NotFoundError(
            "This device is not a kiosk. A trustee opens a kiosk from the vote's page."
        )
    return kiosk


# Voter visits --------------------------------------------------------------------------------


def _nonce_hash(nonce: str) -> str:
    return keyed_hash("voting.visit", nonce or "")


def visits_sweep(*, now: datetime | None = None) -> int:
    """Delete visits idle past their limit (names and addresses typed by voters who walked
    away). A re-run is a no-op. Returns how many were deleted."""
    now = now or timezone.now()
    stale = VoterVisit.objects.filter(last_seen_at__lt=now - CARD_IDLE) | VoterVisit.objects.filter(
        kiosk__isnull=False, last_seen_at__lt=now - KIOSK_IDLE
    )
    return stale.delete()[0]


def visit_start(*, kiosk: Kiosk | None = None, data: dict) -> str:
    """Start a voter's visit; returns the nonce the pages carry. Stale visits are swept."""
    now = timezone.now()
    VoterVisit.objects.filter(last_seen_at__lt=now - CARD_IDLE).delete()
    if kiosk is not None:
        VoterVisit.objects.filter(kiosk=kiosk, last_seen_at__lt=now - KIOSK_IDLE).delete()
    nonce = secrets.token_urlsafe(24)
    VoterVisit.objects.create(nonce_hash=_nonce_hash(nonce), kiosk=kiosk, data=data)
    return nonce


def visit_get(*, nonce: str, kiosk: Kiosk | None = None) -> VoterVisit | None:
    """The live visit for a nonce, or None when there is none or it was idle too long (then
    it is dropped: the next request starts clean)."""
    if not nonce:
        return None
    visit = VoterVisit.objects.filter(nonce_hash=_nonce_hash(nonce)).first()
    if visit is None:
        return None
    idle = KIOSK_IDLE if visit.kiosk_id else CARD_IDLE
    if (
        visit.kiosk_id != (kiosk.pk if kiosk else None)
        or timezone.now() - visit.last_seen_at > idle
    ):
        visit.delete()
        return None
    return visit


def visit_save(visit: VoterVisit, **data) -> None:
    visit.data.update(data)
    visit.last_seen_at = timezone.now()
    visit.save(update_fields=["data", "last_seen_at"])


def visit_drop(*, nonce: str) -> None:
    if nonce:
        VoterVisit.objects.filter(nonce_hash=_nonce_hash(nonce)).delete()
