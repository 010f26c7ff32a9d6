"""Sequential Phragmen, as pabutools 1.2.3 computes it (approval ballots, resolute, lexico
tie-break).

Each round every remaining project gets a new maximal load (sum of its supporters' loads + cost) /
supporters;
the smallest wins, ties to the smallest id string, and all its supporters' loads become that value.
pabutools
stops as soon as any project tied for the smallest load would overspend (no skipping), so it is not
exhaustive.

A voter's load is always the load set by the last funded project they approve (or 0), so a
project's load sum
is an exact sum over rounds of (supporters last touched in that round) x (that round's load).
Floats pick the
candidates; every candidate within a relative 1e-9 of the minimum is then compared exactly. With
``exact=True`` (what the app counts with) floats pick nothing: every remaining project's load is
computed exactly every round.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .model import Election
from .tables import Tables, tables_for

TOLERANCE = 1e-9


def sequential_phragmen(election: Election, *, exact: bool = False) -> list[int]:
    if election.vote_type not in ("approval", "choose-1"):
        raise ValueError("sequential Phragmen needs approval ballots")
    tables = tables_for(election)
    weights = tables.weights
    budget = election.budget
    scores = tables.approval_score
    remaining = [j for j in range(tables.num_projects) if tables.costs[j] <= budget]
    last = np.zeros(len(weights), dtype=np.int64)  # round that set each group's load; 0 = never
    loads_exact: list[Fraction] = [Fraction(0)]
    group_load = np.zeros(len(weights), dtype=np.float64)
    weights_f = weights.astype(np.float64)
    selected: list[int] = []
    spent = 0
    while remaining:
        estimates = []
        for j in remaining:
            if exact:
                estimates.append(float("inf") if scores[j] == 0 else 0.0)
            elif scores[j] == 0:
                estimates.append(float("inf"))
            else:
                s = tables.supporters[j]
                estimates.append(
                    (float(np.dot(weights_f[s], group_load[s])) + float(tables.costs[j]))
                    / scores[j]
                )
        best = min(estimates)
        if best == float("inf"):
            tied = [j for j in remaining if scores[j] == 0]
            best_exact = None
        else:
            # Exact mode: estimates are 0 for every supported project, so all are compared exactly.
            close = [
                j for j, e in zip(remaining, estimates, strict=True) if e <= best * (1 + TOLERANCE)
            ]
            exact = {j: _exact_load(tables, j, last, loads_exact) for j in close}
            best_exact = min(exact.values())
            tied = [j for j in close if exact[j] == best_exact]
        if any(spent + tables.costs[j] > budget for j in tied):
            break
        winner = min(tied, key=tables.lex_rank.__getitem__)
        selected.append(winner)
        remaining.remove(winner)
        spent += tables.costs[winner]
        if best_exact is not None:
            loads_exact.append(best_exact)
            s = tables.supporters[winner]
            last[s] = len(loads_exact) - 1
            group_load[s] = float(best_exact)
    return selected


def _exact_load(tables: Tables, j: int, last: np.ndarray, loads: list[Fraction]) -> Fraction:
    """Exact new maximal load of project j: (sum of its supporters' loads + cost) / supporters."""
    s = tables.supporters[j]
    # Group weights are small integers, so their float sums are exact (far below 2**53).
    per_round = np.bincount(last[s], weights=tables.weights[s], minlength=len(loads))
    total = sum((int(n) * loads[k] for k, n in enumerate(per_round) if k and n), Fraction(0))
    return (total + tables.costs[j]) / tables.approval_score[j]
