"""Open data: write a round's anonymised ballots as Pabulib, and load a Pabulib file as a round.

Export: costs and budget in pounds (exact decimals), random voter ids, no age, sex or time; the
identical ballots come out grouped, so nothing of the order of voting survives.

Import (for demos, training and testing): a closed round, one pot, placeholder proposals created
directly in state "on ballot", titled "[Imported] ..." with organisation "Imported from Pabulib"
(they belong to no proposer's journey, so they skip the proposals lifecycle; the neighbourhood's
registrant stands as their proposer). Ballots are stored with channel "imported".
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from communities.models import Neighbourhood
from config.errors import ApplicationError, StateError
from proposals.markup import render_plain
from proposals.models import CostLine, Proposal, Theme
from proposals.text import single_line, without_spoofing_characters

from ..counting import Election, PabulibError, format_number, parse_pabulib, write_pabulib
from ..counting_adapter import pounds, to_pence
from ..models import (
    Ballot,
    BallotMethod,
    Channel,
    CountingRule,
    Pot,
    PotItem,
    VoteRound,
)
from .results import pot_election

IMPORTED_ORGANISATION = "Imported from Pabulib"

CITY_RULE = {
    "greedy": "greedy",
    "mes_add1": "equalshares/add1",
    "mes_add1_greedy": "equalshares/add1",
    "phragmen": "phragmen",
}


def _meta_rule(round: VoteRound) -> dict:
    if round.counting_rule == CountingRule.GREEDY:
        meta = {"rule": "greedy" if round.greedy_skip else "greedy-no-skip"}
        if round.score_threshold:
            meta["rule"] = "greedy-threshold"
            meta["min_project_score_threshold"] = round.score_threshold
        return meta
    return {"rule": CITY_RULE[round.counting_rule]}


# Ballots leave the system only once no more can be cast: an export while the vote is open
# would publish interim results.
EXPORTABLE_STATES = (
    VoteRound.Status.CLOSED,
    VoteRound.Status.COUNTED,
    VoteRound.Status.CERTIFIED,
    VoteRound.Status.RESULTS_PUBLISHED,
)


def round_export_pabulib(*, round: VoteRound, pot: Pot | None = None) -> str:
    """The pot's ballots (default: the round's first pot) as a Pabulib file.

    Refused until the round is closed: ballots exported while voting goes on are interim
    results, which could sway the rest of the vote.
    """
    if round.status not in EXPORTABLE_STATES:
        raise StateError(
            f"This vote is “{round.get_status_display()}”: its ballots can be exported only "
            "after it has closed."
        )
    pot = pot or round.pots.first()
    if pot is None:
        raise ApplicationError("This vote has no pots.")
    election = pot_election(pot)
    meta = {
        "description": f"{round.title}: {pot.name}",
        "country": "United Kingdom",
        "unit": round.neighbourhood.name,
        "instance": f"commonpurse-round-{round.pk}-pot-{pot.pk}",
        "currency": "GBP",
        "date_begin": round.opens_at.date().isoformat(),
        "date_end": round.closes_at.date().isoformat(),
        "language": "en",
        **_meta_rule(round),
    }
    if round.ballot_method in (BallotMethod.K_APPROVAL, BallotMethod.RANKING):
        meta["max_length"] = round.max_choices
    if round.ballot_method == BallotMethod.RANKING:
        meta["comment"] = (
            "Ranked ballots score max_length, max_length-1, ..., 1 points by position (a ballot "
            "ranking one project gives it max_length points); recount with "
            "manage.py tally_pb FILE.pb --rule city"
        )
    if round.ballot_method == BallotMethod.KNAPSACK:
        meta["max_sum_cost"] = format_number(pounds(pot.amount_pence))
    if round.ballot_method == BallotMethod.CUMULATIVE:
        meta["max_sum_points"] = round.points_total
    if pot.ballots_sha256:  # the counted ballots' digest: recompute it from VOTES to check
        meta["ballots_sha256"] = pot.ballots_sha256
    return write_pabulib(election, meta=meta)


@dataclass
class ImportResult:
    round: VoteRound
    warnings: list[str] = field(default_factory=list)


def _method_from(election: Election) -> dict:
    lengths = [len(key) for key, _ in election.ballots] or [1]
    meta = election.meta
    if election.vote_type == "cumulative":
        total = max((sum(int(p) for _, p in key) for key, _ in election.ballots), default=1)
        declared = meta.get("max_sum_points", "").strip()
        return {
            "ballot_method": BallotMethod.CUMULATIVE,
            "points_total": int(declared) if declared.isdigit() else max(total, 1),
        }
    k = meta.get("max_length", "").strip()
    k = int(k) if k.isdigit() else max(lengths)
    if election.vote_type == "ordinal":
        return {"ballot_method": BallotMethod.RANKING, "max_choices": max(k, max(lengths))}
    if election.vote_type == "choose-1":
        k = 1
    return {"ballot_method": BallotMethod.K_APPROVAL, "max_choices": max(k, max(lengths))}


def _rule_from(meta: dict, method: str) -> dict:
    rule = meta.get("rule", "").strip()
    if rule.startswith("equalshares") and method == BallotMethod.K_APPROVAL:
        return {"counting_rule": CountingRule.MES_ADD1}
    threshold = meta.get("min_project_score_threshold", "").strip()
    return {
        "counting_rule": CountingRule.GREEDY,
        "greedy_skip": rule != "greedy-no-skip",
        "score_threshold": int(threshold) if threshold.isdigit() and int(threshold) else None,
    }


def _clean(text: str) -> str:
    """A file's text as one line without invisible or text-direction characters."""
    return without_spoofing_characters(single_line(str(text or "")))


@transaction.atomic
def round_import_pabulib(
    *, neighbourhood: Neighbourhood, source, actor=None, title: str = ""
) -> ImportResult:
    """Load a Pabulib election (path, text or bytes) as a closed round of the neighbourhood.

    Raises ApplicationError naming the line and reason for a malformed file. Recount warnings
    (PROJECTS votes/score columns that differ from the VOTES section) are returned.
    """
    try:
        election = parse_pabulib(source)
    except PabulibError as exc:
        raise ApplicationError(f"Line {exc.line}: {exc.reason}") from exc
    try:
        budget_pence = to_pence(election.budget)
        costs = {pid: to_pence(p.cost) for pid, p in election.projects.items()}
    except ValueError as exc:
        raise ApplicationError(f"The file has amounts we cannot store: {exc}") from exc
    method = _method_from(election)
    meta = election.meta
    now = timezone.now()
    name = _clean(title or meta.get("description") or os.path.basename(str(source))[:100])
    round = VoteRound(
        neighbourhood=neighbourhood,
        title=f"[Imported] {name}"[:120],
        description="Loaded from a Pabulib file for demonstration, training or testing.",
        status=VoteRound.Status.CLOSED,
        opens_at=now - timedelta(days=2),
        closes_at=now - timedelta(days=1),
        open_at=now - timedelta(days=2),
        closed_at=now,
        published_at=now - timedelta(days=2),
        eligible_connections=["lives", "works", "studies", "volunteers"],
        imported=True,
        import_meta=dict(meta),
        created_by=actor,
        **method,
        **_rule_from(meta, method["ballot_method"]),
    )
    round.save()
    pot = Pot.objects.create(
        round=round,
        name=_clean(meta.get("unit", ""))[:100] or "Imported pot",
        amount_pence=budget_pence,
        position=0,
    )
    proposal_ids: dict[str, int] = {}
    for number, (pid, project) in enumerate(election.projects.items(), start=1):
        description = f"Imported from a Pabulib file (project id {_clean(pid)})."
        proposal = Proposal.objects.create(
            neighbourhood=neighbourhood,
            proposer=neighbourhood.registrant,
            organisation=IMPORTED_ORGANISATION,
            title=f"[Imported] {_clean(project.name) or 'Project ' + _clean(pid)}"[:120],
            summary=f"Project {_clean(pid)} of an imported Pabulib election."[:200],
            description=description,
            # The file's text is hostile until shown otherwise: escaped, as plain text, then
            # through the same sanitiser as residents' Markdown (never f-string HTML).
            description_html=render_plain(description),
            theme=Theme.OTHER,
            status=Proposal.Status.ON_BALLOT,
            status_reason="Imported from a Pabulib file",
            on_ballot_at=now,
            screened_cost_pence=costs[pid],
        )
        CostLine.objects.create(proposal=proposal, description="Cost", amount_pence=costs[pid])
        PotItem.objects.create(pot=pot, proposal=proposal, number=number, cost_pence=costs[pid])
        proposal_ids[pid] = proposal.pk
    rows = []
    for key, weight in election.ballots:
        if election.vote_type == "cumulative":
            choices = {str(proposal_ids[p]): int(v) for p, v in key}
        else:
            choices = [proposal_ids[p] for p in key]
        rows.extend(
            Ballot(round=round, pot=pot, channel=Channel.IMPORTED, choices=choices)
            for _ in range(weight)
        )
    Ballot.objects.bulk_create(rows, batch_size=2000)
    audit_record(
        action="voting.round_imported",
        actor=actor,
        obj=round,
        actor_role="trustee" if actor else "system",
        changes={"projects": len(election.projects), "ballots": election.num_voters},
    )
    return ImportResult(round=round, warnings=list(election.warnings))
