"""Rounds: create, add pots, publish, open and close on time, annul; appoint volunteers."""

from __future__ import annotations

import datetime
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from communities.models import Connection, Neighbourhood
from communities.permissions import TRUSTEE_ROLES, ensure_powers
from config.errors import ApplicationError, StateError
from proposals.models import Proposal
from proposals.text import spoofing_problem

from ..models import (
    APPROVAL_METHODS,
    APPROVAL_ONLY_RULES,
    Ballot,
    BallotMethod,
    CountingRule,
    Pot,
    PotItem,
    Volunteer,
    VoteRound,
)
from ._common import S, check_transition, clean, lock_round, proposal_service


@dataclass
class PotSpec:
    """A pot to create with a round: its name, amount and the proposals on its ballot."""

    name: str
    amount_pence: int
    proposals: Sequence[Proposal] = field(default_factory=list)


def _ensure_trustee(actor, neighbourhood: Neighbourhood, action: str) -> None:
    ensure_powers(actor, neighbourhood, TRUSTEE_ROLES, action=action)


def _validate_options(round: VoteRound) -> None:
    """Round options that only make sense together (the form shows the same messages)."""
    method = round.ballot_method
    problem = spoofing_problem(round.title, "title")
    if problem:
        raise ApplicationError(problem, extra={"fields": {"title": [problem]}})
    if method in (BallotMethod.K_APPROVAL, BallotMethod.RANKING) and not round.max_choices:
        raise ApplicationError("Say how many proposals each voter may choose or rank.")
    if method == BallotMethod.CUMULATIVE and not round.points_total:
        raise ApplicationError("Say how many points each voter shares out.")
    if round.counting_rule in APPROVAL_ONLY_RULES and method not in APPROVAL_METHODS:
        raise ApplicationError(
            f"{CountingRule(round.counting_rule).label} needs ballots where voters choose "
            "proposals (up to a number, or within the budget), not points or rankings."
        )
    if method != BallotMethod.KNAPSACK and round.min_spend_percent:
        raise ApplicationError("A minimum spend only applies to ballots within the budget.")
    if not (round.channel_online or round.channel_paper):
        raise ApplicationError("Choose at least one way to vote: online or on paper.")
    unknown = set(round.eligible_connections) - set(Connection.values)
    if not round.eligible_connections or unknown:
        raise ApplicationError("Choose who may vote: people who live, work, study or volunteer.")
    if round.opens_at >= round.closes_at:
        raise ApplicationError("The vote must close after it opens.")


def _add_pot(round: VoteRound, spec: PotSpec, position: int) -> Pot:
    problem = spoofing_problem(spec.name, "pot's name")
    if problem:
        raise ApplicationError(problem)
    if not spec.name.strip():
        raise ApplicationError("Give the pot a name.")
    if spec.amount_pence <= 0:
        raise ApplicationError("A pot needs an amount above zero.")
    pot = Pot(
        round=round, name=spec.name.strip(), amount_pence=spec.amount_pence, position=position
    )
    clean(pot, exclude=["round"])
    pot.save()
    taken = set(PotItem.objects.filter(pot__round=round).values_list("proposal_id", flat=True))
    for number, proposal in enumerate(spec.proposals, start=1):
        if proposal.neighbourhood_id != round.neighbourhood_id:
            raise ApplicationError(f"“{proposal.title}” belongs to another neighbourhood.")
        if proposal.status != Proposal.Status.SHORTLISTED and not round.imported:
            raise ApplicationError(f"“{proposal.title}” is not on the shortlist.")
        if proposal.pk in taken:
            raise ApplicationError(f"“{proposal.title}” is already on a pot of this vote.")
        taken.add(proposal.pk)
        PotItem.objects.create(
            pot=pot, proposal=proposal, number=number, cost_pence=proposal.ballot_cost_pence
        )
    return pot


@transaction.atomic
def round_create(
    *,
    actor,
    neighbourhood: Neighbourhood,
    title: str,
    opens_at: datetime.datetime,
    closes_at: datetime.datetime,
    ballot_method: str = BallotMethod.KNAPSACK,
    counting_rule: str = CountingRule.GREEDY,
    description: str = "",
    max_choices: int | None = None,
    points_total: int | None = None,
    min_spend_percent: int = 0,
    greedy_skip: bool = True,
    score_threshold: int | None = None,
    min_age_band: str = "",
    eligible_connections: Iterable[str] = tuple(Connection.values),
    channel_online: bool = True,
    channel_paper: bool = False,
    allow_change: bool = True,
    proposer_may_vote_own: bool = True,
    pots: Sequence[PotSpec] = (),
) -> VoteRound:
    """A trustee drafts a round with its options and, optionally, its pots."""
    _ensure_trustee(actor, neighbourhood, "set up a vote")
    round = VoteRound(
        neighbourhood=neighbourhood,
        title=title.strip(),
        description=description.strip(),
        ballot_method=ballot_method,
        max_choices=max_choices,
        points_total=points_total,
        min_spend_percent=min_spend_percent or 0,
        counting_rule=counting_rule,
        greedy_skip=greedy_skip,
        score_threshold=score_threshold or None,
        min_age_band=min_age_band or "",
        eligible_connections=list(eligible_connections),
        channel_online=channel_online,
        channel_paper=channel_paper,
        opens_at=opens_at,
        closes_at=closes_at,
        allow_change=allow_change,
        proposer_may_vote_own=proposer_may_vote_own,
        created_by=actor,
    )
    _validate_options(round)
    clean(round)
    round.save()
    for position, spec in enumerate(pots):
        _add_pot(round, spec, position)
    audit_record(
        action="voting.round_created",
        actor=actor,
        obj=round,
        actor_role="trustee",
        changes={"title": round.title, "pots": [p.name for p in pots]},
    )
    return round


@transaction.atomic
def pot_add(*, actor, round: VoteRound, spec: PotSpec) -> Pot:
    """Add a pot to a draft round."""
    round = lock_round(round)
    _ensure_trustee(actor, round.neighbourhood, "set up a vote")
    if round.status != S.DRAFT:
        raise StateError("Pots can only be changed while the vote is a draft.")
    pot = _add_pot(round, spec, position=round.pots.count())
    audit_record(
        action="voting.pot_added",
        actor=actor,
        obj=round,
        actor_role="trustee",
        changes={"pot": pot.name, "amount_pence": pot.amount_pence},
    )
    return pot


@transaction.atomic
def round_publish(*, actor, round: VoteRound) -> VoteRound:
    """draft -> published: the ballot papers are fixed and the proposals go on the ballot."""
    round = lock_round(round)
    _ensure_trustee(actor, round.neighbourhood, "publish a vote")
    check_transition(round, S.PUBLISHED)
    pots = list(round.pots.prefetch_related("items__proposal"))
    if not pots:
        raise ApplicationError("Add at least one pot before publishing the vote.")
    put_on_ballot = proposal_service("proposal_put_on_ballot")
    for pot in pots:
        items = list(pot.items.all())
        if not items:
            raise ApplicationError(f"The pot “{pot.name}” has no proposals on its ballot.")
        for item in items:
            # The cost on the ballot is fixed now: screening cannot change it mid-vote.
            item.cost_pence = item.proposal.ballot_cost_pence
            item.save(update_fields=["cost_pence"])
            put_on_ballot(proposal=item.proposal, actor=actor)
    round.status = S.PUBLISHED
    round.published_at = timezone.now()
    round.save(update_fields=["status", "published_at"])
    audit_record(action="voting.round_published", actor=actor, obj=round, actor_role="trustee")
    return round


def _time_transition(round: VoteRound, to: str, stamp: str, due: datetime.datetime, now) -> bool:
    if round.status == to:
        return False  # already done: a re-run is a no-op
    check_transition(round, to)
    if now < due:
        raise StateError("It is not time yet.")
    round.status = to
    setattr(round, stamp, now)
    round.save(update_fields=["status", stamp])
    audit_record(
        action=f"voting.round_{'opened' if to == S.OPEN else 'closed'}",
        obj=round,
        actor_role="system",
    )
    return True


@transaction.atomic
def round_open(*, round: VoteRound, now: datetime.datetime | None = None) -> bool:
    """published -> open at opens_at (the scheduled task). True if it changed."""
    round = lock_round(round)
    return _time_transition(round, S.OPEN, "open_at", round.opens_at, now or timezone.now())


def _shuffle(rows: list) -> None:
    """Shuffle in place with the operating system's randomness (not a seedable generator)."""
    secrets.SystemRandom().shuffle(rows)


def _ballots_reshuffle(round: VoteRound) -> int:
    """Rewrite the round's ballots in a random order, with fresh keys.

    Rows are stored in insertion order (SQLite's rowid, PostgreSQL's physical order), which
    lines up with the participations' order and so with the voters. Reading them, deleting
    them and inserting copies in a random order breaks that link for the stored table. The
    receipt HMAC is kept, so receipt lookups still work. On PostgreSQL the old row versions
    stay in the data file until VACUUM (docs/voting.md).
    """
    ballots = list(Ballot.objects.filter(round=round))
    if not ballots:
        return 0
    _shuffle(ballots)
    copies = [
        Ballot(
            id=uuid.uuid4(),
            round_id=b.round_id,
            pot_id=b.pot_id,
            channel=b.channel,
            choices=b.choices,
            receipt_hash=b.receipt_hash,
            paper_batch_id=b.paper_batch_id,
        )
        for b in ballots
    ]
    Ballot.objects.filter(round=round).delete()
    Ballot.objects.bulk_create(copies, batch_size=2000)
    return len(copies)


@transaction.atomic
def round_close(*, round: VoteRound, now: datetime.datetime | None = None) -> bool:
    """open -> closed at closes_at (the scheduled task). True if it changed.

    Closing also rewrites the round's ballots in a random order (`_ballots_reshuffle`): no more
    ballots can arrive, so the order they were cast in no longer needs to exist anywhere.
    """
    round = lock_round(round)
    changed = _time_transition(round, S.CLOSED, "closed_at", round.closes_at, now or timezone.now())
    if changed:
        _ballots_reshuffle(round)
    return changed


def rounds_advance(*, now: datetime.datetime | None = None) -> dict[str, list[int]]:
    """Open the rounds whose time has come and close the ones whose time is up.

    Filters by status, so running it twice (or on two beat nodes at once) changes nothing
    more: each transition re-checks the status under a row lock.
    """
    now = now or timezone.now()
    opened, closed = [], []
    due_open = VoteRound.objects.filter(status=S.PUBLISHED, opens_at__lte=now)
    for round in due_open:
        if round_open(round=round, now=now):
            opened.append(round.pk)
    due_close = VoteRound.objects.filter(status=S.OPEN, closes_at__lte=now)
    for round in due_close:
        if round_close(round=round, now=now):
            closed.append(round.pk)
    return {"opened": opened, "closed": closed}


@transaction.atomic
def round_annul(*, actor, round: VoteRound, reason: str) -> VoteRound:
    """Any state before results are published -> annulled, with a reason; its proposals go
    back to the shortlist so a new round can include them."""
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Give the reason the vote is annulled.")
    round = lock_round(round)
    _ensure_trustee(actor, round.neighbourhood, "annul a vote")
    check_transition(round, S.ANNULLED)
    back = proposal_service("proposal_return_to_shortlist")
    for proposal in Proposal.objects.filter(
        pot_items__pot__round=round, status=Proposal.Status.ON_BALLOT
    ).distinct():
        back(proposal=proposal, actor=actor, reason=f"The vote “{round.title}” was annulled.")
    round.status = S.ANNULLED
    round.annulled_at = timezone.now()
    round.annulment_reason = reason
    round.save(update_fields=["status", "annulled_at", "annulment_reason"])
    audit_record(
        action="voting.round_annulled",
        actor=actor,
        obj=round,
        actor_role="trustee",
        changes={"reason": reason},
    )
    return round


@transaction.atomic
def volunteer_appoint(*, actor, round: VoteRound, user) -> Volunteer:
    """A trustee appoints someone to key in paper ballots for this round."""
    _ensure_trustee(actor, round.neighbourhood, "appoint volunteers")
    if round.status in (S.RESULTS_PUBLISHED, S.ANNULLED):
        raise StateError("This vote is over.")
    volunteer, created = Volunteer.objects.get_or_create(
        round=round, user=user, defaults={"appointed_by": actor}
    )
    if created:
        audit_record(
            action="voting.volunteer_appointed",
            actor=actor,
            obj=round,
            actor_role="trustee",
            changes={"volunteer_id": user.pk},
        )
    return volunteer
