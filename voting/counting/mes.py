"""Method of Equal Shares, as pabutools 1.2.3 computes it, with a float fast path that is checked
exactly.

pabutools' MES (resolute, lexico tie-break) selects, round after round, the affordable project
with the smallest exact affordability rho, where supporter i pays min(budget_i, rho * u_i(p)) and
the payments sum to the cost; ties go to the smallest project id string. A project is affordable
while its supporters' budgets sum to at least its cost. Voters with identical ballots always hold
identical budgets, so ballots are grouped.

The fast path runs the same rounds in float64 with numpy. Only two kinds of step are discrete:
"which rho is smallest" and "do the supporters still hold the cost". Every such comparison closer
than a relative 1e-9 (about 10^6 times the float error these sums can accumulate) is re-decided
exactly by an exact shadow of the budgets (``_ExactShadow``), which replays the count's funded
projects with exact rho. The margin is a judgement about how far float errors can grow, not a
proof, so the app counts with ``exact=True`` (``mes_exact``: rationals only); the fast path serves
recounts of large files (``tally_pb``, the bench) and is tested equal to the exact path on every
shared election.

Add1 (``method_of_equal_shares(add1=True)``) needs one count per per-voter budget B/n, B/n+1, ...
(349 on Warszawa 2023 Mokotow). The counts are independent, so ``mes_batch`` runs up to
``ADD1_BATCH`` of them side by side, budgets as a (groups x counts) array: one numpy pass over a
project's supporters prices it for every count, instead of one pass (and the same per-call
overhead) per count. Each count still makes exactly its own decisions (see ``mes_batch``), and the
outcomes are read in Add1 order, so the result is the sequential one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

# gmpy2's rationals are ~10x faster than Fraction, with the same exact values. gmpy2 is a runtime
# dependency (not only pabutools' one), so production and the tests count with the same backend.
from gmpy2 import mpq as Q

from .model import Election
from .tables import Tables, as_fraction, tables_for

TOLERANCE = 1e-9
ADD1_BATCH = 32  # Add1 counts run side by side at most (see method_of_equal_shares)


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
    batch: _BatchInput | bool | None = field(default=None, repr=False)  # built by _batch_input


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


@dataclass
class _BatchInput:
    """The eligible projects of a uniform-utility MES (Cost_Sat, Cardinality_Sat) as flat arrays."""

    projects: list[int]  # position p -> project index
    sup: list[np.ndarray]
    w: list[np.ndarray]
    w_total: np.ndarray
    cost: np.ndarray
    util: np.ndarray  # the one utility every supporter of the project gets
    start: np.ndarray  # cost / total satisfaction: the first lower bound of rho


def _batch_input(data: MesInput) -> _BatchInput | None:
    """Flat arrays for ``mes_batch``; None when some project has per-supporter utilities."""
    if data.batch is None:
        projects = list(data.eligible)
        if any(data.uniform[j] is None for j in projects):
            data.batch = False
        else:
            data.batch = _BatchInput(
                projects=projects,
                sup=[data.sup[j] for j in projects],
                w=[data.w_f[j] for j in projects],
                w_total=np.array([data.w_total[j] for j in projects], dtype=np.float64),
                cost=np.array([data.cost_f[j] for j in projects], dtype=np.float64),
                util=np.array([float(data.uniform[j]) for j in projects], dtype=np.float64),
                start=np.array(
                    [float(data.costs[j] / data.total_sat[j]) for j in projects], dtype=np.float64
                ),
            )
    return data.batch or None


def _payments(
    sub: np.ndarray,
    w: np.ndarray,
    w_total: float,
    cost: float,
    start: np.ndarray,
    work: tuple[np.ndarray, np.ndarray],
) -> np.ndarray:
    """Per column of ``sub`` (supporters x counts): the payment q with sum_i w_i min(b_i, q) = cost.

    Water-filling, as ``_rho_float`` does for one count: with P = {i : b_i < q} (they pay all
    they hold), the others share the rest, g(P) = (cost - sum_P w_i b_i) / (W - sum_P w_i);
    repeat q <- g({b < q}) until the set P stops changing; then f(q) = sum_i w_i min(b_i, q) =
    cost.

    ``start`` (per column) is the project's last price in that count, normally a lower bound of
    q* (prices only rise as budgets fall), but it need not be one, because g({b < q}) <= q* for
    *every* q. For q <= q*: cost = f(q*) <= sum_{b<q} w b + q* W_{b>=q}. For q > q*: the
    supporters with q* <= b < q pay b >= q* in g instead of q*, so again cost <= sum_{b<q} w b +
    q* W_{b>=q}. Rearranged, both say g({b < q}) <= q*. So after one step q <= q*, and from below
    the iteration only rises (f(q) <= cost gives g >= q): P only grows and the loop ends after at
    most one step per supporter (from the second step of a column q is kept non-decreasing, so
    rounding cannot make it oscillate). Two sets {b < q} are nested and weights are integers
    (exact in float64), so equal weight sums mean equal sets. A column starting at cost / W =
    g({}) is known to come from P = {}. If a start above every budget makes everybody poor, that
    column restarts once from cost / W; if everybody is poor later, the supporters hold only the
    cost (up to rounding) and q is the largest budget, as in ``_rho_float``. Columns never
    interact: each has its own q, set, and state.
    """
    first_q = cost / w_total
    q = np.maximum(start, first_q)
    last = np.where(q == first_q, 0.0, -1.0)  # weight of the set q was computed from; -1: unknown
    open_ = np.ones(sub.shape[1], dtype=bool)
    stepped = np.zeros(sub.shape[1], dtype=bool)  # q was computed by a step (not a start)
    poor, poor_budget = (buffer[: len(sub)] for buffer in work)  # scratch, reused
    while True:
        np.less(sub, q, out=poor, casting="unsafe")
        weight = w @ poor
        open_ &= weight != last
        if not open_.any():
            return q
        rest = w_total - weight
        step = open_
        everybody = open_ & (rest <= 0)
        if everybody.any():
            restart = everybody & ~stepped & (q > first_q)
            exhausted = everybody & ~restart
            q = np.where(restart, first_q, np.where(exhausted, sub.max(axis=0), q))
            open_ &= ~exhausted
            step = open_ & ~everybody
        last = np.where(step, weight, -1.0)
        np.multiply(sub, poor, out=poor_budget)
        paid = w @ poor_budget
        new_q = (cost - paid) / np.where(step, rest, 1.0)
        new_q = np.where(stepped, np.maximum(new_q, q), new_q)
        q = np.where(step, new_q, q)
        stepped |= step


def mes_batch(data: MesInput, starts: list[Fraction]) -> list[list[int]]:
    """Several MES counts at once, count r starting every voter at ``starts[r]`` (uniform
    utilities).

    The counts are independent; running them side by side only shares numpy's per-call overhead:
    budgets are a (groups x counts) array, and a project's price is computed for every count in
    one pass over its supporters. Each count makes exactly the decisions ``mes_float`` makes:

    - Each round, a count evaluates (fresh price, affordability) every remaining project whose
      lower bound is within a relative 4e-9 of the best fresh price found so far, smallest bound
      first, as pabutools does. A price computed for a count that did not ask for it is still that
      count's current price, hence a valid (tighter) bound, and a project found clearly
      unaffordable stays unaffordable (budgets only fall); a close affordability call for a count
      that did not ask is simply ignored there.
    - Affordability within a relative 1e-9 of the cost, and any winner within 1e-9 of another
      project's price, is settled in exact rationals by that count's own ``_ExactShadow``.
    """
    batch = _batch_input(data)
    assert batch is not None
    k = len(starts)
    if not batch.projects:
        return [[] for _ in range(k)]
    count_ids = np.arange(k)
    budgets = np.empty((data.num_groups, k), dtype=np.float64)
    budgets[:] = np.array([float(s) for s in starts], dtype=np.float64)
    afford = np.tile(batch.start, (k, 1))
    remaining = np.ones((k, len(batch.projects)), dtype=bool)
    active = np.ones(k, dtype=bool)
    selected: list[list[int]] = [[] for _ in range(k)]
    shadows: list[_ExactShadow | None] = [None] * k
    lex = data.tables.lex_rank
    # Scratch arrays (supporters x counts) for the largest project, reused by every evaluation.
    largest = max(len(s) for s in batch.sup)
    gathered, *work = (np.empty((largest, k), dtype=np.float64) for _ in range(3))

    def shadow(r: int) -> _ExactShadow:
        found = shadows[r]
        if found is None:
            found = shadows[r] = _ExactShadow(data, starts[r])
        found.sync(selected[r])
        return found

    while active.any():
        fresh = np.zeros_like(remaining)
        pay = np.zeros(remaining.shape, dtype=np.float64)
        while True:
            known = np.where(fresh & remaining, afford, np.inf)
            best = known.min(axis=1)
            wanted = (
                remaining
                & ~fresh
                & (afford <= (best * (1 + 4 * TOLERANCE))[:, None])
                & active[:, None]
            )
            asking = wanted.any(axis=1)
            if not asking.any():
                break
            picks = np.where(wanted, afford, np.inf).argmin(axis=1)[asking]
            for p in np.unique(picks).tolist():
                j = batch.projects[p]
                need = remaining[:, p] & ~fresh[:, p] & active
                sub = np.take(budgets, batch.sup[p], axis=0, out=gathered[: len(batch.sup[p])])
                cost = batch.cost[p]
                available = batch.w[p] @ sub
                affordable = available > cost
                for r in np.flatnonzero(need & (np.abs(available - cost) <= cost * TOLERANCE)):
                    if wanted[r, p]:
                        affordable[r] = shadow(r).available(j) >= data.costs[j]
                    else:
                        need[r] = False
                remaining[:, p] &= ~(need & ~affordable)
                need &= affordable
                if need.any():
                    q = _payments(
                        sub,
                        batch.w[p],
                        batch.w_total[p],
                        cost,
                        afford[:, p] * batch.util[p],
                        (work[0], work[1]),
                    )
                    afford[need, p] = q[need] / batch.util[p]
                    pay[need, p] = q[need]
                    fresh[need, p] = True
        known = np.where(fresh & remaining, afford, np.inf)
        best = known.min(axis=1)
        active &= best < np.inf
        if not active.any():
            break
        winners = known.argmin(axis=1)
        ties = np.count_nonzero(known <= (best * (1 + TOLERANCE))[:, None], axis=1)
        for r in np.flatnonzero(active & (ties > 1)).tolist():
            close = np.flatnonzero(known[r] <= best[r] * (1 + TOLERANCE)).tolist()
            found = shadow(r)
            exact = [(found.rho(batch.projects[p]), lex[batch.projects[p]], p) for p in close]
            winners[r] = min(e for e in exact if e[0] is not None)[2]
        for r in np.flatnonzero(active).tolist():
            selected[r].append(batch.projects[winners[r]])
        remaining[count_ids[active], winners[active]] = False
        for p in np.unique(winners[active]).tolist():
            paying = active & (winners == p)
            s = batch.sup[p]
            left = np.take(budgets, s, axis=0, out=gathered[: len(s)])
            left -= np.where(paying, pay[:, p], 0.0)
            budgets[s] = np.maximum(left, 0.0, out=left)
    return selected


class _ExactBudgets:
    """Every ballot group's exact budget, kept as a class: groups that paid the same prices hold
    the same budget, so each group points at a class and each class holds one exact value.
    There are far fewer classes than groups, so a project's supporters are summed per class with
    numpy (``np.bincount``) and only the few distinct budgets are touched in exact arithmetic.
    """

    def __init__(self, data: MesInput, b0) -> None:
        self.data = data
        # Class 0 is an empty budget; every group starts in class 1 (b0 > 0: voters exist).
        self.cls = np.ones(data.num_groups, dtype=np.int64)
        self.values = [Q(0), Q(b0)]
        # Each class's value rounded to the nearest float: only used to ORDER budgets (rounding
        # is monotone, so a smaller float means a smaller exact value); equal floats are
        # ordered exactly. Nothing is decided on a float.
        self.floats = np.zeros(64, dtype=np.float64)
        self.floats[1] = float(self.values[1])

    def _add(self, value) -> int:
        c = len(self.values)
        self.values.append(value)
        if c >= len(self.floats):
            self.floats = np.concatenate([self.floats, np.zeros_like(self.floats)])
        self.floats[c] = float(value)
        return c

    def held(self, j: int) -> tuple[list[int], list[int]]:
        """The classes holding j's supporters with something left, poorest first (exactly),
        and the total weight of j's supporters in each."""
        weights = np.bincount(
            self.cls[self.data.sup[j]], weights=self.data.w_f[j], minlength=len(self.values)
        )
        weights[0] = 0  # supporters with nothing left pay nothing and take no share
        classes = np.flatnonzero(weights)
        floats = self.floats[classes]
        order = np.argsort(floats, kind="stable")
        classes, floats = classes[order], floats[order]
        if np.any(floats[1:] == floats[:-1]):
            # Different exact budgets may round to one float: order those exactly.
            values = self.values
            classes = np.array(
                sorted(classes.tolist(), key=lambda c: (self.floats[c], values[c])),
                dtype=np.int64,
            )
        # Weights are sums of integer counts (exact in float64 far beyond any electorate).
        return classes.tolist(), [int(w) for w in weights[classes].tolist()]

    def rho(self, j: int) -> Q | None:
        data = self.data
        if data.uniform[j] is None:
            local = [self.values[c] for c in self.cls[data.sup[j]].tolist()]
            return _rho_exact_list(data.costs[j], data.w_int[j], data.util[j], local)
        classes, weights = self.held(j)
        return _rho_exact_uniform(data.costs[j], data.uniform[j], self.values, classes, weights)

    def pay(self, j: int, rho: Q) -> None:
        """j's supporters pay min(budget, rho * utility): each (class, utility) becomes a class."""
        data = self.data
        s = data.sup[j]
        utils = data.util[j] or None
        if utils is None:
            price = rho * data.uniform[j]
            classes, where = np.unique(self.cls[s], return_inverse=True)
            target = []
            for c in classes.tolist():
                value = self.values[c]
                target.append(self._add(value - price) if value > price else 0)
            self.cls[s] = np.array(target, dtype=np.int64)[where]
            return
        old = self.cls[s].tolist()
        made: dict = {}
        new = []
        for i, c in enumerate(old):
            u = utils[i]
            key = (c, u)
            found = made.get(key)
            if found is None:
                value = self.values[c]
                price = rho * u
                found = made[key] = self._add(value - price) if value > price else 0
            new.append(found)
        self.cls[s] = new


def _rho_exact_uniform(cost, u, values, classes: list[int], weights: list[int]) -> Q | None:
    """Exact rho when every supporter gets the same utility ``u`` (Cost_Sat, Cardinality_Sat):
    the per-supporter payment q solves sum_i w_i min(b_i, q) = cost, and rho = q / u; None if
    the supporters hold less than the cost. ``classes`` (poorest first) and ``weights``: each
    distinct budget ``values[c]`` and the weight of the supporters holding it.

    Water-filling from the poorest: q = (cost - what the poorer ones hold) / (weight of the
    others), until q fits the next budget. The same value as ``_rho_exact_list`` (rho is unique).
    If no budget fits, q exceeds even the richest, whose whole budget plus the poorer ones' is
    then less than the cost: the supporters cannot afford it (no separate sum needed).
    """
    paid = Q(0)
    rest = sum(weights)
    for c, w in zip(classes, weights, strict=True):
        b = values[c]
        q = (cost - paid) / rest
        if q <= b:
            return q / u
        paid += b * w
        rest -= w
    return None


def mes_exact(data: MesInput, b0: Fraction) -> list[int]:
    """One MES count in exact rationals (pabutools' algorithm on grouped ballots): no float
    decides anything; projects are tried in order of their last exact rho (a lower bound, as
    rho only grows while budgets fall), exactly as pabutools does."""
    budgets = _ExactBudgets(data, b0)
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
            rho = budgets.rho(j)
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
        budgets.pay(winner, best)
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
    project still fits in the money left) raise every voter's budget by one currency unit and count
    again; when an outcome overspends the real budget, return the previous one.

    The counts of Add1 are independent of each other, so the float path runs them in batches
    (``mes_batch``) of 1, 2, 4, ... up to ``ADD1_BATCH`` consecutive budgets, and then reads the
    outcomes in order exactly as the sequential loop would. The answer and ``iterations`` are those
    of the sequential loop; at most ``ADD1_BATCH - 1`` counts past the answer are computed and
    thrown away.
    """
    key = f"mes-result:{sat}:{add1}:{exact}"
    cached = election._cache.get(key)
    if cached is None:
        # mes-add1 and mes-add1-greedy (and the comparison rule) share one count.
        cached = election._cache[key] = _method_of_equal_shares(election, sat, add1, exact)
    return MesResult(list(cached.winners), cached.iterations, cached.per_voter_budget)


def _method_of_equal_shares(election: Election, sat: str, add1: bool, exact: bool) -> MesResult:
    data = mes_input(election, sat)
    if data.num_voters == 0:
        return MesResult([], 0, Fraction(0))
    b0 = as_fraction(election.budget) / data.num_voters
    base = list(data.free)
    if not add1:
        return MesResult(base + mes_once(data, b0, exact=exact), 1, b0)
    costs = data.tables.costs
    budget = election.budget
    eligible_costs = [(j, costs[j]) for j in data.eligible]
    base_cost = sum((costs[j] for j in base), 0)
    batched = not exact and _batch_input(data) is not None
    previous, previous_b0 = base, b0
    iterations = 0
    size = 1
    while True:
        starts = [b0 + i for i in range(size)]
        if batched:
            counts = mes_batch(data, starts)
        else:
            counts = [mes_once(data, start, exact=exact) for start in starts]
        for start, count in zip(starts, counts, strict=True):
            iterations += 1
            outcome = base + count
            spent = base_cost + sum((costs[j] for j in count), 0)
            if spent > budget:
                return MesResult(previous, iterations, previous_b0)
            chosen = set(count)
            if not any(j not in chosen and c + spent <= budget for j, c in eligible_costs):
                return MesResult(outcome, iterations, start)
            previous, previous_b0 = outcome, start
        b0 += size
        size = min(2 * size, ADD1_BATCH) if batched else 1
