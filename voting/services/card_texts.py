"""Polling codes a member asks for by text (issue 16): the card side.

A member texts CODE (notifications/code_texts.py answers the text). For each open round of a
neighbourhood where they are an active member and have not voted, `text_card_request` makes a
polling card BOUND to the member (`PollingCard.issued_to`, `issued_by_text`) in the webhook's
transaction, with no usable code yet: its `code_hash` is a random placeholder no code hashes
to. The outbox task then calls `text_card_code_issue` in the same transaction as the provider
call: that draws the code, stores only its keyed hash, voids the member's earlier unused text
code for the round and writes `voting.card_issued_by_text` (round, card number: never the code
or the number). If the provider does not take the text, all of it rolls back and the retry
draws a fresh code, so a failed send leaves no usable card and the code is never at rest
anywhere but the member's phone (not in the outbox row, the card row or the audit trail).

Redeeming a bound card is the member's own participation (`inperson_ballot_cast`): it is
refused if the member has voted by any channel (their membership or their identity key has a
participation in the round), the name and address typed must be the member's (their identity
key), and the participation rows carry the membership, so the account's cast then finds the
member's row and refuses, and the paper desk, kiosk and other cards find it by the key. The
ballots stay unlinkable: the participation names the member, as an account vote does.

Limits: at most `MAX_TEXT_CODES` codes per member per round; at most one is live (a new one
voids the previous unused one).
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit.services import audit_record
from communities.models import Membership

from ..models import Participation, PollingCard, PollingCardBatch, VoteRound
from ..permissions import voter_ineligibility, window_refusal
from ._common import S
from .cards import card_code_hash, card_code_new, format_card_code

MAX_TEXT_CODES = 3


def placeholder_code_hash() -> str:
    """A unique value no code hashes to (a code's hash is 64 hex digits)."""
    return "none-" + secrets.token_hex(24)


def member_has_voted(*, round: VoteRound, membership: Membership) -> bool:
    """The member has a participation in the round, by membership or by their identity key
    (an unbound card, kiosk or the paper desk without their account)."""
    voted = Q(membership=membership)
    if membership.identity_key:
        voted |= Q(in_person_key=membership.identity_key)
    return Participation.objects.filter(voted, round=round).exists()


def text_rounds_for(user) -> list[tuple[VoteRound, Membership]]:
    """The open rounds taking online votes in neighbourhoods where the user is an active member."""
    memberships = {
        m.neighbourhood_id: m
        for m in Membership.objects.active().filter(user_id=user.pk).select_related("user")
    }
    rounds = VoteRound.objects.filter(
        status=S.OPEN, channel_online=True, neighbourhood_id__in=list(memberships)
    ).select_related("neighbourhood")
    return [(r, memberships[r.neighbourhood_id]) for r in rounds.order_by("closes_at", "pk")]


@transaction.atomic
def text_card_request(*, user, round: VoteRound) -> PollingCard | str:
    """Make a text card for the member and round, not yet usable; or say why not with a word:
    "not_eligible", "already_voted" or "limit". The member's row is locked so two texts at
    once count against the limit one after the other."""
    membership = (
        Membership.objects.active()
        .select_for_update()
        .filter(user_id=user.pk, neighbourhood_id=round.neighbourhood_id)
        .first()
    )
    if membership is None or voter_ineligibility(user, round):
        return "not_eligible"
    if member_has_voted(round=round, membership=membership):
        return "already_voted"
    asked = PollingCard.objects.filter(round=round, issued_to=user, issued_by_text=True).count()
    if asked >= MAX_TEXT_CODES:
        return "limit"
    # Numbers run on after the printed cards; the round's row is not locked (a cast must not
    # wait for a text), so a clash with a trustee's batch at this moment is retried.
    for _ in range(5):
        last = PollingCard.objects.filter(round=round).order_by("-number").first()
        number = (last.number if last else 0) + 1
        try:
            with transaction.atomic():
                batch = PollingCardBatch.objects.create(
                    round=round,
                    label=f"Code {number}, asked for by text",
                    first_number=number,
                    count=1,
                    expires_at=round.closes_at,
                    created_by=None,
                )
                return PollingCard.objects.create(
                    batch=batch,
                    round=round,
                    number=number,
                    code_hash=placeholder_code_hash(),
                    issued_by_text=True,
                    issued_to=user,
                )
        except IntegrityError:  # the number was taken meanwhile: take the next
            continue
    raise RuntimeError("Could not number a polling card for a text.")


@sensitive_variables("code")
def text_card_code_issue(*, card_id: int) -> tuple[PollingCard, str] | None:
    """Draw the code of a text card, in the caller's transaction (the one that sends the text).

    None when there is nothing to send: already sent, replaced, used, the round closed, or the
    member left or voted meanwhile. Otherwise the member's earlier unused text code for the
    round is voided (its hash replaced, so it is no longer recognised), the card gets the new
    code's keyed hash, and the formatted code is returned for the text alone.
    """
    card = (
        PollingCard.objects.select_for_update(of=("self",))
        .select_related("round", "issued_to")
        .filter(pk=card_id, issued_by_text=True)
        .first()
    )
    if card is None or card.sent_at or card.voided_at or card.used_at or card.issued_to is None:
        return None
    now = timezone.now()
    round = card.round
    membership = (
        Membership.objects.active()
        .filter(user_id=card.issued_to_id, neighbourhood_id=round.neighbourhood_id)
        .first()
    )
    if (
        window_refusal(round, now)
        or not card.issued_to.is_active
        or membership is None
        or member_has_voted(round=round, membership=membership)
    ):
        card.voided_at = now
        card.save(update_fields=["voided_at"])
        return None
    earlier = PollingCard.objects.select_for_update(of=("self",)).filter(
        round=round,
        issued_to_id=card.issued_to_id,
        issued_by_text=True,
        used_at__isnull=True,
        voided_at__isnull=True,
    )
    # Only the codes asked for before this one: a later ask, still waiting for its text,
    # will void this one when it is sent.
    for old in earlier.filter(pk__lt=card.pk):  # at most MAX_TEXT_CODES - 1 rows
        old.voided_at = now
        old.code_hash = placeholder_code_hash()  # the old code is no longer recognised
        old.save(update_fields=["voided_at", "code_hash"])
    code = card_code_new()
    card.code_hash = card_code_hash(code)
    card.sent_at = now
    card.save(update_fields=["code_hash", "sent_at"])
    audit_record(
        action="voting.card_issued_by_text",
        obj=round,
        actor=card.issued_to,
        actor_role="voter",
        changes={"card_number": card.number},
    )
    return card, format_card_code(code)
