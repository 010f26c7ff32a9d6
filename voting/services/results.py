"""Counting, certification (two different trustees) and publication of results.

A pot's count is stored in PotResult. Once two trustees certify, the record is frozen: it is never
rewritten, and `round_recount` only recomputes and compares.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from audit.services import audit_record
from communities.permissions import TRUSTEE_ROLES, ensure_powers
from communities.services import ensure_partnership_healthy
from config.errors import ApplicationError, ForbiddenError, StateError
from outbox.jobs import ACTIVE_STATES
from outbox.services import outbox_enqueue
from proposals.models import Proposal

from ..counting import Outcome, format_number
from ..counting_adapter import RuleChoice, build_election, count, rule_for, to_pence
from ..models import Ballot as BallotRow
from ..models import Certification, Channel, PaperBatch, Participation, Pot, PotResult, VoteRound
from ..permissions import certify_refusal, conflict_refusal, eligible_memberships
from ._common import S, check_transition, lock_round, proposal_service


def pot_election(pot: Pot):
    items = [
        (i.proposal_id, i.cost_pence, i.proposal.title)
        for i in pot.items.select_related("proposal").order_by("number")
    ]
    choices = BallotRow.objects.filter(pot=pot).values_list("choices", flat=True).iterator(2000)
    return build_election(
        round=pot.round, budget_pence=pot.amount_pence, items=items, ballots=choices
    )


def pot_outcome(pot: Pot) -> tuple[Outcome, RuleChoice, int]:
    """Count one pot with the round's rule: (outcome, rule, number of ballots)."""
    election = pot_election(pot)
    choice = rule_for(pot.round)
    return count(election, choice), choice, election.num_voters


def _turnout(pot: Pot) -> dict:
    """Participation by channel and by age band; imported ballots by channel only; the members
    eligible when counted (for turnout as a share) and the spoilt paper ballots."""
    rows = Participation.objects.filter(pot=pot).values_list("channel", "age_band")
    by_channel, by_age = Counter(), Counter()
    for channel, age in rows:
        by_channel[channel] += 1
        by_age[age or "not_recorded"] += 1
    imported = BallotRow.objects.filter(pot=pot, channel="imported").count()
    if imported:
        by_channel["imported"] += imported
    # Every paper in an agreed batch is a ballot row, except the spoilt ones (keyed "x").
    agreed = pot.paper_batches.filter(status=PaperBatch.Status.AGREED)
    papers = agreed.aggregate(n=Sum("declared_count"))["n"] or 0
    kept = BallotRow.objects.filter(paper_batch__in=agreed).count()
    return {
        "by_channel": dict(by_channel),
        "by_age_band": dict(by_age),
        "eligible": eligible_memberships(pot.round).count(),
        "spoilt": papers - kept,
    }


def _result_fields(pot: Pot) -> dict:
    outcome, choice, ballots = pot_outcome(pot)
    return {
        "rule": choice.rule,
        "rule_options": choice.as_dict(),
        "winners": sorted(int(w) for w in outcome.winners),
        "scores": {k: format_number(v) for k, v in outcome.scores.items()},
        "total_cost_pence": to_pence(outcome.total_cost),
        "ballots_counted": ballots,
        "explanation": list(outcome.explanation),
    }


def _ensure_paper_reconciled(round: VoteRound) -> None:
    """Refuse to count a pot holding more paper ballots than people were given papers.

    Every paper in an agreed batch (spoilt ones too: each was handed to someone) needs a paper
    voter marked in the register for that pot. More papers than marked voters means a bundle
    was keyed twice, or papers were handed out without marking the voter.
    """
    papers = dict(
        round.paper_batches.filter(status=PaperBatch.Status.AGREED)
        .values("pot")
        .annotate(n=Sum("declared_count"))
        .values_list("pot", "n")
    )
    if not papers:
        return
    marked = dict(
        Participation.objects.filter(round=round, channel=Channel.PAPER)
        .values("pot")
        .annotate(n=Count("id"))
        .values_list("pot", "n")
    )
    for pot in round.pots.filter(pk__in=papers):
        keyed, given = papers[pot.pk], marked.get(pot.pk, 0)
        if keyed > given:
            raise ApplicationError(
                f"The pot “{pot.name}” has {keyed} paper ballots in agreed batches, but only "
                f"{given} paper voters were marked in the register for it. Check for a bundle "
                "keyed twice or voters not marked, and correct it before counting."
            )


def _ensure_unconflicted(actor, round: VoteRound, action: str) -> None:
    """Whoever proposed or is linked to a proposal on the ballot takes no part in counting,
    certifying or publishing it (DESIGN: conflicts of interest)."""
    refusal = conflict_refusal(actor, round, action)
    if refusal:
        raise ForbiddenError(refusal)


def ensure_may_count(actor, round: VoteRound) -> None:
    """Trustees only, never a conflicted one (checked when a count is asked for)."""
    ensure_powers(actor, round.neighbourhood, TRUSTEE_ROLES, action="count a vote")
    _ensure_unconflicted(actor, round, "count this vote")


def ensure_countable(round: VoteRound) -> None:
    """closed, or counted and not yet certified (a recount); every paper batch agreed and
    reconciled with the register. Checked when a count is asked for and again, under the
    round's lock, when its result is written."""
    if round.status != S.COUNTED:
        check_transition(round, S.COUNTED)
    pending = round.paper_batches.exclude(status=PaperBatch.Status.AGREED)
    if pending.exists():
        names = ", ".join(b.event for b in pending)
        raise StateError(f"Paper batches are not agreed yet ({names}): resolve them first.")
    _ensure_paper_reconciled(round)


def pot_count_fields(pot: Pot) -> dict:
    """Everything stored in a pot's PotResult but the time: the count and the turnout."""
    return {**_result_fields(pot), "turnout": _turnout(pot)}


def round_count_write(*, actor, round: VoteRound, results: dict[int, dict]) -> VoteRound:
    """Store every pot's count and mark the round counted (call inside the transaction that
    locked the round, after `ensure_countable`). A recount before certification replaces
    the count, and earlier signatures lapse."""
    if round.status == S.COUNTED:
        round.certifications.all().delete()
    from .digest import round_digest_ballots  # digest reads ballots through this module

    # Paper batches agreed after close add ballots: the digest covers what is counted.
    round_digest_ballots(round=round, actor=actor, stage="count")
    now = timezone.now()
    for pot in round.pots.all():
        PotResult.objects.update_or_create(
            pot=pot, defaults={**results[pot.pk], "computed_at": now}
        )
    round.status = S.COUNTED
    round.counted_at = now
    round.save(update_fields=["status", "counted_at"])
    audit_record(
        action="voting.round_counted",
        actor=actor,
        obj=round,
        actor_role="trustee",
        changes={
            str(r.pot_id): {"winners": r.winners, "ballots": r.ballots_counted}
            for r in PotResult.objects.filter(pot__round=round)
        },
    )
    return round


@transaction.atomic
def round_count(*, actor, round: VoteRound) -> VoteRound:
    """closed -> counted (or a recount while still only counted): count every pot with the
    engine, here and now, under the round's lock. Refused while a paper batch is keyed but
    not agreed. Pages ask for a count in the background instead (`round_count_request`);
    this is for scripts, the shell and tests, and gives the same result."""
    round = lock_round(round)
    ensure_may_count(actor, round)
    ensure_countable(round)
    results = {pot.pk: pot_count_fields(pot) for pot in round.pots.all()}
    return round_count_write(actor=actor, round=round, results=results)


@transaction.atomic
def round_certify(*, actor, round: VoteRound) -> VoteRound:
    """A trustee signs the count. The second signature, by a different trustee with no conflict
    on any proposal on the ballot, certifies the round and freezes its results.

    Every signature also needs a healthy partnership (enough trustees, a resident majority)
    at that moment, or a platform admin's exception in force (RULINGS): a partnership that
    fell below the rule mid-round cannot certify until it recovers.
    """
    round = lock_round(round)
    ensure_powers(actor, round.neighbourhood, TRUSTEE_ROLES, action="certify a vote")
    refusal = certify_refusal(actor, round)
    if refusal:
        error = StateError if round.status != S.COUNTED else ForbiddenError
        raise error(refusal)
    if round.count_jobs.filter(state__in=ACTIVE_STATES).exists():
        raise StateError("The votes are being counted again: certify once that count is done.")
    exception = ensure_partnership_healthy(round.neighbourhood, action="certify a vote")
    Certification.objects.create(round=round, trustee=actor)
    audit_record(
        action="voting.round_signed",
        actor=actor,
        obj=round,
        actor_role="trustee",
        changes={"partnership_exception_id": exception.pk} if exception else None,
    )
    if round.certifications.values("trustee").distinct().count() >= 2:
        now = timezone.now()
        round.status = S.CERTIFIED
        round.certified_at = now
        round.save(update_fields=["status", "certified_at"])
        PotResult.objects.filter(pot__round=round).update(frozen_at=now)
        audit_record(action="voting.round_certified", actor=actor, obj=round, actor_role="trustee")
    return round


@transaction.atomic
def round_publish_results(*, actor, round: VoteRound) -> VoteRound:
    """certified -> results published: winners become "selected", the rest "not selected"."""
    round = lock_round(round)
    ensure_powers(actor, round.neighbourhood, TRUSTEE_ROLES, action="publish results")
    _ensure_unconflicted(actor, round, "publish these results")
    check_transition(round, S.RESULTS_PUBLISHED)
    select = proposal_service("proposal_select")
    not_select = proposal_service("proposal_not_select")
    for result in PotResult.objects.filter(pot__round=round).select_related("pot"):
        winners = set(result.winners)
        for item in result.pot.items.select_related("proposal"):
            proposal = item.proposal
            if proposal.status != Proposal.Status.ON_BALLOT:
                continue  # imported placeholders and the like
            if proposal.pk in winners:
                select(proposal=proposal, actor=actor)
            else:
                not_select(proposal=proposal, actor=actor)
    round.status = S.RESULTS_PUBLISHED
    round.results_published_at = timezone.now()
    round.save(update_fields=["status", "results_published_at"])
    audit_record(action="voting.results_published", actor=actor, obj=round, actor_role="trustee")
    outbox_enqueue("notifications.tasks.round_notice_task", round.pk, "results")
    return round


@dataclass
class RecountCheck:
    pot: Pot
    matches: bool
    stored_winners: list[int]
    recount_winners: list[int]


def round_recount(*, round: VoteRound) -> list[RecountCheck]:
    """Count every pot again from the stored ballots and compare with the stored result.

    Reads only: a certified result is never changed by a recount.
    """
    checks = []
    for pot in round.pots.all():
        stored = PotResult.objects.filter(pot=pot).first()
        if stored is None:
            raise ApplicationError("This vote has not been counted yet.")
        fields = _result_fields(pot)
        same = all(
            fields[k] == getattr(stored, k)
            for k in ("winners", "scores", "total_cost_pence", "ballots_counted")
        )
        checks.append(RecountCheck(pot, same, stored.winners, fields["winners"]))
    return checks
