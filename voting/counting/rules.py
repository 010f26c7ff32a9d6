"""``tally``: one entry point for every counting rule, returning an exact ``Outcome``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .greedy import city_scores, greedy_welfare, ranked_greedy
from .mes import method_of_equal_shares
from .model import WITHDRAWN_COST, BallotGrouper, Election, Number, exact_number, format_number
from .phragmen import sequential_phragmen
from .tables import tables_for

# rule id -> what it reproduces (pabutools 1.2.3 call, default lexico tie-breaking, resolute).
RULE_DESCRIPTIONS = {
    "greedy": "greedy_utilitarian_welfare, Cost_Sat: rank by supporters, fund what fits",
    "greedy-per-cost": "greedy_utilitarian_welfare, Cardinality_Sat: supporters per unit of cost",
    "greedy-points": "greedy_utilitarian_welfare, Additive_Cardinal_Sat: points per unit of cost",
    "mes": "method_of_equal_shares, Cost_Sat",
    "mes-add1": "method_of_equal_shares, Cost_Sat, voter_budget_increment=1",
    "mes-add1-greedy": "MES Cost_Sat Add1, then greedy Cost_Sat (completion_by_rule_combination)",
    "mes-cardinality": "method_of_equal_shares, Cardinality_Sat",
    "mes-cardinality-add1": "method_of_equal_shares, Cardinality_Sat, voter_budget_increment=1",
    "mes-points": "method_of_equal_shares, Additive_Cardinal_Sat",
    "phragmen": "sequential_phragmen (stops at the first tied winner that does not fit)",
    "mes-add1-greedy-vs-greedy": "popularity_comparison, Cardinality_Sat: vs greedy",
    "city": "the META rule: greedy, greedy-no-skip, greedy-threshold or equalshares/add1",
}
RULES = tuple(RULE_DESCRIPTIONS)

CITY_GREEDY_RULES = ("greedy", "greedy-no-skip", "greedy-threshold")
CITY_MES_RULES = ("equalshares/add1", "equalshares/add1-comparison", "equalshares")


@dataclass
class Outcome:
    """The funded projects (ids sorted as strings), their exact total cost, the scores used, and
    why."""

    rule: str
    winners: list[str]
    total_cost: Number
    scores: dict[str, Number]
    explanation: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"winners": self.winners, "total_cost": format_number(self.total_cost)}


def _outcome(election: Election, rule: str, chosen_ids, scores, explanation, **details) -> Outcome:
    winners = sorted(set(chosen_ids))
    total = sum((election.projects[p].cost for p in winners), 0)
    return Outcome(rule, winners, total, scores, explanation, details)


def _approvals(election: Election) -> dict[str, int]:
    """``election.approval_scores()``, read off the cached tables (same counts, same order)."""
    tables = tables_for(election)
    return dict(zip(tables.ids, tables.approval_score, strict=True))


def _ids(election: Election, indices) -> list[str]:
    ids = tables_for(election).ids
    return [ids[j] for j in indices]


def tally(election: Election, rule: str, **options: Any) -> Outcome:
    """Count ``election`` with ``rule`` (one of RULES).

    Options: ``exact=True`` decides everything in exact rationals: MES and Phragmen skip their
    float fast paths (greedy rules are exact either way). The app counts with ``exact=True``
    (``voting.counting_adapter.count``); the fast path serves recounts of large files and is
    tested equal to it. For ``city`` (and its building blocks): ``rule_meta`` (default META
    rule), ``skip``, ``threshold``, ``score`` ('auto', 'approvals', 'points', 'positional'),
    ``ranks`` (k of positional points) and ``completion`` (MES followed by greedy); see
    ``city_tally``.
    """
    if rule == "city":
        return city_tally(election, **options)
    exact = bool(options.pop("exact", False))
    if options:
        raise TypeError(f"rule {rule} takes no options {sorted(options)}")
    approvals = _approvals(election)
    if rule in ("greedy", "greedy-per-cost", "greedy-points"):
        sat = {"greedy": "cost", "greedy-per-cost": "cardinality", "greedy-points": "points"}[rule]
        scores = election.point_scores() if sat == "points" else approvals
        chosen = _ids(election, greedy_welfare(election, sat))
        why = [f"{RULE_DESCRIPTIONS[rule]}; ties go to the smallest project id"]
        return _outcome(election, rule, chosen, scores, why)
    if rule in (
        "mes",
        "mes-add1",
        "mes-cardinality",
        "mes-cardinality-add1",
        "mes-points",
        "mes-add1-greedy",
    ):
        sat = (
            "points" if rule == "mes-points" else "cardinality" if "cardinality" in rule else "cost"
        )
        result = method_of_equal_shares(election, sat, add1="add1" in rule, exact=exact)
        chosen = result.winners
        why = [
            f"{RULE_DESCRIPTIONS[rule]}; ties go to the smallest project id",
            f"each voter started with {format_number(result.per_voter_budget)} "
            f"after {result.iterations} count(s)",
        ]
        if rule == "mes-add1-greedy":
            chosen = _complete(election, chosen)
        scores = election.point_scores() if sat == "points" else approvals
        return _outcome(
            election,
            rule,
            _ids(election, chosen),
            scores,
            why,
            iterations=result.iterations,
            per_voter_budget=result.per_voter_budget,
        )
    if rule == "phragmen":
        chosen = _ids(election, sequential_phragmen(election, exact=exact))
        return _outcome(election, rule, chosen, approvals, [RULE_DESCRIPTIONS[rule]])
    if rule == "mes-add1-greedy-vs-greedy":
        return _popularity(election, exact)
    raise ValueError(f"unknown rule {rule!r}; expected one of {', '.join(RULES)}")


def _complete(election: Election, chosen: list[int]) -> list[int]:
    """completion_by_rule_combination: keep an exhaustive outcome, else fill it up greedily by
    supporters.
    """
    tables = tables_for(election)
    spent = sum(tables.costs[j] for j in chosen)
    taken = set(chosen)
    if all(
        j in taken or spent + tables.costs[j] > election.budget for j in range(tables.num_projects)
    ):
        return chosen
    return greedy_welfare(election, "cost", initial=chosen)


def _popularity(election: Election, exact: bool) -> Outcome:
    """pabutools popularity_comparison: each voter backs the outcome(s) funding most projects they
    approve.
    """
    full = _complete(
        election, method_of_equal_shares(election, "cost", add1=True, exact=exact).winners
    )
    greedy = greedy_welfare(election, "cost")
    results = [full] if full == greedy else [full, greedy]
    # Per ballot group, how many projects of each outcome its ballot names (Cardinality_Sat); the
    # tables list a group once per entry of its ballot, exactly as the ballot names projects.
    tables = tables_for(election)
    groups = len(tables.weights)
    sats = np.zeros((len(results), groups), dtype=np.int64)
    for row, outcome in zip(sats, results, strict=True):
        for j in set(outcome):
            row += np.bincount(tables.supporters[j], minlength=groups)
    backs = sats == sats.max(axis=0)
    support = [int(x) for x in backs.astype(np.int64) @ tables.weights]
    best = support.index(max(support))
    why = [RULE_DESCRIPTIONS["mes-add1-greedy-vs-greedy"], f"support {support} (MES first)"]
    return _outcome(
        election,
        "mes-add1-greedy-vs-greedy",
        _ids(election, results[best]),
        _approvals(election),
        why,
    )


def without_projects(election: Election, excluded: set[str]) -> Election:
    """The same vote with some projects struck off the ballot paper (voters keep their other
    choices)."""
    keep = [p for p in election.projects.values() if p.id not in excluded]
    grouper = BallotGrouper(election.vote_type, [p.id for p in keep])
    for key, weight in election.ballots:
        if election.vote_type == "cumulative":
            grouper.add([(k, v) for k, v in key if k not in excluded], weight)
        else:
            grouper.add([k for k in key if k not in excluded], weight)
    # Empty ballots stay: they still hold a share of the budget under MES.
    return Election(
        budget=election.budget,
        projects=keep,
        vote_type=election.vote_type,
        ballots=grouper.groups(),
        meta=election.meta,
    )


def city_tally(
    election: Election,
    *,
    rule_meta: str | None = None,
    skip: bool | None = None,
    threshold: Number | str | None = None,
    score: str = "auto",
    completion: bool = False,
    exact: bool = False,
    ranks: int | None = None,
) -> Outcome:
    """What the city did: the META ``rule`` with the file's parameters (each overridable).

    Greedy family: rank by ``score`` (ties: lower cost, then smallest id string), never fund a
    withdrawn
    project (cost 999999999) or one scoring below ``threshold`` (default META
    min_project_score_threshold),
    and with ``skip=False`` (default for greedy-no-skip) stop at the first project that does not
    fit.
    Ordinal ballots score k, k-1, ..., 1 by position, k = ``ranks`` (default META max_length,
    else the longest ballot): a ballot ranking one project gives it k points.
    ``equalshares/add1``: MES with cost utilities and Add1, without completion unless
    ``completion=True``.
    """
    rule_meta = (rule_meta or election.meta.get("rule", "")).strip()
    withdrawn = {p.id for p in election.projects.values() if p.cost == WITHDRAWN_COST}
    if rule_meta in CITY_GREEDY_RULES:
        scores = city_scores(election, score, ranks)
        if threshold is None and election.meta.get("min_project_score_threshold", "").strip():
            threshold = election.meta["min_project_score_threshold"]
        if threshold is not None:
            threshold = exact_number(threshold)
        if skip is None:
            skip = rule_meta != "greedy-no-skip"
        chosen = ranked_greedy(election, scores, skip=skip, threshold=threshold)
        why = [
            f"city rule {rule_meta}: rank by {score} score, "
            "ties to the cheaper project then the smallest id",
            f"threshold {format_number(threshold) if threshold is not None else 'none'}; "
            + ("skip projects that do not fit" if skip else "stop at the first that does not fit"),
        ]
        return _outcome(election, "city", chosen, scores, why, threshold=threshold, skip=skip)
    if rule_meta in CITY_MES_RULES:
        counted = without_projects(election, withdrawn) if withdrawn else election
        inner = tally(counted, "mes-add1-greedy" if completion else "mes-add1", exact=exact)
        why = [f"city rule {rule_meta}: Method of Equal Shares, cost utilities, Add1"]
        why.append("completed greedily by supporters" if completion else "no greedy completion")
        why.extend(inner.explanation[1:])
        return _outcome(
            election, "city", inner.winners, election.approval_scores(), why, **inner.details
        )
    raise ValueError(
        f"the file's META rule {rule_meta!r} is not one we can apply; use a named rule instead"
    )
