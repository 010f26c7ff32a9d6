"""Polling cards and in-person electronic votes (card, kiosk) without an account (issue 16).

A trustee issues numbered cards for a round; each carries a one-time voting code in the access
codes' alphabet and strength. Only HMAC(receipt key, code) is stored, so the codes exist in
clear only on the PDF the trustee downloads once, at issue. Redeeming a card asks what
eligibility needs (postcode in the area, connection, age band) and a name and address that is
checked like the paper desk's: by the normalised identity key, against the register and every
other participation in the round, so one person votes once across cards, kiosk, accounts and
paper. The cast writes one participation (channel card or kiosk, with the identity key) and one
ballot per pot, with no link between card and ballot, and claims the card in the same
transaction: the card row is locked and must be unused, so 50 people with one code get one vote.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit.services import audit_record
from communities.identity import IdentityParts, keyed_hash, keyed_hashes
from communities.models import AgeBand, Connection, Membership
from communities.permissions import TRUSTEE_ROLES, ensure_powers
from communities.services.access_codes import ALPHABET, CODE_LENGTH, normalise_access_code
from communities.services.postcodes import format_postcode, normalise_postcode
from config.errors import ApplicationError, StateError

from ..models import Ballot as BallotRow
from ..models import Channel, Participation, PollingCard, PollingCardBatch, VoteRound
from ..permissions import window_refusal
from ._common import S, lock_round
from .ballots import CastResult, _receipt_check, receipt_code_new, receipt_hash, validate_choices
from .paper_desk import _age_connection_refusal, _in_area_refusal

MAX_CARDS = 1000
CARD_ROUND_STATES = (S.DRAFT, S.PUBLISHED, S.OPEN)


def card_code_new() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def format_card_code(code: str) -> str:
    return f"{code[:5]}-{code[5:]}"


def card_code_hash(code: str) -> str:
    return keyed_hash("voting.card", normalise_access_code(code))


@dataclass
class IssuedCards:
    batch: PollingCardBatch
    codes: list[tuple[int, str]]  # (card number, formatted code): shown once, in the PDF


@sensitive_variables("codes")
@transaction.atomic
def card_batch_issue(*, actor, round: VoteRound, count: int, label: str = "") -> IssuedCards:
    """A trustee (with two-factor) issues `count` numbered cards for a round that has not
    closed; they expire when the round closes. The codes are returned once, for the PDF."""
    round = lock_round(round)
    ensure_powers(actor, round.neighbourhood, TRUSTEE_ROLES, action="issue polling cards")
    if round.status not in CARD_ROUND_STATES:
        raise StateError("Polling cards can only be issued before a vote closes.")
    if not round.channel_online:
        raise StateError("This vote takes paper ballots only, so it has no polling cards.")
    try:
        count = int(count)
    except (TypeError, ValueError):
        count = 0
    if not 1 <= count <= MAX_CARDS:
        raise ApplicationError(
            f"Issue between 1 and {MAX_CARDS} cards at a time.", extra={"field": "count"}
        )
    last = PollingCard.objects.filter(round=round).aggregate(n=Max("number"))["n"] or 0
    batch = PollingCardBatch.objects.create(
        round=round,
        label=(label or "").strip()[:120] or f"Cards {last + 1} to {last + count}",
        first_number=last + 1,
        count=count,
        expires_at=round.closes_at,
        created_by=actor,
    )
    codes: dict[str, int] = {}
    while len(codes) < count:
        codes.setdefault(card_code_new(), last + 1 + len(codes))
    # 27^10 codes: a clash is vanishingly rare; the unique hash would refuse one anyway.
    PollingCard.objects.bulk_create(
        PollingCard(batch=batch, round=round, number=n, code_hash=card_code_hash(c))
        for c, n in codes.items()
    )
    audit_record(
        action="voting.polling_cards_issued",
        actor=actor,
        actor_role="trustee",
        obj=round,
        changes={"batch": batch.pk, "count": count, "first_number": batch.first_number},
    )
    return IssuedCards(
        batch=batch, codes=sorted((n, format_card_code(c)) for c, n in codes.items())
    )


def card_downloaded(*, actor, batch: PollingCardBatch) -> None:
    """The codes are secrets: record who downloaded them (once, at issue)."""
    audit_record(
        action="voting.polling_cards_downloaded",
        actor=actor,
        actor_role="trustee",
        obj=batch.round,
        changes={"batch": batch.pk, "format": "pdf"},
    )


def _card_refusal(card: PollingCard | None, round: VoteRound | None, now: datetime) -> str | None:
    if card is None or (card.issued_by_text and (card.voided_at or not card.sent_at)):
        # A replaced text code reads like a wrong one: it says nothing about the member.
        return "We do not recognise that polling card code. Check it and try again."
    if round is not None and card.round_id != round.pk:
        return "That polling card is for a different vote."
    if card.used_at is not None:
        return "That polling card has already been used. Each card votes once."
    if card.batch.expires_at <= now:
        return "That polling card has expired."
    return window_refusal(card.round, now)


@sensitive_variables("code")
def card_check(*, code: str, round: VoteRound | None = None) -> PollingCard:
    """The card for a typed code (spaces, dashes and lower case accepted), if it can vote now;
    else ApplicationError with a plain message. Nothing changes."""
    value = normalise_access_code(code)
    if len(value) != CODE_LENGTH or any(ch not in ALPHABET for ch in value):
        raise ApplicationError(
            f"A polling card code has {CODE_LENGTH} letters and numbers, like ABCDE-FGHJK.",
            extra={"field": "code"},
        )
    card = (
        PollingCard.objects.select_related("batch", "round__neighbourhood")
        .filter(code_hash__in=keyed_hashes("voting.card", value))
        .first()
    )
    refusal = _card_refusal(card, round, timezone.now())
    if refusal:
        raise ApplicationError(refusal, extra={"field": "code"})
    return card


@dataclass
class VoterIdentity:
    """What an in-person voter told us, checked: eligible, and not yet voted in the round."""

    name: str
    house: str
    postcode: str
    age_band: str
    connection: str
    keys: list[str]
    member_ids: list[int]

    @property
    def address(self) -> str:
        return f"{self.house}, {format_postcode(self.postcode)}"


@sensitive_variables("name", "house", "postcode")
def voter_identity_check(
    *, round: VoteRound, name: str, house: str, postcode: str, age_band: str, connection: str
) -> VoterIdentity:
    """The paper desk's eligibility and identity rules, for a voter with no trustee beside them.

    Refused (ApplicationError, nothing changes): outside the area or the round's age and
    connection rules; an exact match of the identity key with anyone who has voted in the
    round, by any channel (a member's online vote records their key, and a member without a
    key is found through the register); a near match (same surname or house at the postcode)
    with someone who voted, which a trustee must decide at the paper desk.
    """
    name = " ".join((name or "").split())
    house = " ".join((house or "").split())
    if not name or not house or not (postcode or "").strip():
        raise ApplicationError("Enter your full name, house number or name, and postcode.")
    postcode = normalise_postcode(postcode)
    if age_band not in AgeBand.values:
        raise ApplicationError("Choose your age band.", extra={"field": "age_band"})
    if connection not in Connection.values:
        raise ApplicationError(
            "Choose how you are connected to the area.", extra={"field": "connection"}
        )
    refusal = _in_area_refusal(round, postcode) or _age_connection_refusal(
        round, age_band, connection
    )
    if refusal:
        raise ApplicationError(
            # The desk's wording speaks to a volunteer; here the voter reads it.
            refusal.replace("This person's", "Your")
            .replace("This person is", "You are")
            .replace("Ask a trustee to confirm them as a member instead", "Ask a trustee for help")
        )
    parts = IdentityParts.of(name=name, house=house, postcode=postcode)
    if not parts.complete:
        raise ApplicationError("Enter your surname, house number or name, and postcode.")
    keys = parts.keys()
    member_ids = list(
        Membership.objects.filter(
            neighbourhood=round.neighbourhood, identity_key__in=keys
        ).values_list("pk", flat=True)
    )
    voted = Participation.objects.filter(round=round).filter(
        Q(in_person_key__in=keys) | Q(membership__in=member_ids)
    )
    if voted.exists():
        raise StateError(
            "Someone with this name and address has already voted in this vote, so you cannot "
            "vote again. If you think this is wrong, speak to a trustee."
        )
    near = parts.near_key_sets()
    similar = (
        Participation.objects.filter(round=round)
        .exclude(in_person_key="")
        .filter(
            Q(in_person_surname_key__in=near["surname"]) | Q(in_person_house_key__in=near["house"])
        )
    )
    if similar.exists():
        raise StateError(
            "Someone with a similar name or the same address has already voted in this vote. "
            "To make sure nobody votes twice, a trustee needs to check: please vote at the paper "
            "desk or ask a trustee at a vote event. Your card has not been used."
        )
    return VoterIdentity(name, house, postcode, age_band, connection, keys, member_ids)


def _bound_member(card: PollingCard, round: VoteRound, identity: VoterIdentity):
    """The member a text card was sent to (None for a printed card), if they may use it now.

    A text card is the member's own vote: refused unless the member is still active here, has
    not voted by any channel, and the name and address typed are theirs (their identity key).
    The participation then carries the membership, so the account's cast refuses afterwards.
    """
    if not card.issued_by_text:
        return None
    from .card_texts import member_has_voted

    membership = (
        Membership.objects.active()
        .select_for_update(of=("self",))
        .filter(user_id=card.issued_to_id, neighbourhood_id=round.neighbourhood_id)
        .first()
        if card.issued_to_id
        else None
    )
    if membership is None:
        raise StateError(
            "This code was sent to a member who can no longer vote here. Ask a trustee for help."
        )
    if member_has_voted(round=round, membership=membership):
        raise StateError(
            "The member this code was sent to has already voted in this vote, so it cannot be used."
        )
    if membership.identity_key and membership.identity_key not in identity.keys:
        raise ApplicationError(
            "This code was texted to a member: enter the name and address they are registered "
            "with. Your card has not been used."
        )
    return membership


@sensitive_variables("receipt")
@transaction.atomic
def inperson_ballot_cast(
    *,
    round: VoteRound,
    identity: VoterIdentity,
    choices: dict[int, object],
    channel: str,
    card_id: int | None = None,
    kiosk=None,
) -> list[CastResult]:
    """Cast one ballot in each pot of the round for a voter without an account (card or kiosk).

    One transaction: lock the round; claim the card if there is one (its row locked, refused
    unless unused); re-check the voter's identity; insert a participation (channel, identity
    key, age band) and a ballot per pot. The unique identity key per pot is the database's
    last line against a double vote; any refusal rolls everything back, the card included.
    """
    if channel not in (Channel.CARD, Channel.KIOSK):
        raise ApplicationError("Unknown voting channel.")
    round = lock_round(round)
    refusal = window_refusal(round)
    if refusal:
        raise StateError(refusal)
    if kiosk is not None:
        from .kiosks import kiosk_refusal

        refusal = kiosk_refusal(kiosk)
        if refusal:
            raise StateError(refusal)
    now = timezone.now()
    card = None
    if card_id:
        card = (
            PollingCard.objects.select_for_update(of=("self",))
            .select_related("batch")
            .filter(pk=card_id)
            .first()
        )
        refusal = _card_refusal(card, round, now)
        if refusal:
            raise StateError(refusal)
    elif channel == Channel.CARD:
        raise ApplicationError("Enter the code on your polling card.")
    identity = voter_identity_check(
        round=round,
        name=identity.name,
        house=identity.house,
        postcode=identity.postcode,
        age_band=identity.age_band,
        connection=identity.connection,
    )
    parts = IdentityParts.of(name=identity.name, house=identity.house, postcode=identity.postcode)
    near_keys = parts.near_keys()
    membership = _bound_member(card, round, identity) if card is not None else None
    person_key = (membership.identity_key if membership else "") or identity.keys[0]
    pots = list(round.pots.all())
    if not pots:
        raise StateError("This vote has no pots to vote in.")
    stored = {}
    for pot in pots:
        if pot.pk not in choices:
            raise ApplicationError(f"Fill in the ballot for “{pot.name}”.")
        stored[pot.pk] = validate_choices(round=round, pot=pot, choices=choices[pot.pk])
    results: list[CastResult] = []
    for pot in pots:
        receipt = receipt_code_new()
        salt = secrets.token_hex(16)
        try:
            with transaction.atomic():
                Participation.objects.create(
                    round=round,
                    pot=pot,
                    channel=channel,
                    membership=membership,
                    age_band=identity.age_band,
                    in_person_key=person_key,
                    in_person_surname_key=near_keys["surname"],
                    in_person_house_key=near_keys["house"],
                    in_person_name=identity.name[:200],
                    in_person_address=identity.address[:200],
                    receipt_salt=salt,
                    receipt_check=_receipt_check(salt, receipt),
                    voted_at=now,
                )
        except IntegrityError as exc:
            raise StateError(
                "Someone with this name and address has already voted in this vote."
            ) from exc
        # The ballot records "online" (an electronic ballot), not the route: the route is on
        # the participation, and a rarer channel on the ballot would narrow who cast it.
        BallotRow.objects.create(
            round=round,
            pot=pot,
            channel=Channel.ONLINE,
            choices=stored[pot.pk],
            receipt_hash=receipt_hash(receipt),
        )
        results.append(CastResult(receipt_code=receipt, changed=False, round=round, pot=pot))
    if card is not None:
        card.used_at = now
        card.save(update_fields=["used_at"])
        # Which card voted, not which ballot: nothing here or on the ballot links the two.
        audit_record(
            action="voting.polling_card_redeemed",
            obj=round,
            actor_role="voter",
            changes={"card_number": card.number, "channel": channel},
        )
    return results
