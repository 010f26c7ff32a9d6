"""Reads of the voting app: round lists, ballot papers, results ready for the page."""

from __future__ import annotations

import contextlib
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
from .permissions import can_view_round, pb_withheld_reason, voter_ineligibility

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


# The ballot paper of a pot (its round, the pot and the proposals on it) is read on every
# ballot page and every cast, and fixed once the vote is published: it is kept in the cache
# (Redis, or memory when Redis is down: config/cache.py) for a while, and forgotten whenever a
# service changes the round (`lock_round` schedules `ballot_paper_forget` after commit).
# Nothing that decides whether a ballot counts relies on the cached copy: the cast's insert
# re-checks the round's state and window in the database (services/ballots.py).
PAPER_CACHE_SECONDS = 300
_PAPER_KEY = "voting:paper:v1:{}"


@dataclass
class BallotPaper:
    """What the ballot page and the cast read: the round (with its neighbourhood), the pot,
    and the pot's items with their proposals (id, title, summary, proposer) and photo."""

    round: VoteRound
    pot: Pot
    items: list[PotItem]

    @property
    def by_proposal(self) -> dict[int, PotItem]:
        return {item.proposal_id: item for item in self.items}


def _photo(proposal) -> dict | None:
    """The proposal's first ready photo as plain values (what the ballot template shows)."""
    image = next(
        (i for i in proposal.images.all() if i.status == "ready" and i.display_320),
        None,
    )
    if image is None:
        return None
    return {
        "display_320": {"url": image.display_320.url},
        "alt_text": image.alt_text,
        "width": image.width,
        "height": image.height,
    }


def _paper_load(pot_id: int) -> BallotPaper:
    pot = Pot.objects.select_related("round__neighbourhood").filter(pk=pot_id).first()
    if pot is None:
        raise NotFoundError("There is no such pot.")
    items = list(
        pot.items.select_related("proposal")
        .only(
            "id",
            "pot_id",
            "number",
            "cost_pence",
            "proposal__id",
            "proposal__title",
            "proposal__summary",
            "proposal__proposer_id",
        )
        .prefetch_related("proposal__images")
    )
    for item in items:
        item.photo = _photo(item.proposal)
        # Only the photo's values are kept: the cached copy carries no prefetch cache.
        item.proposal._prefetched_objects_cache = {}
        item.pot = pot
    return BallotPaper(round=pot.round, pot=pot, items=items)


def ballot_paper(*, pot_id: int, fresh: bool = False) -> BallotPaper:
    """The pot's ballot paper, from the cache when it is there (no query), else read (3
    queries) and cached. `fresh` reads the database (a refusal re-checks against it)."""
    from django.core.cache import cache

    key = _PAPER_KEY.format(int(pot_id))
    # The cache only saves queries: whatever the configured backend does when its server is
    # down (config/cache.py falls back to memory; a plain RedisCache raises), the vote goes on.
    try:
        paper = None if fresh else cache.get(key)
    except Exception:  # noqa: BLE001 - any cache failure means "not cached"
        paper = None
    if paper is None:
        paper = _paper_load(pot_id)
        with contextlib.suppress(Exception):
            cache.set(key, paper, PAPER_CACHE_SECONDS)
    return paper


def ballot_paper_forget(*, round_id: int) -> None:
    """Drop the cached ballot papers of the round's pots (after a change to the round)."""
    from django.core.cache import cache

    pot_ids = Pot.objects.filter(round_id=round_id).values_list("pk", flat=True)
    cache.delete_many([_PAPER_KEY.format(pk) for pk in pot_ids])


def ballot_paper_for_voter(*, pot_id: int, user) -> tuple[BallotPaper, str | None]:
    """The ballot paper and why this user may not vote on it (None if they may).

    A refusal read off the cached round (not open yet, closed) is checked again against the
    database, so a round opened or closed since it was cached is judged as it is now.
    """
    paper = ballot_paper(pot_id=pot_id)
    reason = voter_ineligibility(user, paper.round)
    if reason:
        paper = ballot_paper(pot_id=pot_id, fresh=True)
        reason = voter_ineligibility(user, paper.round)
    return paper, reason


def ballot_items(*, pot: Pot, user, paper: BallotPaper | None = None) -> list[PotItem]:
    """The ballot paper in an order that is random per voter but stable between visits, so no
    proposal gains from always being first."""
    items = list((paper or ballot_paper(pot_id=pot.pk)).items)
    seed = hmac.new(
        settings.SECRET_KEY.encode(),
        f"ballot-order:{pot.pk}:{getattr(user, 'pk', 0)}".encode(),
        hashlib.sha256,
    ).digest()
    random.Random(seed).shuffle(items)
    return items


@dataclass
class ReviewRow:
    item: PotItem
    detail: str  # "£3,000", "4 points" or "1st choice"


@dataclass
class BallotReview:
    rows: list[ReviewRow]
    total: str = ""  # knapsack: what the choices cost, of the pot
    left: str = ""


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def ballot_review(*, round: VoteRound, pot: Pot, items: list[PotItem], stored) -> BallotReview:
    """What a checked ballot (as `validate_choices` returns it) says, for the review page
    shown before the cast: the chosen proposals in the voter's own words, with the total."""
    by_id = {i.proposal_id: i for i in items}
    if round.ballot_method == BallotMethod.CUMULATIVE:
        rows = [
            ReviewRow(by_id[int(pid)], f"{points} point{'s' if points != 1 else ''}")
            for pid, points in stored.items()
        ]
        return BallotReview(rows=rows)
    if round.ballot_method == BallotMethod.RANKING:
        rows = [
            ReviewRow(by_id[pid], f"{_ordinal(n)} choice") for n, pid in enumerate(stored, start=1)
        ]
        return BallotReview(rows=rows)
    # approval methods: the ballot's own (random, per voter) order, with costs
    chosen = set(stored)
    rows = [ReviewRow(i, i.cost_display) for i in items if i.proposal_id in chosen]
    total = sum(r.item.cost_pence for r in rows)
    return BallotReview(
        rows=rows,
        total=_pounds(total),
        left=_pounds(pot.amount_pence - total),
    )


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
    join grows with the square of the ballots (12.9 s at 10,500, issue 17). COUNT(*), not
    COUNT(id): the (round, channel, pot) indexes hold every column the count reads, so
    PostgreSQL counts from the index alone (8 ms, not 28 to 34 ms, for 50,000 paper ballots).
    """

    def per_pot(model) -> dict[int, int]:
        rows = (
            model.objects.filter(round=round, channel=Channel.PAPER)
            .order_by()
            .values("pot_id")
            .annotate(n=Count("*"))
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


NOT_SHOWN = "not shown"


def suppressed_breakdown(pairs: list[tuple[str, int]]) -> list[tuple[str, str]]:
    """A breakdown about people (voters by channel, by age band) with counts under 5 hidden.

    Where exactly one group is hidden, the next smallest is hidden too ("not shown"): the
    total is published, so a single hidden count could be worked out by subtraction.
    """
    small = [i for i, (_, n) in enumerate(pairs) if n < SUPPRESS_BELOW]
    also = set()
    if len(small) == 1 and len(pairs) > 1:
        rest = [i for i in range(len(pairs)) if i not in small]
        also.add(min(rest, key=lambda i: pairs[i][1]))
    return [
        (label, NOT_SHOWN if i in also else suppressed(n)) for i, (label, n) in enumerate(pairs)
    ]


def spoilt_text(count: int) -> str:
    return "none" if count == 0 else suppressed(count)


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


RULE_NAMES = {
    CountingRule.GREEDY: "Highest score first, while the money lasts",
    CountingRule.MES_ADD1: "Method of Equal Shares",
    CountingRule.MES_ADD1_GREEDY: "Method of Equal Shares, then highest score first",
    CountingRule.PHRAGMEN: "Phragmén's method (sharing the cost fairly)",
}

# One sentence each, for residents; the technical rule is in the results' "For checkers".
RULE_SUMMARIES = {
    CountingRule.GREEDY: (
        "The proposals with the highest scores are funded first, going down the list until "
        "the money runs out."
    ),
    CountingRule.MES_ADD1: (
        "The Method of Equal Shares gives every voter an equal share of the pot, and funds the "
        "proposals whose supporters can pay for them together, so each group of voters gets "
        "proposals in proportion to its size."
    ),
    CountingRule.PHRAGMEN: (
        "Phragmén's method shares the cost of each funded proposal between the voters who "
        "chose it, keeping the heaviest share anyone carries as light as possible."
    ),
}
RULE_SUMMARIES[CountingRule.MES_ADD1_GREEDY] = RULE_SUMMARIES[CountingRule.MES_ADD1]


def rule_name(round: VoteRound) -> str:
    """The counting rule's name for residents (never the engine's technical name)."""
    return RULE_NAMES.get(round.counting_rule, round.get_counting_rule_display())


def rule_summary(round: VoteRound) -> str:
    return RULE_SUMMARIES.get(round.counting_rule, "")


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
                "as in the public counting tools."
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
            "Using money left: if money was left, we counted again giving each voter £1 more, "
            "as long as the funded proposals still fitted the pot, and kept the last result "
            "that fitted."
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
    turnout_ages: list[tuple[str, str]]
    ballots: str
    spent: str
    left: str
    spoilt: str = ""
    pb_withheld: str | None = None
    extra: dict = field(default_factory=dict)


def _chart(rows: list[ResultRow]) -> dict:
    """Geometry of a horizontal bar chart drawn as inline SVG (no JavaScript): each bar has the
    proposal's name above it and its score after it; the page's <desc> says the same in words."""
    top = max((r.score_value for r in rows), default=Fraction(0)) or Fraction(1)
    # 360 units wide: at 320 px on a phone the 13-unit text still reads at about 11 px.
    name_h, bar_h, gap, width = 18, 20, 12, 360
    step = name_h + bar_h + gap
    bars = []
    for index, row in enumerate(rows):
        name_y = index * step + 14
        y = index * step + name_h
        length = max(int(Fraction(width - 110) * row.score_value / top), 1)
        bars.append(
            {
                "name_y": name_y,
                "y": y,
                "text_y": y + 15,
                "width": length,
                "label_x": length + 6,
                "row": row,
            }
        )
    return {"bars": bars, "height": len(rows) * step + 6, "width": width, "bar_h": bar_h}


def round_results(*, round: VoteRound) -> list[PotResults]:
    """Every pot's stored result, ready for the results page (a bounded number of queries)."""
    out = []
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
        ages = result.turnout.get("by_age_band", {})
        age_order = [*AgeBand.values, "not_recorded"]
        spoilt = result.turnout.get("spoilt")
        out.append(
            PotResults(
                pot=pot,
                result=result,
                rows=rows,
                chart=_chart(rows),
                turnout_ages=suppressed_breakdown(
                    [(age_labels.get(k, k), ages[k]) for k in age_order if k in ages]
                ),
                ballots=suppressed(result.ballots_counted),
                spent=_pounds(result.total_cost_pence),
                left=_pounds(pot.amount_pence - result.total_cost_pence),
                spoilt=spoilt_text(spoilt) if spoilt is not None and round.channel_paper else "",
                pb_withheld=pb_withheld_reason(result.ballots_counted),
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
