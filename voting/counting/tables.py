"""Sparse per-project tables of who supports what, built once per election and reused by every
rule."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .model import Election, Number


@dataclass
class Tables:
    """Projects by index (file order), ballot groups by index, and each project's supporting
    groups."""

    ids: list[str]
    costs: list[Number]
    weights: np.ndarray  # int64, one per ballot group
    num_voters: int
    supporters: list[np.ndarray]  # per project: int64 indices of the groups whose ballot names it
    points: list[list[Number]]  # per project: exact points of those groups (cumulative), else []
    approval_score: list[int]
    lex_rank: list[
        int
    ]  # rank of each project id under Python string order (pabutools' lexico tie-break)

    @property
    def num_projects(self) -> int:
        return len(self.ids)


def tables_for(election: Election) -> Tables:
    """Return (and cache on the election) the sparse tables."""
    cached = election._cache.get("tables")
    if cached is None:
        cached = _build(election)
        election._cache["tables"] = cached
    return cached


def _build(election: Election) -> Tables:
    ids = list(election.projects)
    index = {project_id: i for i, project_id in enumerate(ids)}
    cumulative = election.vote_type == "cumulative"
    group_lists: list[list[int]] = [[] for _ in ids]
    point_lists: list[list[Number]] = [[] for _ in ids]
    weights = np.fromiter(
        (w for _, w in election.ballots), dtype=np.int64, count=len(election.ballots)
    )
    for g, (key, _) in enumerate(election.ballots):
        for entry in key:
            if cumulative:
                project_id, points = entry
                j = index[project_id]
                point_lists[j].append(points)
            else:
                j = index[entry]
            group_lists[j].append(g)
    supporters = [np.asarray(groups, dtype=np.int64) for groups in group_lists]
    approval_score = [int(weights[s].sum()) for s in supporters]
    order = sorted(range(len(ids)), key=ids.__getitem__)
    lex_rank = [0] * len(ids)
    for rank, j in enumerate(order):
        lex_rank[j] = rank
    return Tables(
        ids=ids,
        costs=[election.projects[project_id].cost for project_id in ids],
        weights=weights,
        num_voters=int(weights.sum()),
        supporters=supporters,
        points=point_lists if cumulative else [[] for _ in ids],
        approval_score=approval_score,
        lex_rank=lex_rank,
    )


def as_fraction(value: Number) -> Fraction:
    return value if isinstance(value, Fraction) else Fraction(value)
