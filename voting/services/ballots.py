"""Casting and changing online ballots, receipt codes and the receipt lookup.

Secrecy design (docs/voting.md): the voter gets a random receipt code (80 bits), shown once on
the receipt page and nowhere else (not in the email, not in the task queue). The ballot stores
HMAC(receipt key, code); the participation stores sha256(salt || code) with its own random salt.
Neither leads to the other without the code, which only the voter holds. To change a ballot the
voter gives the code back: the participation proves it is theirs, the HMAC finds the ballot.
A cast writes no audit event: an event naming the voter beside each ballot would be a link.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from communities.identity import keyed_hash, keyed_hashes
from communities.permissions import active_membership
from config.errors import ApplicationError, ForbiddenError, StateError
from outbox.services import outbox_enqueue

from ..models import Ballot as BallotRow
from ..models import BallotMethod, Channel, Participation, Pot, PotItem, VoteRound
from ..permissions import voter_ineligibility
from ._common import S, lock_round, pounds_text

RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely
RECEIPT_LENGTH = 16  # 16 symbols of 5 bits: 80 bits, far beyond guessing


def receipt_code_new() -> str:
    raw = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, RECEIPT_LENGTH, 4))


def receipt_normalise(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def receipt_hash(code: str) -> str:
    """What the ballot stores: HMAC with the receipt key (settings.RECEIPT_KEY, not the
    SECRET_KEY), so the database alone cannot test guesses and SECRET_KEY can be rotated."""
    return keyed_hash("voting.receipt", receipt_normalise(code))


def receipt_hashes(code: str) -> list[str]:
    """The code's hash under the current and every older receipt key: lookups search these,
    so ballots cast before a key rotation are still found."""
    return keyed_hashes("voting.receipt", receipt_normalise(code))


def _receipt_check(salt: str, code: str) -> str:
    return hashlib.sha256((salt + receipt_normalise(code)).encode()).hexdigest()


def validate_choices(
    *, round: VoteRound, pot: Pot, choices, items: dict[int, PotItem] | None = None, voter=None
):
    """Check a ballot against the round's method; return it in stored form or raise
    ApplicationError with a plain-English message (the same for web, paper keying and API).

    approval methods take proposal ids; cumulative takes {id: points}; ranking takes ids best
    first. A voter may not vote for their own proposal unless the round allows it.
    """
    if items is None:
        items = {i.proposal_id: i for i in pot.items.select_related("proposal")}
    method = round.ballot_method
    if method == BallotMethod.CUMULATIVE:
        try:
            points = {int(k): int(v) for k, v in dict(choices).items() if int(v) != 0}
        except (TypeError, ValueError) as exc:
            raise ApplicationError("Points must be whole numbers.") from exc
        chosen = list(points)
    else:
        try:
            chosen = [int(c) for c in choices]
        except (TypeError, ValueError) as exc:
            raise ApplicationError("Choose proposals from the ballot paper.") from exc
        points = None
    if not chosen:
        raise ApplicationError("Choose at least one proposal.")
    unknown = [c for c in chosen if c not in items]
    if unknown:
        raise ApplicationError("Choose proposals from this ballot paper only.")
    if len(set(chosen)) != len(chosen):
        raise ApplicationError(
            "Give each rank to one proposal only."
            if method == BallotMethod.RANKING
            else "Choose each proposal once."
        )
    if voter is not None and not round.proposer_may_vote_own:
        for c in chosen:
            if items[c].proposal.proposer_id == voter.pk:
                raise ApplicationError(
                    f"You cannot vote for your own proposal “{items[c].proposal.title}”."
                )
    if method == BallotMethod.K_APPROVAL:
        if len(chosen) > round.max_choices:
            raise ApplicationError(
                f"Choose at most {round.max_choices} proposals (you chose {len(chosen)})."
            )
        return sorted(chosen)
    if method == BallotMethod.KNAPSACK:
        total = sum(items[c].cost_pence for c in chosen)
        if total > pot.amount_pence:
            raise ApplicationError(
                f"You have chosen {pounds_text(total)} of {pounds_text(pot.amount_pence)}: "
                f"{pounds_text(total - pot.amount_pence)} more than the pot. "
                "Remove a proposal so that your choices fit the pot."
            )
        least = -(-pot.amount_pence * round.min_spend_percent // 100)
        if total < least:
            raise ApplicationError(
                f"You have chosen {pounds_text(total)}. Choose proposals worth at least "
                f"{pounds_text(least)} ({round.min_spend_percent}% of the pot)."
            )
        return sorted(chosen)
    if method == BallotMethod.CUMULATIVE:
        if any(v < 0 for v in points.values()):
            raise ApplicationError("Points cannot be negative.")
        given = sum(points.values())
        if given > round.points_total:
            raise ApplicationError(
                f"You have given {given} points; you have {round.points_total} to share out."
            )
        return {str(k): points[k] for k in sorted(points)}
    if method == BallotMethod.RANKING:
        if len(chosen) > round.max_choices:
            raise ApplicationError(
                f"Rank at most {round.max_choices} proposals (you ranked {len(chosen)})."
            )
        return chosen
    raise ApplicationError("Unknown ballot method.")


@dataclass
class CastResult:
    receipt_code: str
    changed: bool
    round: VoteRound
    pot: Pot


# Error reports (an admin's email, an error tracker) show a failing call's arguments and
# locals: with the voter's name beside them, a receipt code there would link voter and ballot.
@sensitive_variables("receipt_code", "code")
@transaction.atomic
def ballot_cast(*, actor, pot: Pot, choices, receipt_code: str = "") -> CastResult:
    """Cast (or, where the round allows, change) the actor's online ballot in a pot.

    One transaction: lock the round, check eligibility, then insert the participation and the
    ballot together (or replace the old ballot, found by the receipt code the voter gives back).
    The unique constraint on participation is the last line of defence against a double vote.
    """
    round = lock_round(pot.round)
    pot = Pot.objects.get(pk=pot.pk, round=round)
    reason = voter_ineligibility(actor, round)
    if reason:
        raise ForbiddenError(reason)
    membership = active_membership(actor, round.neighbourhood)
    stored = validate_choices(round=round, pot=pot, choices=choices, voter=actor)
    existing = Participation.objects.filter(pot=pot, membership=membership).first()
    if existing is None:
        code = receipt_code_new()
        salt = secrets.token_hex(16)
        try:
            with transaction.atomic():
                Participation.objects.create(
                    round=round,
                    pot=pot,
                    membership=membership,
                    channel=Channel.ONLINE,
                    age_band=membership.age_band,
                    receipt_salt=salt,
                    receipt_check=_receipt_check(salt, code),
                    # The voter's identity key as it is now: changing the private name and
                    # address afterwards must not let them vote again in person (paper_desk),
                    # and one person's second account collides here too (RULINGS).
                    in_person_key=membership.identity_key,
                )
        except IntegrityError as exc:
            raise StateError("You have already voted in this pot.") from exc
        BallotRow.objects.create(
            round=round,
            pot=pot,
            channel=Channel.ONLINE,
            choices=stored,
            receipt_hash=receipt_hash(code),
        )
        # No audit event (RULINGS): the participation row is the record of who voted.
        changed = False
    else:
        if existing.channel != Channel.ONLINE:
            raise StateError("You voted on paper in this pot, so you cannot vote online too.")
        if not round.allow_change:
            raise StateError(
                "You have already voted in this pot, and ballots cannot be changed in this vote."
            )
        if not receipt_code.strip():
            raise ApplicationError(
                "To change your ballot, enter the receipt code you were given when you voted."
            )
        if not hmac.compare_digest(
            existing.receipt_check, _receipt_check(existing.receipt_salt, receipt_code)
        ):
            raise ApplicationError("That is not the receipt code of your ballot in this pot.")
        old = BallotRow.objects.filter(pot=pot, receipt_hash__in=receipt_hashes(receipt_code))
        if old.delete()[0] != 1:
            raise StateError("Your earlier ballot could not be found. Nothing was changed.")
        BallotRow.objects.create(
            round=round,
            pot=pot,
            channel=Channel.ONLINE,
            choices=stored,
            receipt_hash=receipt_hash(receipt_code),
        )
        existing.changes += 1
        existing.save(update_fields=["changes"])
        code = receipt_normalise(receipt_code)
        code = "-".join(code[i : i + 4] for i in range(0, len(code), 4))
        changed = True

    from ..tasks import ballot_receipt_email_task

    user_id, pot_id = actor.pk, pot.pk
    # Queued in the outbox (ids only: no code and no choices). The broker, the mail log and the
    # mailbox learn only that this member voted in this pot, which the participation row says
    # anyway; a mail error or a broker outage never turns the receipt page into an error.
    outbox_enqueue(ballot_receipt_email_task, user_id, pot_id, changed)
    return CastResult(receipt_code=code, changed=changed, round=round, pot=pot)


@dataclass
class ReceiptStatus:
    round: VoteRound
    pot: Pot
    counted: bool


@sensitive_variables("code")
def receipt_lookup(*, code: str) -> ReceiptStatus | None:
    """Which round and pot a receipt code's ballot is in, and whether it has been counted.

    Says nothing about the choices: anyone holding the code can check, nobody learns more.
    """
    if len(receipt_normalise(code)) != RECEIPT_LENGTH:
        return None
    ballot = (
        BallotRow.objects.select_related("round", "pot")
        .filter(receipt_hash__in=receipt_hashes(code))
        .first()
    )
    if ballot is None:
        return None
    counted = ballot.round.status in (S.COUNTED, S.CERTIFIED, S.RESULTS_PUBLISHED)
    return ReceiptStatus(round=ballot.round, pot=ballot.pot, counted=counted)
