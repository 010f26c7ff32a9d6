"""Greedy rules: pabutools' greedy utilitarian welfare, and the ranking rules cities actually
use."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction

from .model import WITHDRAWN_COST, Election, Number
from .tables import Tables, tables_for

SATISFACTIONS = ("cost", "cardinality", "points")


def total_satisfaction(election: Election, tables: Tables, sat: str) -> list[Number]:
    """Sum over voters of a project's satisfaction (pabutools' Cost_Sat, Cardinality_Sat,
    Additive_Cardinal_Sat).
    """
    if sat == "cost":
        return [
            score * cost for score, cost in zip(tables.approval_score, tables.costs, strict=True)
        ]
    if sat == "cardinality":
        return list(tables.approval_score)
    if sat == "points":
        if election.vote_type != "cumulative":
            raise ValueError("points satisfaction needs cumulative ballots")
        weights = tables.weights
        return [
            sum((p * int(weights[g]) for p, g in zip(points, groups, strict=True)), 0)
            for points, groups in zip(tables.points, tables.supporters, strict=True)
        ]
    raise ValueError(f"unknown satisfaction {sat!r}; expected one of {', '.join(SATISFACTIONS)}")


def greedy_welfare(election: Election, sat: str, initial: Iterable[int] = ()) -> list[int]:
    """pabutools.rules.greedy_utilitarian_welfare (additive satisfaction, resolute, lexico
    tie-break).

    Projects are ranked by total satisfaction per unit of cost, highest first; a project nobody is
    satisfied
    by ranks at 0, a free project somebody likes ranks first; ties go to the smallest project id
    string. Going
    down the ranking, every project that still fits in the budget left is funded (skipping those
    that do not).
    Returns project indices (file order) including ``initial``.
    """
    tables = tables_for(election)
    chosen = list(initial)
    totals = total_satisfaction(election, tables, sat)

    def rank(j: int) -> tuple:
        total, cost = totals[j], tables.costs[j]
        if total > 0 and cost == 0:
            return (0, 0, tables.lex_rank[j])
        density = Fraction(total) / cost if total > 0 else Fraction(0)
        return (1, -density, tables.lex_rank[j])

    remaining = election.budget - sum(tables.costs[j] for j in chosen)
    taken = set(chosen)
    for j in sorted((j for j in range(tables.num_projects) if j not in taken), key=rank):
        if tables.costs[j] <= remaining:
            chosen.append(j)
            remaining -= tables.costs[j]
    return chosen


def city_scores(
    election: Election, score: str = "auto", ranks: int | None = None
) -> dict[str, Number]:
    """The score a city ranks projects by.

    ``auto``: approvals for approval and choose-1 ballots, sum of points for cumulative ballots, and
    positional
    points k, k-1, ..., 1 for ordinal ballots, k being ``ranks`` (the round's most ranks; default
    META max_length, else the longest ballot). ``approvals``, ``points`` and ``positional`` force
    one.
    """
    if score == "auto":
        score = {"cumulative": "points", "ordinal": "positional"}.get(
            election.vote_type, "approvals"
        )
    if score == "approvals":
        return election.approval_scores()
    if score == "points":
        return election.point_scores()
    if score == "positional":
        return election.positional_scores(ranks)
    raise ValueError(f"unknown score {score!r}; expected auto, approvals, points or positional")


def ranked_greedy(
    election: Election,
    scores: dict[str, Number],
    *,
    skip: bool = True,
    threshold: Number | None = None,
    budget: Number | None = None,
    exclude: Sequence[str] = (),
) -> list[str]:
    """A city's greedy rule: go down the ranking and fund what fits.

    Ranking: score, highest first; ties go to the cheaper project, then to the smallest id string
    (cities
    publish no tie rule; a cheaper project leaves more money for the next ones, and the id order
    makes the
    result independent of file order). A project scoring below ``threshold`` or withdrawn (cost
    999999999)
    is never funded. ``skip=False`` (greedy-no-skip) stops at the first project that does not fit.
    """
    left = election.budget if budget is None else budget
    excluded = set(exclude)
    ranking = sorted(
        (p for p in election.projects.values() if p.id not in excluded),
        key=lambda p: (-scores[p.id], p.cost, p.id),
    )
    winners = []
    for project in ranking:
        if project.cost == WITHDRAWN_COST or (
            threshold is not None and scores[project.id] < threshold
        ):
            continue
        if project.cost <= left:
            winners.append(project.id)
            left -= project.cost
        elif not skip:
            break
    return winners
