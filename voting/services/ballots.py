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

from django.db import connection, transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from communities.identity import keyed_hash, keyed_hashes
from communities.permissions import active_membership
from config.errors import ApplicationError, ForbiddenError, StateError
from outbox.services import outbox_enqueue

from ..models import Ballot as BallotRow
from ..models import BallotMethod, Channel, Participation, Pot, PotItem, VoteRound
from ..permissions import voter_ineligibility, window_refusal
from ..selectors import BallotPaper, ballot_paper
from ._common import S, pounds_text

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


def _round_window_params(round_id: int, now) -> list:
    names = ("id", "status", "opens_at", "closes_at")
    return [
        VoteRound._meta.get_field(name).get_db_prep_value(value, connection)
        for name, value in zip(names, (round_id, S.OPEN, now, now), strict=True)
    ]


# The round takes online votes now: the condition both of the cast's insert and of a change.
_ROUND_OPEN = (
    "WHERE id = %s AND status = %s AND channel_online AND opens_at <= %s AND closes_at > %s"
)


# The cast's INSERT statements, written once per process and database from the models.
_INSERTS: dict[tuple[str, str], str] = {}


def _key_share() -> str:
    return " FOR KEY SHARE" if connection.vendor == "postgresql" else ""


def _participation_insert(row: Participation, *, now) -> bool:
    """Insert the participation only if the round takes online votes right now; True if it did.

    One conditional statement, ``INSERT ... SELECT ... FROM voting_voteround WHERE <open>``:
    the ORM has no INSERT ... SELECT, so it is written here, with its columns and values taken
    from the model (nothing to keep in step by hand). On PostgreSQL the SELECT takes a KEY SHARE
    lock on the round row (the lock the foreign key check takes anyway), so:

    - a close that already holds the round's row lock makes this wait; when the close commits,
      PostgreSQL re-reads the row, finds it closed and inserts nothing: refused, never lost;
    - a close that comes after this insert waits for the cast to commit (its FOR UPDATE
      conflicts with KEY SHARE), so the close's reshuffle and digest include the ballot.

    Casts do not block each other (KEY SHARE locks share). ``ON CONFLICT DO NOTHING`` with the
    unique constraints (one participation per member and pot, and per in-person key) answers a
    second cast with no row, and no error that would abort the transaction.
    On SQLite the whole database is locked for writing from this statement to the commit, and
    a close holds the same lock from its start to its commit: the same two outcomes.
    """
    fields = [f for f in Participation._meta.concrete_fields if not f.primary_key]
    key = ("participation", connection.alias)
    if key not in _INSERTS:
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        _INSERTS[key] = (
            f"INSERT INTO {Participation._meta.db_table} ({columns}) "
            f"SELECT {', '.join(['%s'] * len(fields))} FROM {VoteRound._meta.db_table} "
            f"{_ROUND_OPEN}{_key_share()} ON CONFLICT DO NOTHING RETURNING id"
        )
    sql = _INSERTS[key]
    values = [f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, *_round_window_params(row.round_id, now)])
        inserted = cursor.fetchone()
    if inserted:
        row.pk = inserted[0]
        row._state.adding = False
    return inserted is not None


def _ballot_insert(ballot: BallotRow) -> None:
    """INSERT the new ballot: what `ballot.save(force_insert=True)` sends, without the ORM's
    per-call query building (its key is a random UUID made in Python, so nothing comes back)."""
    fields = BallotRow._meta.concrete_fields
    key = ("ballot", connection.alias)
    if key not in _INSERTS:
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        _INSERTS[key] = (
            f"INSERT INTO {connection.ops.quote_name(BallotRow._meta.db_table)} ({columns}) "
            f"VALUES ({', '.join(['%s'] * len(fields))})"
        )
    values = [f.get_db_prep_save(getattr(ballot, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(_INSERTS[key], values)
    ballot._state.adding = False


def _round_open_for_change(round: VoteRound, now) -> bool:
    """The round takes votes now, read under a KEY SHARE lock (a close waits for this change to
    commit, or this waits for the close and finds the round closed). Raw SQL: the ORM's
    select_for_update has no KEY SHARE (only FOR UPDATE and FOR NO KEY UPDATE, which would
    make changes queue behind each other)."""
    sql = f"SELECT id FROM {VoteRound._meta.db_table} {_ROUND_OPEN}{_key_share()}"
    with connection.cursor() as cursor:
        cursor.execute(sql, _round_window_params(round.pk, now))
        return cursor.fetchone() is not None


def _refusal_now(actor, round: VoteRound) -> None:
    """After the database refused the cast: say why, reading the round as it is now."""
    fresh = VoteRound.objects.select_related("neighbourhood").filter(pk=round.pk).first()
    if fresh is None:
        raise ForbiddenError("This vote no longer exists.")
    reason = voter_ineligibility(actor, fresh) or window_refusal(fresh)
    if reason:
        raise ForbiddenError(reason)


# Error reports (an admin's email, an error tracker) show a failing call's arguments and
# locals: with the voter's name beside them, a receipt code there would link voter and ballot.
@sensitive_variables("receipt_code", "code")
def ballot_cast(
    *, actor, pot: Pot, choices, receipt_code: str = "", paper: BallotPaper | None = None
) -> CastResult:
    """Cast (or, where the round allows, change) the actor's online ballot in a pot.

    The cast's budget (RULINGS): beyond the session and the user, the eligibility reads (the
    verified email, the membership), then one short transaction of three INSERTs: the
    participation (conditional on the round being open: `_participation_insert`), the ballot
    and the outbox row. No row lock on the round and no audit event. The ballot paper comes
    from the cache (selectors.ballot_paper); what decides whether the ballot counts is checked
    by the database in the insert. A member who has voted already gets no row from the insert;
    only then is their participation read, to change the ballot with the receipt code.
    """
    paper = paper or ballot_paper(pot_id=pot.pk)
    round, pot = paper.round, paper.pot
    reason = voter_ineligibility(actor, round)
    if reason:
        paper = ballot_paper(pot_id=pot.pk, fresh=True)  # the cached round may be out of date
        round, pot = paper.round, paper.pot
        reason = voter_ineligibility(actor, round)
        if reason:
            raise ForbiddenError(reason)
    membership = active_membership(actor, round.neighbourhood)
    stored = validate_choices(
        round=round, pot=pot, choices=choices, items=paper.by_proposal, voter=actor
    )
    now = timezone.now()
    if not receipt_code.strip():
        code = receipt_code_new()
        salt = secrets.token_hex(16)
        row = Participation(
            round_id=round.pk,
            pot_id=pot.pk,
            membership=membership,
            channel=Channel.ONLINE,
            age_band=membership.age_band,
            receipt_salt=salt,
            receipt_check=_receipt_check(salt, code),
            # The voter's identity key as it is now: changing the private name and address
            # afterwards must not let them vote again in person (paper_desk), and one
            # person's second account collides here too (RULINGS).
            in_person_key=membership.identity_key,
            voted_at=now,
        )
        ballot = BallotRow(
            round_id=round.pk,
            pot_id=pot.pk,
            channel=Channel.ONLINE,
            choices=stored,
            receipt_hash=receipt_hash(code),
        )
        with transaction.atomic():
            if _participation_insert(row, now=now):
                _ballot_insert(ballot)
                # No audit event (RULINGS): the participation row is the record of who voted.
                _receipt_notice(actor, pot, changed=False)
                return CastResult(receipt_code=code, changed=False, round=round, pot=pot)
        # Nothing was written: the round is not open any more, or this member (or this
        # person, by their identity key) has voted in this pot already.
        _refusal_now(actor, round)
        existing = Participation.objects.filter(pot_id=pot.pk, membership=membership).first()
        if existing is None or existing.channel != Channel.ONLINE or not round.allow_change:
            raise _already_voted(existing, round)
        raise ApplicationError(
            "To change your ballot, enter the receipt code you were given when you voted."
        )
    return _ballot_change(
        actor=actor,
        round=round,
        pot=pot,
        membership=membership,
        stored=stored,
        receipt_code=receipt_code,
        now=now,
    )


def _already_voted(existing: Participation | None, round: VoteRound) -> StateError:
    if existing is not None and existing.channel == Channel.PAPER:
        return StateError("You voted on paper in this pot, so you cannot vote online too.")
    if existing is not None and existing.channel != Channel.ONLINE:
        return StateError(
            "You voted with a polling code in this pot, so you cannot vote online too."
        )
    if existing is not None and not round.allow_change:
        return StateError(
            "You have already voted in this pot, and ballots cannot be changed in this vote."
        )
    return StateError("You have already voted in this pot.")


def _receipt_notice(actor, pot: Pot, *, changed: bool) -> None:
    from ..tasks import ballot_receipt_email_task

    # Queued in the outbox (ids only: no code and no choices). The broker, the mail log and the
    # mailbox learn only that this member voted in this pot, which the participation row says
    # anyway; a mail error or a broker outage never turns the receipt page into an error.
    outbox_enqueue(ballot_receipt_email_task, actor.pk, pot.pk, changed)


@sensitive_variables("receipt_code", "code")
@transaction.atomic
def _ballot_change(
    *, actor, round: VoteRound, pot: Pot, membership, stored, receipt_code: str, now
) -> CastResult:
    """Replace the member's online ballot, found by the receipt code they give back.

    Locks only the member's participation row (two changes by one member queue; nobody else
    waits) and reads the round under KEY SHARE, as the first cast's insert does.
    """
    if not _round_open_for_change(round, now):
        _refusal_now(actor, round)
        raise ForbiddenError("This vote is not open.")
    existing = (
        Participation.objects.select_for_update()
        .filter(pot_id=pot.pk, membership=membership)
        .first()
    )
    if existing is None:
        raise ApplicationError(
            "You have not voted in this pot yet, so there is no ballot to change. "
            "Leave the receipt code empty to vote."
        )
    if existing.channel != Channel.ONLINE or not round.allow_change:
        raise _already_voted(existing, round)
    if not hmac.compare_digest(
        existing.receipt_check, _receipt_check(existing.receipt_salt, receipt_code)
    ):
        raise ApplicationError("That is not the receipt code of your ballot in this pot.")
    old = BallotRow.objects.filter(pot_id=pot.pk, receipt_hash__in=receipt_hashes(receipt_code))
    if old.delete()[0] != 1:
        raise StateError("Your earlier ballot could not be found. Nothing was changed.")
    BallotRow.objects.create(
        round_id=round.pk,
        pot_id=pot.pk,
        channel=Channel.ONLINE,
        choices=stored,
        receipt_hash=receipt_hash(receipt_code),
    )
    existing.changes += 1
    existing.save(update_fields=["changes"])
    code = receipt_normalise(receipt_code)
    code = "-".join(code[i : i + 4] for i in range(0, len(code), 4))
    _receipt_notice(actor, pot, changed=True)
    return CastResult(receipt_code=code, changed=True, round=round, pot=pot)


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
