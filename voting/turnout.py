"""Turnout of a round by channel (online, card, kiosk, paper), against the eligible members and
the area's population (issue 16). A selector module of its own: voting/selectors.py is near the
house's 400-line limit.

A voter is counted once per channel however many pots they voted in: a member by membership, an
in-person voter by identity key. Counts under 5 are hidden (RULINGS, small numbers), and when
only one channel would be hidden the next smallest is hidden too, so that it cannot be worked out
from the total.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from django.db.models import Count, Q

from communities.models import AgeBand, Membership

from .models import Channel, Participation, VoteRound
from .selectors import SUPPRESS_BELOW

CHANNELS = (Channel.ONLINE, Channel.CARD, Channel.KIOSK, Channel.PAPER)


@dataclass
class TurnoutRow:
    label: str
    count: str  # "1,234" or "fewer than 5"
    of_members: str  # "12.5%" or "" (hidden or unknown)
    of_population: str


@dataclass
class Turnout:
    rows: list[TurnoutRow]
    total: TurnoutRow
    eligible_members: int
    population: int | None
    population_note: str


def _share(count: int, whole: int | None) -> str:
    if not whole:
        return ""
    return f"{float(Fraction(100 * count, whole)):.1f}%"


def eligible_members_count(round: VoteRound) -> int:
    """Members who may vote in the round now: active, with an eligible connection and age."""
    members = Membership.objects.active().filter(neighbourhood_id=round.neighbourhood_id)
    if round.eligible_connections:
        members = members.filter(connection__in=round.eligible_connections)
    if round.min_age_band:
        least = AgeBand.rank(round.min_age_band)
        members = members.filter(
            age_band__in=[b for b in AgeBand.values if AgeBand.rank(b) >= least]
        )
    return members.count()


def _voters(rows) -> int:
    return (rows.get("members") or 0) + (rows.get("others") or 0)


def round_turnout(round: VoteRound) -> Turnout:
    """Voters per channel and in all, as counts and as shares of members and population."""
    aggregates = {
        "members": Count("membership", distinct=True),
        "others": Count("in_person_key", distinct=True, filter=Q(membership__isnull=True)),
    }
    participations = Participation.objects.filter(round=round)
    per_channel = {
        row["channel"]: _voters(row)
        for row in participations.values("channel").annotate(**aggregates).order_by()
    }
    total = _voters(participations.aggregate(**aggregates))
    counts = {c: per_channel.get(c, 0) for c in CHANNELS}
    hidden = {c for c, n in counts.items() if n < SUPPRESS_BELOW}
    if len(hidden) == 1 and total >= SUPPRESS_BELOW:
        shown = sorted((n, c) for c, n in counts.items() if c not in hidden)
        if shown:
            hidden.add(shown[0][1])
    eligible = eligible_members_count(round)
    population = round.neighbourhood.population_estimate
    labels = dict(Channel.choices)

    def row(label: str, n: int, hide: bool) -> TurnoutRow:
        if hide:
            return TurnoutRow(label, "fewer than 5" if n < SUPPRESS_BELOW else "hidden", "", "")
        return TurnoutRow(label, f"{n:,}", _share(n, eligible), _share(n, population))

    return Turnout(
        rows=[row(labels[c], counts[c], c in hidden) for c in CHANNELS],
        total=row("All channels", total, total < SUPPRESS_BELOW),
        eligible_members=eligible,
        population=population,
        population_note=""
        if population
        else "We have no population estimate for this area, so turnout against the population "
        "cannot be shown.",
    )
