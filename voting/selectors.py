"""Reads of the voting app: round lists, ballot papers, results ready for the page."""

from __future__ import annotations

import hashlib
import hmac
import random
from dataclasses import dataclass, field
from fractions import Fraction

from django.conf import settings
from django.db.models import Count, Prefetch

from communities.models import AgeBand, Neighbourhood
from communities.permissions import active_membership
from config.errors import NotFoundError

from .models import (
    Ballot,
    BallotMethod,
    Channel,
    CountingRule,
    Participation,
    Pot,
    PotItem,
    PotResult,
    VoteRound,
)
from .permissions import can_view_round

SUPPRESS_BELOW = 5


def round_list(*, neighbourhood: Neighbourhood, user):
    """The neighbourhood's rounds this user may see, newest first, pots included (a queryset
    for the page to paginate: count, rows, pots)."""
    return (
        VoteRound.objects.visible_to(user)
        .filter(neighbourhood=neighbourhood)
        .prefetch_related("pots")
        .order_by("-opens_at", "-pk")
    )


def round_get(*, pk: int, user, with_ballot: bool = True) -> VoteRound:
    """The round with its pots and, unless `with_ballot` is False (the paper desk needs no
    ballot paper), each pot's items with their proposals (joined: one query for them all)."""
    pots = Pot.objects.all()
    if with_ballot:
        items = PotItem.objects.select_related("proposal")
        pots = pots.prefetch_related(Prefetch("items", queryset=items))
    round = (
        VoteRound.objects.select_related("neighbourhood")
        .prefetch_related(Prefetch("pots", queryset=pots))
        .filter(pk=pk)
        .first()
    )
    if round is None or not can_view_round(user, round):
        raise NotFoundError("There is no such vote.")
    return round


def pot_get(*, pk: int) -> Pot:
    pot = Pot.objects.select_related("round__neighbourhood").filter(pk=pk).first()
    if pot is None:
        raise NotFoundError("There is no such pot.")
    return pot


def ballot_items(*, pot: Pot, user) -> list[PotItem]:
    """The ballot paper in an order that is random per voter but stable between visits, so no
    proposal gains from always being first."""
    items = list(pot.items.select_related("proposal").prefetch_related("proposal__images"))
    seed = hmac.new(
        settings.SECRET_KEY.encode(),
        f"ballot-order:{pot.pk}:{getattr(user, 'pk', 0)}".encode(),
        hashlib.sha256,
    ).digest()
    random.Random(seed).shuffle(items)
    for item in items:
        item.photo = next(
            (i for i in item.proposal.images.all() if i.status == "ready" and i.display_320),
            None,
        )
    return items


def voter_participation(*, user, pot: Pot) -> Participation | None:
    membership = active_membership(user, pot.round.neighbourhood)
    if membership is None:
        return None
    return Participation.objects.filter(pot=pot, membership=membership).first()


def paper_batches(*, round: VoteRound):
    """The round's batches, oldest first, as a queryset for the desk to paginate (the keyed
    entries are not loaded: they hold every paper of the batch)."""
    return round.paper_batches.select_related("pot").order_by("created_at", "id")


def paper_tally(*, round: VoteRound) -> list[dict]:
    """Per pot: paper voters marked in the register and paper ballots counted, so the desk can
    see at a glance if more papers were keyed than people were given them.

    Two grouped counts (one per table), never a join of participations with ballots: that
    join grows with the square of the ballots (12.9 s at 10,500, issue 17).
    """

    def per_pot(model) -> dict[int, int]:
        rows = (
            model.objects.filter(round=round, channel=Channel.PAPER)
            .order_by()
            .values("pot_id")
            .annotate(n=Count("pk"))
        )
        return {row["pot_id"]: row["n"] for row in rows}

    marked, keyed = per_pot(Participation), per_pot(Ballot)
    return [
        {"pot": p, "marked": marked.get(p.pk, 0), "keyed": keyed.get(p.pk, 0)}
        for p in round.pots.all()
    ]


def suppressed(count: int) -> str:
    """Counts under 5 are not shown, so that small groups cannot be picked out."""
    return "fewer than 5" if count < SUPPRESS_BELOW else f"{count:,}"


def _pounds(pence: int) -> str:
    whole, part = divmod(int(pence), 100)
    return f"£{whole:,}" + (f".{part:02d}" if part else "")


def ranking_points_text(round: VoteRound) -> str:
    """How a ranking ballot turns into points, as the engine counts them
    (`Election.positional_scores`): positions score against the round's k, not the ballot's
    length, so a shorter ballot counts as much per position as a full one."""
    k = round.max_choices or 1
    return (
        f"Each voter ranks up to {k} proposals. The proposal ranked first gets {k} "
        f"point{'s' if k != 1 else ''}, second gets one fewer, and so on down to 1 point for "
        f"number {k}, whatever the length of the ballot: a ballot ranking just 1 proposal gives "
        f"it {k} point{'s' if k != 1 else ''}, as on a full ballot."
    )


def rule_explanation(round: VoteRound) -> list[str]:
    """The counting rule in plain English, so residents can check the outcome by hand."""
    method = round.ballot_method
    score = {
        BallotMethod.CUMULATIVE: "points",
        BallotMethod.RANKING: "ranking points",
    }.get(method, "votes")
    lines = []
    if method == BallotMethod.RANKING:
        lines.append(ranking_points_text(round))
    elif method == BallotMethod.CUMULATIVE:
        lines.append(
            f"Each voter shared out up to {round.points_total} points; a proposal's score is the "
            "sum of the points it was given."
        )
    else:
        lines.append("A proposal's score is the number of voters who chose it.")
    if round.counting_rule == CountingRule.GREEDY:
        lines.append(
            f"Greedy by {score}: we listed the proposals from the highest score to the lowest "
            "and went down the list, funding each proposal if the money left in the pot "
            "covered its cost."
        )
        if round.greedy_skip:
            lines.append(
                "Skip: when a proposal cost more than the money left, we skipped it and went on "
                "to the next one, which might still fit."
            )
        else:
            lines.append(
                "No skip: we stopped at the first proposal that cost more than the money left; "
                "no proposal below it was funded."
            )
        if round.score_threshold:
            lines.append(
                f"Threshold: a proposal with a score below {round.score_threshold} was never "
                "funded, even if money was left."
            )
        if (
            method in (BallotMethod.K_APPROVAL, BallotMethod.KNAPSACK)
            and round.greedy_skip
            and (not round.score_threshold)
        ):
            lines.append(
                "Ties: between proposals with the same score, the one with the smaller "
                "reference number (its id, compared as text: 10 comes before 9) goes first, "
                "as in the public tool pabutools."
            )
        else:
            lines.append(
                "Ties: between proposals with the same score, the cheaper one goes first; if "
                "they cost the same, the one with the smaller reference number (its id)."
            )
    elif round.counting_rule in (CountingRule.MES_ADD1, CountingRule.MES_ADD1_GREEDY):
        lines.append(
            "Method of Equal Shares: the pot was split equally between the voters. A proposal "
            "is funded when the voters who chose it can pay its cost from their shares, sharing "
            "the cost as equally as possible; each step funds the proposal whose supporters pay "
            "the least each. This gives groups of voters proposals in proportion to their size."
        )
        lines.append(
            "Add1: if money was left, we repeated the count giving each voter £1 more, as long "
            "as the funded proposals still fitted the pot, and kept the last result that fitted."
        )
        if round.counting_rule == CountingRule.MES_ADD1_GREEDY:
            lines.append(
                "Completion: any money still left went to the remaining proposals with the most "
                "votes that fitted, going down the list (greedy by votes)."
            )
        else:
            lines.append(
                "No completion: money left after the Method of Equal Shares stays in the pot."
            )
    elif round.counting_rule == CountingRule.PHRAGMEN:
        lines.append(
            "Sequential Phragmén: each funded proposal's cost is shared as a load between the "
            "voters who chose it; each step funds the proposal that keeps the heaviest load on any "
            "voter as light as possible, until the next one does not fit."
        )
    return lines


@dataclass
class ResultRow:
    number: int
    title: str
    cost: str
    score: str
    score_value: Fraction
    selected: bool
    proposal_id: int


@dataclass
class PotResults:
    pot: Pot
    result: PotResult
    rows: list[ResultRow]
    chart: dict
    turnout_channels: list[tuple[str, str]]
    turnout_ages: list[tuple[str, str]]
    ballots: str
    spent: str
    left: str
    extra: dict = field(default_factory=dict)


def _chart(rows: list[ResultRow]) -> dict:
    """Geometry of a horizontal bar chart drawn as inline SVG (no JavaScript)."""
    top = max((r.score_value for r in rows), default=Fraction(0)) or Fraction(1)
    bar_h, gap, label_w, width = 22, 10, 0, 480
    bars = []
    for index, row in enumerate(rows):
        y = index * (bar_h + gap) + 20
        length = int(Fraction(width - 120) * row.score_value / top)
        bars.append(
            {
                "y": y,
                "text_y": y + 15,
                "width": max(length, 1),
                "label_x": max(length, 1) + 6,
                "row": row,
            }
        )
    return {
        "bars": bars,
        "height": len(rows) * (bar_h + gap) + 30,
        "width": width,
        "bar_h": bar_h,
        "label_w": label_w,
    }


def round_results(*, round: VoteRound) -> list[PotResults]:
    """Every pot's stored result, ready for the results page (a bounded number of queries)."""
    out = []
    channel_labels = dict(Channel.choices)
    age_labels = {**dict(AgeBand.choices), "not_recorded": "Not recorded"}
    pots = round.pots.select_related("result").prefetch_related("items__proposal")
    for pot in pots:
        result = getattr(pot, "result", None)
        if result is None:
            continue
        winners = set(result.winners)
        rows = []
        for item in pot.items.all():
            value = Fraction(result.scores.get(str(item.proposal_id), "0"))
            rows.append(
                ResultRow(
                    number=item.number,
                    title=item.proposal.title,
                    cost=_pounds(item.cost_pence),
                    score=result.scores.get(str(item.proposal_id), "0"),
                    score_value=value,
                    selected=item.proposal_id in winners,
                    proposal_id=item.proposal_id,
                )
            )
        rows.sort(key=lambda r: (-r.score_value, r.number))
        channels = result.turnout.get("by_channel", {})
        ages = result.turnout.get("by_age_band", {})
        age_order = [*AgeBand.values, "not_recorded"]
        out.append(
            PotResults(
                pot=pot,
                result=result,
                rows=rows,
                chart=_chart(rows),
                turnout_channels=[
                    (channel_labels.get(k, k), suppressed(v)) for k, v in sorted(channels.items())
                ],
                turnout_ages=[
                    (age_labels.get(k, k), suppressed(ages[k])) for k in age_order if k in ages
                ],
                ballots=suppressed(result.ballots_counted),
                spent=_pounds(result.total_cost_pence),
                left=_pounds(pot.amount_pence - result.total_cost_pence),
            )
        )
    return out


def paper_register_search(
    *, round: VoteRound, name: str = "", house: str = "", postcode: str = ""
) -> list:
    """Members of the round's neighbourhood the desk may mean, found by their private name,
    house and postcode (normalised: case, spaces, punctuation and initials do not matter).

    Best matches first (same identity key, then same surname, then same house); at most 20.
    Only the register's trustees and keyers see this (the view checks).
    """
    from communities.identity import IdentityParts, normalise_postcode_text
    from communities.models import Membership

    wanted = IdentityParts.of(name=name, house=house, postcode=postcode)
    if not (wanted.surname or wanted.postcode):
        return []
    members = Membership.objects.active().filter(neighbourhood=round.neighbourhood)
    if wanted.postcode:
        members = members.filter(private_postcode=normalise_postcode_text(postcode))
    if wanted.surname:
        members = members.filter(private_name__icontains=wanted.surname)
    ranked = []
    for m in members.select_related("user")[:200]:
        other = IdentityParts.of(
            name=m.private_name, house=m.private_house, postcode=m.private_postcode
        )
        score = (
            (other.text == wanted.text) * 4
            + (other.surname == wanted.surname) * 2
            + (bool(wanted.initial) and other.initial == wanted.initial)
            + (bool(wanted.house) and other.house == wanted.house) * 2
        )
        if wanted.house and other.house != wanted.house and other.surname != wanted.surname:
            continue
        ranked.append((-score, m.private_name, m.pk, m))
    if wanted.surname and len(ranked) < 20:
        # Members who joined before private names were asked: by public name, ranked last.
        legacy = (
            Membership.objects.active()
            .filter(neighbourhood=round.neighbourhood, private_name="")
            .filter(user__display_name__icontains=wanted.surname)
            .select_related("user")[:20]
        )
        ranked += [(1, m.user.display_name, m.pk, m) for m in legacy]
    ranked.sort(key=lambda r: r[:3])
    return [r[3] for r in ranked[:20]]
