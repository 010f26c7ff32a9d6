"""Method of Equal Shares, as pabutools 1.2.3 computes it, with a float fast path that is checked
exactly.

pabutools' MES (resolute, lexico tie-break) selects, round after round, the affordable project with
the
smallest exact affordability rho, where supporter i pays min(budget_i, rho * u_i(p)) and the
payments sum to
the cost; ties go to the smallest project id string. A project is affordable while its supporters'
budgets
sum to at least its cost. Voters with identical ballots always hold identical budgets, so ballots
are grouped.

The fast path runs the same rounds in float64 with numpy. Only two kinds of step are discrete:
"which rho is
smallest" and "do the supporters still hold the cost". Every such comparison closer than a relative
1e-9
(about 10^6 times the float error these sums can accumulate) is re-decided exactly: a tie between
projects
whose supporters have not paid yet is settled with exact fractions on the spot; any other close call
re-runs
that whole count in exact fractions. A float therefore never decides a winner.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

try:  # gmpy2's rationals (a pabutools dependency) are ~10x faster than Fraction; same exact values.
    from gmpy2 import mpq as Q
except ImportError:  # pragma: no cover - plain Fraction is just as exact
    Q = Fraction

from .model import Election
from .tables import Tables, as_fraction, tables_for

TOLERANCE = 1e-9


@dataclass
class MesInput:
    """Per project: cost, supporting groups with positive satisfaction, and their satisfaction."""

    tables: Tables
    costs: list[Fraction]
    cost_f: np.ndarray
    sup: list[np.ndarray]
    w_int: list[list[int]]
    w_f: list[np.ndarray]
    w_total: list[float]
    uniform: list[Fraction | None]  # one utility shared by all supporters, or None
    util: list[list[Fraction]]  # exact utility per supporter when not uniform
    util_f: list[np.ndarray | None]
    total_sat: list[Fraction]
    eligible: list[int]  # positive cost and positive total satisfaction
    free: list[int]  # zero cost, positive total satisfaction: pabutools funds them up front
    num_groups: int
    num_voters: int


def _q(value) -> Q:
    value = as_fraction(value)
    return Q(value.numerator, value.denominator)


def mes_input(election: Election, sat: str) -> MesInput:
    key = f"mes:{sat}"
    cached = election._cache.get(key)
    if cached is None:
        cached = _build_input(election, sat)
        election._cache[key] = cached
    return cached


def _build_input(election: Election, sat: str) -> MesInput:
    tables = tables_for(election)
    weights = tables.weights
    sup, w_int, w_f, uniform, util, util_f, total_sat = [], [], [], [], [], [], []
    for j in range(tables.num_projects):
        groups = tables.supporters[j]
        cost = _q(tables.costs[j])
        if sat == "points":
            if election.vote_type != "cumulative":
                raise ValueError("points satisfaction needs cumulative ballots")
            pts = [_q(p) for p in tables.points[j]]
            keep = [i for i, p in enumerate(pts) if p > 0]
            groups = groups[keep]
            utilities = [pts[i] for i in keep]
            uniform.append(None)
            util.append(utilities)
            util_f.append(np.array([float(u) for u in utilities], dtype=np.float64))
        else:
            u = cost if sat == "cost" else Q(1)
            if u <= 0:
                groups = groups[:0]
            uniform.append(u)
            util.append([])
            util_f.append(None)
        weights_j = [int(x) for x in weights[groups]]
        sup.append(groups)
        w_int.append(weights_j)
        w_f.append(weights[groups].astype(np.float64))
        if uniform[-1] is not None:
            total_sat.append(uniform[-1] * sum(weights_j))
        else:
            total_sat.append(sum((u * w for u, w in zip(util[-1], weights_j, strict=True)), Q(0)))
    costs = [_q(c) for c in tables.costs]
    eligible = [j for j in range(tables.num_projects) if total_sat[j] > 0 and costs[j] > 0]
    free = [j for j in range(tables.num_projects) if total_sat[j] > 0 and costs[j] == 0]
    return MesInput(
        tables=tables,
        costs=costs,
        cost_f=np.array([float(c) for c in costs], dtype=np.float64),
        sup=sup,
        w_int=w_int,
        w_f=w_f,
        w_total=[float(x.sum()) for x in w_f],
        uniform=uniform,
        util=util,
        util_f=util_f,
        total_sat=total_sat,
        eligible=eligible,
        free=free,
        num_groups=len(weights),
        num_voters=tables.num_voters,
    )


def _rho_float(data: MesInput, j: int, b: np.ndarray) -> float:
    """Smallest rho with sum_i w_i * min(b_i, rho * u_i) = cost, given the supporters' budgets
    ``b``."""
    w = data.w_f[j]
    cost = data.cost_f[j]
    u_f = data.util_f[j]
    if u_f is None:
        # One utility for all: solve for the per-voter payment q, then rho = q / u.
        total_w = data.w_total[j]
        q = cost / total_w
        if b.min() >= q:
            return q / float(data.uniform[j])
        count = 0
        while True:
            poor = b < q
            new_count = int(np.count_nonzero(poor))
            if new_count == count:
                return q / float(data.uniform[j])
            count = new_count
            rest = total_w - w[poor].sum()
            if rest <= 0:  # the supporters hold exactly the cost (up to rounding): all pay all
                return float(b.max()) / float(data.uniform[j])
            q = (cost - np.dot(w[poor], b[poor])) / rest
    wu = w * u_f
    ratio = b / u_f
    total = wu.sum()
    rho = cost / total
    count = 0
    while True:
        poor = ratio < rho
        new_count = int(np.count_nonzero(poor))
        if new_count == count:
            return rho
        count = new_count
        rest = total - wu[poor].sum()
        if rest <= 0:
            return float(ratio.max())
        rho = (cost - np.dot(w[poor], b[poor])) / rest


def _rho_exact_list(
    cost: Fraction, weights: list[int], utils: list[Fraction], budgets
) -> Fraction | None:
    """Exact rho for supporters with given budgets (budgets[i] for the i-th supporter); None if
    unaffordable.
    """
    if sum(w * budgets[i] for i, w in enumerate(weights)) < cost:
        return None
    order = sorted(range(len(weights)), key=lambda i: budgets[i] / utils[i])
    paid = Q(0)
    denominator = sum(w * u for w, u in zip(weights, utils, strict=True))
    for i in order:
        rho = (cost - paid) / denominator
        if rho * utils[i] <= budgets[i]:
            return rho
        paid += weights[i] * budgets[i]
        denominator -= weights[i] * utils[i]
    return None  # unreachable when affordable


class _ExactShadow:
    """Exact budgets, brought up to date only when a float comparison is too close to call.

    It replays the funded projects in order, each time computing the exact rho from the exact
    budgets, so
    the float run's earlier (safely decided) choices are kept and only the close call is settled
    exactly.
    """

    def __init__(self, data: MesInput, b0: Fraction) -> None:
        self.data = data
        self.budgets = [Q(b0)] * data.num_groups
        self.applied = 0

    def sync(self, selected: list[int]) -> None:
        data = self.data
        while self.applied < len(selected):
            j = selected[self.applied]
            rho = self.rho(j)
            budgets = self.budgets
            utils = data.util[j] or [data.uniform[j]] * len(data.sup[j])
            for g, u in zip(data.sup[j].tolist(), utils, strict=True):
                budgets[g] -= min(budgets[g], rho * u)
            self.applied += 1

    def available(self, j: int) -> Fraction:
        budgets = self.budgets
        pairs = zip(self.data.sup[j].tolist(), self.data.w_int[j], strict=True)
        return sum((w * budgets[g] for g, w in pairs), Q(0))

    def rho(self, j: int) -> Fraction | None:
        data = self.data
        local = [self.budgets[g] for g in data.sup[j].tolist()]
        utils = data.util[j] or [data.uniform[j]] * len(local)
        return _rho_exact_list(data.costs[j], data.w_int[j], utils, local)


def mes_float(data: MesInput, b0: Fraction) -> list[int]:
    """One MES count with every voter starting at ``b0``; close calls are settled exactly."""
    budgets = np.full(data.num_groups, float(b0), dtype=np.float64)
    afford = {j: float(data.costs[j] / data.total_sat[j]) for j in data.eligible}
    remaining = list(data.eligible)
    selected: list[int] = []
    shadow: _ExactShadow | None = None
    lex = data.tables.lex_rank
    while remaining:
        remaining.sort(key=afford.__getitem__)
        best = float("inf")
        evaluated: list[tuple[float, int]] = []
        dropped: set[int] = set()
        for j in remaining:
            if afford[j] > best * (1 + 4 * TOLERANCE):
                break
            b = budgets[data.sup[j]]
            available = float(np.dot(data.w_f[j], b))
            cost = data.cost_f[j]
            if abs(available - cost) <= cost * TOLERANCE:
                if shadow is None:
                    shadow = _ExactShadow(data, b0)
                shadow.sync(selected)
                affordable = shadow.available(j) >= data.costs[j]
            else:
                affordable = available > cost
            if not affordable:
                dropped.add(j)
                continue
            rho = _rho_float(data, j, b)
            afford[j] = rho
            evaluated.append((rho, j))
            best = min(best, rho)
        if dropped:
            remaining = [j for j in remaining if j not in dropped]
        if not evaluated:
            break
        close = [j for rho, j in evaluated if rho <= best * (1 + TOLERANCE)]
        if len(close) == 1:
            winner = close[0]
        else:
            if shadow is None:
                shadow = _ExactShadow(data, b0)
            shadow.sync(selected)
            exact = [(shadow.rho(j), lex[j], j) for j in close]
            winner = min(e for e in exact if e[0] is not None)[2]
        selected.append(winner)
        remaining.remove(winner)
        s = data.sup[winner]
        rho = afford[winner]
        u = data.uniform[winner]
        pay = rho * (float(u) if u is not None else data.util_f[winner])
        budgets[s] = np.maximum(budgets[s] - pay, 0.0)
    return selected


def mes_exact(data: MesInput, b0: Fraction) -> list[int]:
    """One MES count in exact fractions (pabutools' algorithm on grouped ballots)."""
    budgets = [Q(b0)] * data.num_groups
    afford = {j: data.costs[j] / data.total_sat[j] for j in data.eligible}
    remaining = set(data.eligible)
    selected: list[int] = []
    lex = data.tables.lex_rank
    while remaining:
        best = None
        tied: list[int] = []
        for j in sorted(remaining, key=lambda k: (afford[k], lex[k])):
            if best is not None and afford[j] > best:
                break
            groups = data.sup[j]
            local = [budgets[g] for g in groups]
            utils = data.util[j] or [data.uniform[j]] * len(local)
            rho = _rho_exact_list(data.costs[j], data.w_int[j], utils, local)
            if rho is None:
                remaining.discard(j)
                continue
            afford[j] = rho
            if best is None or rho < best:
                best, tied = rho, [j]
            elif rho == best:
                tied.append(j)
        if not tied:
            break
        winner = min(tied, key=lex.__getitem__)
        selected.append(winner)
        remaining.discard(winner)
        utils = data.util[winner] or [data.uniform[winner]] * len(data.sup[winner])
        for g, u in zip(data.sup[winner], utils, strict=True):
            budgets[g] -= min(budgets[g], best * u)
    return selected


def mes_once(data: MesInput, b0: Fraction, *, exact: bool = False) -> list[int]:
    return mes_exact(data, b0) if exact else mes_float(data, b0)


@dataclass
class MesResult:
    winners: list[int]
    iterations: int  # Add1 rounds run (1 without Add1)
    per_voter_budget: Fraction  # the starting budget per voter of the count returned


def method_of_equal_shares(
    election: Election, sat: str, *, add1: bool = False, exact: bool = False
) -> MesResult:
    """pabutools.rules.method_of_equal_shares(sat_class=..., voter_budget_increment=1 if add1 else
    None).

    Add1: start every voter at budget/n, and while the outcome is not exhaustive (some MES-eligible
    project
    still fits in the money left) raise every voter's budget by one currency unit and count again;
    when an
    outcome overspends the real budget, return the previous one.
    """
    data = mes_input(election, sat)
    if data.num_voters == 0:
        return MesResult([], 0, Fraction(0))
    b0 = as_fraction(election.budget) / data.num_voters
    base = list(data.free)
    previous = base
    previous_b0 = b0
    iterations = 0
    budget = election.budget
    while True:
        iterations += 1
        outcome = base + mes_once(data, b0, exact=exact)
        if not add1:
            return MesResult(outcome, iterations, b0)
        spent = sum(as_fraction(data.tables.costs[j]) for j in outcome)
        if spent > budget:
            return MesResult(previous, iterations, previous_b0)
        chosen = set(outcome)
        costs = data.tables.costs
        if not any(j not in chosen and costs[j] + spent <= budget for j in data.eligible):
            return MesResult(outcome, iterations, b0)
        previous, previous_b0 = outcome, b0
        b0 += 1
