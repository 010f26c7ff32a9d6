"""Election data: projects, grouped ballots and the exact numbers they carry."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

Number = int | Fraction

VOTE_TYPES = ("approval", "choose-1", "cumulative", "ordinal")

# Pabulib marks a withdrawn project with this cost; no rule may fund it.
WITHDRAWN_COST = 999_999_999


def exact_number(value: Any) -> Number:
    """Return ``value`` as an int or a Fraction; floats are refused (money is never float)."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not a number")
    if isinstance(value, int):
        return value
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else value
    if isinstance(value, Decimal):
        return exact_number(Fraction(value))
    if isinstance(value, str):
        text = value.strip().replace(",", ".")
        try:
            number = Fraction(Decimal(text)) if "/" not in text else Fraction(text)
        except (InvalidOperation, ValueError, ZeroDivisionError) as error:
            raise ValueError(f"{value!r} is not a number") from error
        return exact_number(number)
    raise TypeError(f"{value!r} is not an exact number (use int, str, Decimal or Fraction)")


def format_number(value: Number) -> str:
    """Exact text for a number: ``"12"``, ``"12.5"``, or ``"1/3"`` when no finite decimal exists."""
    value = Fraction(value)
    if value.denominator == 1:
        return str(value.numerator)
    denominator = value.denominator
    twos = fives = 0
    while denominator % 2 == 0:
        denominator //= 2
        twos += 1
    while denominator % 5 == 0:
        denominator //= 5
        fives += 1
    if denominator != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = value * 10**places
    sign = "-" if scaled < 0 else ""
    digits = str(abs(scaled.numerator)).rjust(places + 1, "0")
    return f"{sign}{digits[:-places]}.{digits[-places:]}"


@dataclass(frozen=True)
class Project:
    """One project on the ballot paper: an id (a string), an exact cost, a name and any extra
    columns."""

    id: str
    cost: Number
    name: str = ""
    extra: Mapping[str, str] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "id", str(self.id))
        object.__setattr__(self, "cost", exact_number(self.cost))
        if self.cost < 0:
            raise ValueError(f"project {self.id}: the cost is negative")

    @property
    def withdrawn(self) -> bool:
        return self.cost == WITHDRAWN_COST


# A grouped ballot key: approval -> tuple of ids; cumulative -> tuple of (id, points); ordinal ->
# ids in rank order.
BallotKey = tuple


class Election:
    """A budget, projects in file order, a vote type and identical ballots grouped with a count."""

    def __init__(
        self,
        *,
        budget: Any,
        projects: Mapping[str, Project] | Iterable[Project],
        vote_type: str,
        ballots: Iterable[tuple[BallotKey, int]],
        meta: Mapping[str, str] | None = None,
        warnings: Iterable[str] = (),
    ) -> None:
        if vote_type not in VOTE_TYPES:
            raise ValueError(
                f"unknown vote type {vote_type!r}; expected one of {', '.join(VOTE_TYPES)}"
            )
        self.budget: Number = exact_number(budget)
        if self.budget < 0:
            raise ValueError("the budget is negative")
        if isinstance(projects, Mapping):
            projects = projects.values()
        self.projects: dict[str, Project] = {}
        for project in projects:
            if project.id in self.projects:
                raise ValueError(f"project {project.id} is listed twice")
            self.projects[project.id] = project
        self.vote_type = vote_type
        self.ballots: tuple[tuple[BallotKey, int], ...] = tuple(ballots)
        self.meta: dict[str, str] = dict(meta or {})
        self.warnings: list[str] = list(warnings)
        self._cache: dict[str, Any] = {}

    def __repr__(self) -> str:
        return (
            f"Election({self.vote_type}, budget={format_number(self.budget)}, "
            f"{len(self.projects)} projects, {self.num_voters} voters)"
        )

    @property
    def num_voters(self) -> int:
        return sum(weight for _, weight in self.ballots)

    @classmethod
    def from_ballots(
        cls,
        *,
        budget: Any,
        projects: Iterable[Project | Mapping[str, Any] | tuple],
        vote_type: str,
        ballots: Iterable[Any],
        weights: Iterable[int] | None = None,
        meta: Mapping[str, str] | None = None,
    ) -> Election:
        """Build an election from plain data.

        ``projects``: Project objects, dicts with ``id``/``cost`` (and optional ``name``), or
        ``(id, cost)`` pairs.
        ``ballots``: sets of ids (approval, choose-1), dicts id -> points (cumulative) or lists of
        ids best first
        (ordinal). ``weights`` optionally gives how many voters cast each ballot.
        """
        built: list[Project] = []
        for item in projects:
            if isinstance(item, Project):
                built.append(item)
            elif isinstance(item, Mapping):
                extra = {k: str(v) for k, v in item.items() if k not in ("id", "cost", "name")}
                built.append(
                    Project(str(item["id"]), item["cost"], str(item.get("name", "")), extra)
                )
            else:
                built.append(Project(str(item[0]), item[1]))
        ids = {project.id for project in built}
        ballot_list = list(ballots)
        weight_list = [1] * len(ballot_list) if weights is None else [int(w) for w in weights]
        if len(weight_list) != len(ballot_list):
            raise ValueError("weights and ballots differ in length")
        grouper = BallotGrouper(vote_type, [project.id for project in built])
        for ballot, weight in zip(ballot_list, weight_list, strict=True):
            if weight < 0:
                raise ValueError("a ballot weight is negative")
            if vote_type == "cumulative":
                items = [(str(k), exact_number(v)) for k, v in dict(ballot).items()]
                unknown = [k for k, _ in items if k not in ids]
            else:
                items = [str(k) for k in ballot]
                unknown = [k for k in items if k not in ids]
            if unknown:
                raise ValueError(f"a ballot names unknown project {unknown[0]}")
            grouper.add(items, weight)
        return cls(
            budget=budget, projects=built, vote_type=vote_type, ballots=grouper.groups(), meta=meta
        )

    def approval_scores(self) -> dict[str, int]:
        """Voters whose ballot names each project (points and ranks ignored)."""
        scores = dict.fromkeys(self.projects, 0)
        for key, weight in self.ballots:
            for entry in key:
                scores[entry[0] if self.vote_type == "cumulative" else entry] += weight
        return scores

    def point_scores(self) -> dict[str, Number]:
        """Sum of points per project (cumulative ballots)."""
        scores: dict[str, Number] = dict.fromkeys(self.projects, 0)
        for key, weight in self.ballots:
            for project_id, points in key:
                scores[project_id] += points * weight
        return scores

    def rank_points_k(self, ranks: int | None = None) -> int:
        """The k of positional points: ``ranks`` if given, else META ``max_length``, else the
        longest ballot; never less than the longest ballot (no position scores 0 or less)."""
        longest = max((len(key) for key, _ in self.ballots), default=0)
        if ranks is None:
            declared = self.meta.get("max_length", "").strip()
            ranks = int(declared) if declared.isdigit() else longest
        return max(int(ranks), longest)

    def positional_scores(self, ranks: int | None = None) -> dict[str, int]:
        """Ordinal ballots score k, k-1, ..., 1 points by position, against the vote's k (the
        most proposals a ballot may rank: ``rank_points_k``), not the ballot's own length: a
        ballot ranking one proposal gives it k points, as cities count (Krakow's top-3: 3/2/1).
        """
        k = self.rank_points_k(ranks)
        scores = dict.fromkeys(self.projects, 0)
        for key, weight in self.ballots:
            for position, project_id in enumerate(key):
                scores[project_id] += (k - position) * weight
        return scores


class BallotGrouper:
    """Normalises ballots the way pabutools reads them and counts identical ones."""

    def __init__(self, vote_type: str, project_ids: Iterable[str]) -> None:
        self.vote_type = vote_type
        self.order = {project_id: index for index, project_id in enumerate(project_ids)}
        self.counts: dict[BallotKey, int] = {}

    def add(self, items: list, weight: int = 1) -> None:
        if self.vote_type == "cumulative":
            # A later entry for the same project overwrites an earlier one (a dict, as in
            # pabutools).
            points = dict(items)
            key: BallotKey = tuple(sorted(points.items(), key=lambda kv: self.order[kv[0]]))
        elif self.vote_type == "ordinal":
            key = tuple(dict.fromkeys(items))
        else:
            key = tuple(sorted(set(items), key=self.order.__getitem__))
        self.counts[key] = self.counts.get(key, 0) + weight

    def groups(self) -> list[tuple[BallotKey, int]]:
        return [(key, count) for key, count in self.counts.items() if count > 0]
