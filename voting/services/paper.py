"""Paper voting: marking paper voters against the register, and double-keyed batches of ballots.

Marking paper voters against the register is in paper_desk.py (names re-exported here).

A batch counts only when two different people (two accounts with two-factor and, where both
have given one, two different private identities) have keyed it and both entries agree ballot
by ballot; differences are listed, never merged. Once agreed, the entries are stored sorted and
the keyed text dropped: the stack order of the papers could line up with the order voters were
marked at the desk. Keying format, one line per ballot paper, using the numbers printed on the
paper: "1, 4, 5" (choices; for a ranking, best first), "2:3, 5:2" (cumulative: number:points),
"x" for a spoilt paper.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from communities.identity import IdentityParts
from communities.selectors import qualifying_memberships
from config.errors import ApplicationError, StateError

from ..models import Ballot as BallotRow
from ..models import BallotMethod, Channel, PaperBatch, PaperEntry, Pot, VoteRound
from ._common import S, clean, lock_round
from .ballots import validate_choices
from .paper_desk import (
    NearMatch,
    NearMatchError,
    PaperMark,
    in_person_parts,
    paper_voter_mark,
)
from .paper_desk import ensure_keyer as _ensure_keyer

SPOILT = ("x", "spoilt", "spoiled")


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
    if not keyer_identities(actor, round.neighbourhood):
        # Two accounts of one person are told apart only by a confirmed name and address on
        # the register: an account without one could be anyone, the first keyer included.
        raise StateError(
            f"Keying paper ballots needs your full name and address on the register of "
            f"{round.neighbourhood.name}, as a member confirmed in person by a trustee or with "
            "an access code letter, so that the two entries of a batch can be shown to come "
            "from two different people."
        )
    entries = {e.pass_no: e for e in batch.entries.select_related("keyed_by")}
    mine = next((e for e in entries.values() if e.keyed_by_id == actor.pk), None)
    if mine is not None:
        if batch.status != PaperBatch.Status.MISMATCH:
            raise StateError("A different person must key the second entry of this batch.")
        mine.ballots, mine.raw_text, mine.keyed_at = ballots, text, timezone.now()
        mine.save(update_fields=["ballots", "raw_text", "keyed_at"])
    else:
        if len(entries) >= 2:
            raise StateError("Only the two people who keyed this batch can key it again.")
        for other in entries.values():
            if same_person(actor, other.keyed_by, round.neighbourhood):
                raise StateError(
                    "The other entry of this batch was keyed by the same person under another "
                    "account. A different person must key the second entry."
                )
        PaperEntry.objects.create(
            batch=batch, pass_no=len(entries) + 1, keyed_by=actor, ballots=ballots, raw_text=text
        )
    entries = {e.pass_no: e for e in batch.entries.all()}
    if len(entries) == 1:
        batch.status = PaperBatch.Status.AWAITING_SECOND
    elif entries[1].ballots == entries[2].ballots:
        batch.status = PaperBatch.Status.AGREED
        batch.agreed_at = timezone.now()
        _agreed_ballots_store(round, batch, ballots, entries.values())
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


def _canonical(ballot) -> str:
    return json.dumps(ballot, sort_keys=True, separators=(",", ":"))


def _agreed_ballots_store(round: VoteRound, batch: PaperBatch, ballots: list, entries) -> None:
    """Insert an agreed batch's ballots in a random order and forget the stack order.

    The papers' order in the stack can follow the order voters were marked at the desk (the
    participations' order), so neither the ballot rows nor the kept entries may keep it: the
    entries are stored sorted (what a recount needs) and the keyed text is dropped. A batch
    agreed after close is reshuffled with the round's ballots, like online ballots at close.
    """
    from .rounds import _ballots_reshuffle, _shuffle

    rows = [
        BallotRow(round=round, pot=batch.pot, channel=Channel.PAPER, choices=b, paper_batch=batch)
        for b in ballots
        if b is not None
    ]
    _shuffle(rows)
    BallotRow.objects.bulk_create(rows)
    canonical = sorted(ballots, key=lambda b: (b is None, _canonical(b)))
    for entry in entries:
        entry.ballots, entry.raw_text = canonical, ""
        entry.save(update_fields=["ballots", "raw_text"])
    if round.status != S.OPEN:
        _ballots_reshuffle(round)


def keyer_identities(user, neighbourhood) -> set[str]:
    """The normalised private identities of a keyer's memberships of the neighbourhood that a
    trustee confirmed in person or an access code letter did (a typed name proves nothing: a
    second account could type any), from the private name and address themselves, so a
    receipt-key rotation changes nothing."""
    found = set()
    rows = qualifying_memberships(neighbourhood).filter(user=user)
    for name, house, postcode in rows.values_list(
        "private_name", "private_house", "private_postcode"
    ):
        parts = IdentityParts.of(name=name, house=house, postcode=postcode)
        if parts.complete:
            found.add(parts.text)
    return found


def same_person(a, b, neighbourhood) -> bool:
    """Two accounts are one person when they are one account, or when their confirmed
    memberships give the same identity key (issue 9 point 3)."""
    if a.pk == b.pk:
        return True
    return bool(keyer_identities(a, neighbourhood) & keyer_identities(b, neighbourhood))


__all__ = [
    "Mismatch",
    "NearMatch",
    "NearMatchError",
    "PaperMark",
    "batch_mismatches",
    "in_person_parts",
    "paper_batch_create",
    "paper_entry_submit",
    "paper_voter_mark",
    "parse_keyed_text",
    "same_person",
]
