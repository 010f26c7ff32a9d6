"""Rounds: create, add pots, publish, open and close on time (or now, by a trustee), annul;
appoint volunteers."""

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
from config.errors import ApplicationError, ForbiddenError, StateError
from outbox.services import outbox_enqueue
from proposals.models import Proposal
from proposals.text import spoofing_problem

from ..models import (
    APPROVAL_METHODS,
    APPROVAL_ONLY_RULES,
    AnnulmentRequest,
    Ballot,
    BallotMethod,
    CountingRule,
    Pot,
    PotItem,
    Volunteer,
    VoteRound,
)
from ..permissions import annul_confirm_refusal, conflict_refusal
from ._common import S, check_transition, clean, lock_round, proposal_service
from .digest import round_digest_ballots


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


def _queue_notice(round: VoteRound, kind: str) -> None:
    """Queue a notice to the round's members after commit (notifications app, found by name:
    voting does not import it)."""
    outbox_enqueue("notifications.tasks.round_notice_task", round.pk, kind)


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
    _queue_notice(round, "opens" if to == S.OPEN else "closed")
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


def _after_close(round: VoteRound, actor=None) -> None:
    """What closing does once the status is closed, in the same transaction under the row lock:
    reshuffle the ballots, then fingerprint each pot's ballot set (the digest the results page
    and the .pb file show)."""
    _ballots_reshuffle(round)
    round_digest_ballots(round=round, actor=actor, stage="close")


@transaction.atomic
def round_close(*, round: VoteRound, now: datetime.datetime | None = None) -> bool:
    """open -> closed at closes_at (the scheduled task). True if it changed.

    Closing also rewrites the round's ballots in a random order (`_ballots_reshuffle`): no more
    ballots can arrive, so the order they were cast in no longer needs to exist anywhere. Then
    each pot's ballot set gets its digest (`round_digest_ballots`).
    """
    round = lock_round(round)
    changed = _time_transition(round, S.CLOSED, "closed_at", round.closes_at, now or timezone.now())
    if changed:
        _after_close(round)
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


def round_is_due(round: VoteRound, now: datetime.datetime) -> bool:
    """Whether the round should have opened or closed by now (no query: the loaded row)."""
    return (round.status == S.PUBLISHED and round.opens_at <= now) or (
        round.status == S.OPEN and round.closes_at <= now
    )


def round_advance_if_due(*, round: VoteRound, now: datetime.datetime | None = None) -> bool:
    """Open or close this round if its time has come; True if it changed (round is refreshed).

    Called when a round's pages are served and before a ballot is cast, so rounds move on time
    even where no scheduler runs. Costs nothing unless the round is due; when it is, the
    transition re-checks under the row lock (`round_open`/`round_close`), so a page view racing
    the scheduler or another page view changes it once. A round someone else moved meanwhile
    (annulled, closed early) is left as they left it.
    """
    now = now or timezone.now()
    if not round_is_due(round, now):
        return False
    changed = False
    try:
        if round.status == S.PUBLISHED:
            changed = round_open(round=round, now=now)
        if round.closes_at <= now:
            changed = round_close(round=round, now=now) or changed
    except StateError:
        pass  # moved by someone else meanwhile: their change stands
    round.refresh_from_db(
        fields=["status", "opens_at", "closes_at", "open_at", "closed_at", "ballots_digested_at"]
    )
    return changed


def _ensure_round_timing(actor, round: VoteRound, action: str) -> None:
    """Trustee powers (with two-factor), then no conflict of interest on the ballot: a trustee
    who proposed (or is linked to) a proposal on it must not choose when voting starts or stops,
    just as they may not certify the count."""
    _ensure_trustee(actor, round.neighbourhood, action)
    refusal = conflict_refusal(actor, round, "open or close this vote")
    if refusal:
        raise ForbiddenError(refusal)


def _open_annulment_request(round: VoteRound) -> AnnulmentRequest | None:
    return (
        round.annulment_requests.select_for_update()
        .filter(confirmed_at__isnull=True, withdrawn_at__isnull=True)
        .first()
    )


def _ensure_unconflicted(actor, round: VoteRound) -> None:
    refusal = conflict_refusal(actor, round, "annul this vote")
    if refusal:
        raise ForbiddenError(refusal)


@transaction.atomic
def round_open_now(*, actor, round: VoteRound, now: datetime.datetime | None = None) -> VoteRound:
    """A trustee opens a published vote now instead of at its opening time (audited).

    Only from published (not from a draft, nor reopening a closed vote). Voting then runs from
    now to the scheduled closing time, so `opens_at` becomes now: the window check that refuses
    votes outside [opens_at, closes_at) keeps working.
    """
    round = lock_round(round)
    _ensure_round_timing(actor, round, "open a vote")
    if round.status != S.PUBLISHED:
        raise StateError(
            f"Only a published vote can be opened; this vote is “{round.get_status_display()}”."
        )
    now = now or timezone.now()
    if now >= round.closes_at:
        raise StateError(
            "This vote's closing time has passed, so opening it now would give nobody time to "
            "vote. Annul it and set up a new vote instead."
        )
    scheduled = round.opens_at
    round.status = S.OPEN
    round.open_at = now
    round.opens_at = min(scheduled, now)
    round.save(update_fields=["status", "open_at", "opens_at"])
    audit_record(
        action="voting.round_opened",
        actor=actor,
        obj=round,
        actor_role="trustee",
        changes={"by_hand": True, "scheduled_opens_at": scheduled.isoformat()},
    )
    _queue_notice(round, "opens")
    return round


@transaction.atomic
def round_close_now(*, actor, round: VoteRound, now: datetime.datetime | None = None) -> VoteRound:
    """A trustee closes an open vote now instead of at its closing time (audited).

    Only from open. Ballots that committed before this takes the row lock are counted; casts
    waiting on the lock find the vote closed and are refused. `closes_at` becomes now, then the
    ballots are reshuffled and digested as at a scheduled close.
    """
    round = lock_round(round)
    _ensure_round_timing(actor, round, "close a vote")
    if round.status != S.OPEN:
        raise StateError(
            f"Only an open vote can be closed; this vote is “{round.get_status_display()}”."
        )
    now = now or timezone.now()
    if now <= round.opens_at:
        raise StateError("This vote has not started yet, so it cannot be closed now.")
    scheduled = round.closes_at
    round.status = S.CLOSED
    round.closed_at = now
    round.closes_at = min(scheduled, now)
    round.save(update_fields=["status", "closed_at", "closes_at"])
    audit_record(
        action="voting.round_closed",
        actor=actor,
        obj=round,
        actor_role="trustee",
        changes={"by_hand": True, "scheduled_closes_at": scheduled.isoformat()},
    )
    _after_close(round, actor=actor)
    _queue_notice(round, "closed")
    return round


def _annul(round: VoteRound, actor, reason: str, changes: dict) -> VoteRound:
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
        changes={"reason": reason, **changes},
    )
    return round


@transaction.atomic
def round_annul(*, actor, round: VoteRound, reason: str) -> VoteRound:
    """Any state before results are published -> annulled, with a reason; its proposals go
    back to the shortlist so a new round can include them. Never by a conflicted trustee.

    A certified round was signed by two trustees, so undoing it takes two as well: for a
    certified round this only records the request (the round stays certified) and a second,
    different, unconflicted trustee confirms it with `round_annul_confirm`.
    """
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Give the reason the vote is annulled.")
    round = lock_round(round)
    _ensure_trustee(actor, round.neighbourhood, "annul a vote")
    _ensure_unconflicted(actor, round)
    check_transition(round, S.ANNULLED)
    if round.status != S.CERTIFIED:
        return _annul(round, actor, reason, {})
    pending = _open_annulment_request(round)
    if pending is not None:
        if pending.requested_by_id == actor.pk:
            raise StateError("You have already asked to annul this vote: another trustee confirms.")
        raise StateError(
            "Another trustee has already asked to annul this vote: confirm or withdraw that "
            "request."
        )
    request = AnnulmentRequest(round=round, reason=reason, requested_by=actor)
    clean(request, exclude=["round", "requested_by"])
    request.save()
    audit_record(
        action="voting.round_annulment_requested",
        actor=actor,
        obj=round,
        actor_role="trustee",
        changes={"reason": reason, "request_id": request.pk},
    )
    return round


@transaction.atomic
def round_annul_confirm(*, actor, round: VoteRound) -> VoteRound:
    """A second trustee (not the one who asked, with no conflict) confirms the request to
    annul a certified round: the round is annulled with the request's reason."""
    round = lock_round(round)
    _ensure_trustee(actor, round.neighbourhood, "annul a vote")
    _ensure_unconflicted(actor, round)
    request = _open_annulment_request(round) if round.status == S.CERTIFIED else None
    refusal = annul_confirm_refusal(actor, round, request)
    if refusal:
        raise StateError(refusal)
    request.confirmed_by = actor
    request.confirmed_at = timezone.now()
    request.save(update_fields=["confirmed_by", "confirmed_at"])
    return _annul(
        round,
        actor,
        request.reason,
        {"requested_by": request.requested_by_id, "confirmed_by": actor.pk},
    )


@transaction.atomic
def round_annul_withdraw(*, actor, round: VoteRound) -> VoteRound:
    """Any trustee withdraws an open request to annul a certified round (it stays certified)."""
    round = lock_round(round)
    _ensure_trustee(actor, round.neighbourhood, "annul a vote")
    request = _open_annulment_request(round)
    if request is None:
        raise StateError("Nobody has asked to annul this vote.")
    request.withdrawn_at = timezone.now()
    request.save(update_fields=["withdrawn_at"])
    audit_record(
        action="voting.round_annulment_withdrawn",
        actor=actor,
        obj=round,
        actor_role="trustee",
        changes={"request_id": request.pk},
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
