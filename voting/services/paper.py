"""Paper voting: marking paper voters in the register, and double-keyed batches of ballots.

A batch counts only when two different people have keyed it and both entries agree ballot by
ballot; differences are listed, never merged. Keying format, one line per ballot paper, using
the numbers printed on the paper: "1, 4, 5" (choices; for a ranking, best first), "2:3, 5:2"
(cumulative: number:points), "x" for a spoilt paper.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import audit_record
from communities.models import AgeBand, Membership
from config.errors import ApplicationError, ForbiddenError, StateError

from ..models import Ballot as BallotRow
from ..models import BallotMethod, Channel, PaperBatch, PaperEntry, Participation, Pot, VoteRound
from ..permissions import can_enter_paper_ballots, window_refusal
from ._common import S, clean, lock_round
from .ballots import validate_choices

SPOILT = ("x", "spoilt", "spoiled")


def _ensure_keyer(actor, round: VoteRound) -> None:
    if not can_enter_paper_ballots(actor, round):
        raise ForbiddenError("Only trustees and appointed volunteers can handle paper ballots.")
    if not round.channel_paper:
        raise StateError("This vote does not take paper ballots.")


def _normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9 ]", " ", text).split())


def in_person_key(name: str, address: str) -> str:
    """A keyed hash of the normalised name and address: equal people give equal keys, and
    the register keeps no address in clear."""
    address_norm = re.sub(r"[^a-z0-9]", "", _normalise_text(address))
    message = f"{_normalise_text(name)}|{address_norm}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def _eligible_membership_refusal(round: VoteRound, membership: Membership) -> str | None:
    if membership.neighbourhood_id != round.neighbourhood_id or not membership.is_active:
        return "This person is not a verified member of the neighbourhood."
    if round.eligible_connections and membership.connection not in round.eligible_connections:
        return "This person's connection to the area is not eligible in this vote."
    if round.min_age_band and AgeBand.rank(membership.age_band) < AgeBand.rank(round.min_age_band):
        return "This person is below the vote's minimum age."
    return None


@dataclass
class PaperMark:
    """What marking a paper voter did: the pots marked, and the pots skipped with the reason."""

    created: list[Participation]
    skipped: list[tuple[Pot, str]]

    @property
    def message(self) -> str:
        """For the desk: which pots to hand papers for, and which not."""
        marked = ", ".join(f"“{p.pot.name}”" for p in self.created)
        text = f"Give them ballot papers for {marked}."
        if self.skipped:
            text += " Not for " + "; ".join(
                f"“{pot.name}” (already voted {how})" for pot, how in self.skipped
            )
            text += "."
        return text


@transaction.atomic
def paper_voter_mark(
    *,
    actor,
    round: VoteRound,
    membership: Membership | None = None,
    name: str = "",
    address: str = "",
) -> PaperMark:
    """Record that someone was given paper ballots, in every pot of the round where they have
    not voted yet.

    Someone who voted online in one pot may still vote on paper in the others, so pots already
    voted in are skipped and reported (the desk hands papers for the rest only); it is refused
    only when no pot is left. A member is marked by membership, so an online vote and a paper
    vote collide on the same unique constraint. Someone not on the register is recorded by a
    normalised name and address (their own unique constraint), after checking that the name is
    not a registered member's.
    """
    round = lock_round(round)
    _ensure_keyer(actor, round)
    refusal = window_refusal(round)
    if refusal:
        raise StateError(f"Paper voters can only be marked while the vote is open. {refusal}")
    fields: dict = {}
    if membership is not None:
        refusal = _eligible_membership_refusal(round, membership)
        if refusal:
            raise ApplicationError(refusal)
        fields = {"membership": membership, "age_band": membership.age_band}
        who = {"membership_id": membership.pk}
    else:
        if not name.strip() or not address.strip():
            raise ApplicationError("Enter the voter's full name and address.")
        registered = Membership.objects.active().filter(
            neighbourhood=round.neighbourhood, user__display_name__iexact=name.strip()
        )
        if registered.exists():
            raise ApplicationError(
                "Someone with this name is on the member register: find them there and mark "
                "them by membership instead."
            )
        fields = {"in_person_key": in_person_key(name, address), "in_person_name": name.strip()}
        who = {"in_person": True}
    created: list[Participation] = []
    skipped: list[tuple[Pot, str]] = []
    for pot in round.pots.all():
        already = Participation.objects.filter(pot=pot, **_identity(fields)).first()
        if already is not None:
            skipped.append((pot, "online" if already.channel == Channel.ONLINE else "on paper"))
            continue
        try:
            with transaction.atomic():
                created.append(
                    Participation.objects.create(
                        round=round, pot=pot, channel=Channel.PAPER, recorded_by=actor, **fields
                    )
                )
        except IntegrityError:
            skipped.append((pot, "online or on paper"))
    if not created:
        where = "; ".join(f"{how} in “{pot.name}”" for pot, how in skipped)
        raise StateError(f"This person has already voted {where}: there is no pot left.")
    audit_record(
        action="voting.paper_voter_marked",
        actor=actor,
        obj=round,
        actor_role="volunteer",
        changes={**who, "pots": [p.pot_id for p in created], "skipped": [p.pk for p, _ in skipped]},
    )
    return PaperMark(created=created, skipped=skipped)


def _identity(fields: dict) -> dict:
    if "membership" in fields:
        return {"membership": fields["membership"]}
    return {"in_person_key": fields["in_person_key"]}


@transaction.atomic
def paper_batch_create(
    *, actor, round: VoteRound, pot: Pot, event: str, declared_count: int
) -> PaperBatch:
    """Open a batch of paper ballots from one event, with the number of papers in it."""
    round = lock_round(round)
    _ensure_keyer(actor, round)
    if round.status not in (S.OPEN, S.CLOSED):
        raise StateError(
            "Paper ballots are keyed while the vote is open or closed, before counting."
        )
    if pot.round_id != round.pk:
        raise ApplicationError("That pot is not in this vote.")
    batch = PaperBatch(
        round=round,
        pot=pot,
        event=(event or "").strip(),
        declared_count=declared_count,
        created_by=actor,
    )
    if not batch.event:
        raise ApplicationError("Say where the paper ballots came from (the event).")
    if declared_count <= 0:
        raise ApplicationError("A batch has at least one ballot paper.")
    clean(batch)
    batch.save()
    audit_record(
        action="voting.paper_batch_created",
        actor=actor,
        obj=batch,
        actor_role="volunteer",
        changes={"event": batch.event, "declared_count": declared_count},
    )
    return batch


def parse_keyed_text(*, round: VoteRound, pot: Pot, text: str) -> list:
    """One line per paper, in the keying format; returns stored choices (None = spoilt)."""
    items = {i.number: i for i in pot.items.select_related("proposal")}
    by_id = {i.proposal_id: i for i in items.values()}
    ballots = []
    lines = [line.strip() for line in (text or "").splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    for index, line in enumerate(lines, start=1):
        if line.lower() in SPOILT:
            ballots.append(None)
            continue
        tokens = [t for t in re.split(r"[,\s;]+", line) if t]
        try:
            if round.ballot_method == BallotMethod.CUMULATIVE:
                choices = {}
                for token in tokens:
                    number, _, points = token.partition(":")
                    choices[items[int(number)].proposal_id] = int(points)
            else:
                choices = [items[int(t)].proposal_id for t in tokens]
        except (KeyError, ValueError) as exc:
            raise ApplicationError(
                f"Ballot {index}: “{line}” is not in the keying format, or names a number "
                "that is not on the ballot paper."
            ) from exc
        try:
            ballots.append(validate_choices(round=round, pot=pot, choices=choices, items=by_id))
        except ApplicationError as exc:
            raise ApplicationError(
                f"Ballot {index}: {exc.message} If the paper is spoilt, key “x”."
            ) from exc
    return ballots


@dataclass
class Mismatch:
    number: int
    first: str
    second: str


def _describe(stored, numbers: dict[int, int]) -> str:
    if stored is None:
        return "spoilt"
    if isinstance(stored, dict):
        return ", ".join(f"{numbers[int(k)]}:{v}" for k, v in stored.items())
    return ", ".join(str(numbers[int(c)]) for c in stored)


def batch_mismatches(batch: PaperBatch) -> list[Mismatch]:
    """Ballot by ballot, where the two entries differ (numbers as printed on the paper)."""
    entries = {e.pass_no: e for e in batch.entries.all()}
    if len(entries) < 2:
        return []
    numbers = {i.proposal_id: i.number for i in batch.pot.items.all()}
    first, second = entries[1].ballots, entries[2].ballots
    out = []
    for index in range(max(len(first), len(second))):
        a = first[index] if index < len(first) else "missing"
        b = second[index] if index < len(second) else "missing"
        if a != b:
            out.append(
                Mismatch(
                    index + 1,
                    a if a == "missing" else _describe(a, numbers),
                    b if b == "missing" else _describe(b, numbers),
                )
            )
    return out


@transaction.atomic
def paper_entry_submit(*, actor, batch: PaperBatch, text: str) -> PaperBatch:
    """Key a whole batch. The first entry waits for a second by a different person; when both
    exist they are compared, and only agreeing entries create ballots. After a mismatch, either
    keyer re-checks the papers and keys their entry again."""
    round = lock_round(batch.round)
    batch = PaperBatch.objects.select_for_update().get(pk=batch.pk)
    _ensure_keyer(actor, round)
    if round.status not in (S.OPEN, S.CLOSED):
        raise StateError("Paper ballots can only be keyed before the vote is counted.")
    if batch.status == PaperBatch.Status.AGREED:
        raise StateError("This batch is agreed and counted; it cannot be keyed again.")
    ballots = parse_keyed_text(round=round, pot=batch.pot, text=text)
    if len(ballots) != batch.declared_count:
        raise ApplicationError(
            f"You keyed {len(ballots)} ballot papers, but the batch has {batch.declared_count}."
        )
    entries = {e.pass_no: e for e in batch.entries.all()}
    mine = next((e for e in entries.values() if e.keyed_by_id == actor.pk), None)
    if mine is not None:
        if batch.status != PaperBatch.Status.MISMATCH:
            raise StateError("A different person must key the second entry of this batch.")
        mine.ballots, mine.raw_text, mine.keyed_at = ballots, text, timezone.now()
        mine.save(update_fields=["ballots", "raw_text", "keyed_at"])
    else:
        if len(entries) >= 2:
            raise StateError("Only the two people who keyed this batch can key it again.")
        PaperEntry.objects.create(
            batch=batch, pass_no=len(entries) + 1, keyed_by=actor, ballots=ballots, raw_text=text
        )
    entries = {e.pass_no: e for e in batch.entries.all()}
    if len(entries) == 1:
        batch.status = PaperBatch.Status.AWAITING_SECOND
    elif entries[1].ballots == entries[2].ballots:
        batch.status = PaperBatch.Status.AGREED
        batch.agreed_at = timezone.now()
        BallotRow.objects.bulk_create(
            [
                BallotRow(
                    round=round, pot=batch.pot, channel=Channel.PAPER, choices=b, paper_batch=batch
                )
                for b in ballots
                if b is not None
            ]
        )
    else:
        batch.status = PaperBatch.Status.MISMATCH
    batch.save(update_fields=["status", "agreed_at"])
    audit_record(
        action=f"voting.paper_batch_{batch.status}",
        actor=actor,
        obj=batch,
        actor_role="volunteer",
        changes={"entries": len(entries)},
    )
    return batch
