"""From a pot's stored ballots to the counting engine and back: one place maps round options to
engine rules, so the count, the recount and the Pabulib export always agree.

Money in the engine is in pounds (exact: pence / 100), so that Method of Equal Shares' Add1 step
adds one pound per voter, as a city would, and an exported file recounts the same in pabutools.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

from .counting import Election, Outcome, Project, format_number, tally
from .counting.rules import RULE_DESCRIPTIONS
from .models import BallotMethod, CountingRule, VoteRound

VOTE_TYPES = {
    BallotMethod.K_APPROVAL: "approval",
    BallotMethod.KNAPSACK: "approval",
    BallotMethod.CUMULATIVE: "cumulative",
    BallotMethod.RANKING: "ordinal",
}


def pounds(pence: int) -> Fraction:
    return Fraction(pence, 100)


def to_pence(amount) -> int:
    """Exact pounds (int or Fraction) to integer pence; refuses fractions of a penny."""
    value = Fraction(amount) * 100
    if value.denominator != 1:
        raise ValueError(f"{format_number(Fraction(amount))} is not a whole number of pence")
    return int(value)


@dataclass(frozen=True)
class RuleChoice:
    """The engine rule and options a round's settings stand for."""

    rule: str
    options: dict

    def as_dict(self) -> dict:
        return {"rule": self.rule, **{k: _plain(v) for k, v in self.options.items()}}


def _plain(value):
    return format_number(value) if isinstance(value, Fraction) else value


def rule_for(round: VoteRound) -> RuleChoice:
    """Map the round's counting options to an engine rule.

    Greedy with skip, no threshold, on approval-style ballots is pabutools' greedy with Cost_Sat
    (ties to the smallest project id), so a published file recounts identically in pabutools.
    Any other greedy (no-skip, a threshold, points or positional scores) is the city rule: rank by
    score, ties to the cheaper proposal, then the smallest id.
    """
    method = round.ballot_method
    if round.counting_rule == CountingRule.GREEDY:
        if (
            method in (BallotMethod.K_APPROVAL, BallotMethod.KNAPSACK)
            and round.greedy_skip
            and not round.score_threshold
        ):
            return RuleChoice("greedy", {})
        options = {"rule_meta": "greedy", "skip": round.greedy_skip, "score": "auto"}
        if method == BallotMethod.RANKING:
            # Positional points k, k-1, ..., 1 against the round's k, not the ballot's length.
            options["ranks"] = round.max_choices
        if round.score_threshold:
            options["threshold"] = round.score_threshold
        return RuleChoice("city", options)
    if round.counting_rule == CountingRule.MES_ADD1:
        return RuleChoice("mes-add1", {})
    if round.counting_rule == CountingRule.MES_ADD1_GREEDY:
        return RuleChoice("mes-add1-greedy", {})
    if round.counting_rule == CountingRule.PHRAGMEN:
        return RuleChoice("phragmen", {})
    raise ValueError(f"unknown counting rule {round.counting_rule}")


def recount_note(round: VoteRound) -> str:
    """Which rule and which public tool reproduce the count from the published .pb file."""
    choice = rule_for(round)
    if choice.rule == "city":
        scored = {
            BallotMethod.RANKING: (
                "ranks score k, k-1, ..., 1 points against the vote's k (the file's max_length)"
            ),
            BallotMethod.CUMULATIVE: "a proposal's score is the sum of its points",
        }.get(round.ballot_method, "a proposal's score is its number of votes")
        return (
            "Rule: greedy by score (" + scored + "; ties to the cheaper proposal, then the "
            "smaller reference number). pabutools has no such rule; anyone can recount the "
            "published ballots (.pb file) with our open counting engine: "
            "python manage.py tally_pb FILE.pb --rule city"
        )
    return (
        f"Rule: {RULE_DESCRIPTIONS[choice.rule]}. Anyone can recount the published ballots "
        f"(.pb file) with pabutools 1.2.3 (that call, default tie-breaking), or with our open "
        f"counting engine: python manage.py tally_pb FILE.pb --rule {choice.rule}"
    )


def build_election(
    *, round: VoteRound, budget_pence: int, items: Iterable, ballots: Iterable, meta=None
) -> Election:
    """items: (proposal_id, cost_pence, name); ballots: stored choices (Ballot.choices)."""
    projects = [Project(str(pid), pounds(cost), name) for pid, cost, name in items]
    vote_type = VOTE_TYPES[round.ballot_method]
    converted = []
    for choices in ballots:
        if vote_type == "cumulative":
            converted.append({str(k): int(v) for k, v in choices.items() if int(v) > 0})
        elif vote_type == "ordinal":
            converted.append([str(c) for c in choices])
        else:
            converted.append({str(c) for c in choices})
    meta = dict(meta or {})
    if round.ballot_method in (BallotMethod.K_APPROVAL, BallotMethod.RANKING) and round.max_choices:
        # The round's k travels with the election: ranks score k, k-1, ..., 1 against it.
        meta.setdefault("max_length", str(round.max_choices))
    return Election.from_ballots(
        budget=pounds(budget_pence),
        projects=projects,
        vote_type=vote_type,
        ballots=converted,
        meta=meta,
    )


def count(election: Election, choice: RuleChoice) -> Outcome:
    """Count as the app does: in exact rationals only (``exact=True``), so no float ever decides
    a winner; the engine's float fast path is for recounting large files and is tested equal."""
    return tally(election, choice.rule, exact=True, **choice.options)
