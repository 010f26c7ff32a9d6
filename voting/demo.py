"""Demo data: in the demo neighbourhood, an open vote on the shortlisted proposals (so that
resident@example.org can vote now) and a past vote with certified, published results.

Idempotent: each round is made only if no round of that title exists, so a second run changes
nothing. The open round goes through the services (create, publish, open); the past round is
written directly as history (its ballots are synthetic, counted by the real engine, and its two
placeholder "not selected" proposals are created directly, as the proposals demo does).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from communities.models import Membership, Neighbourhood, Role, RoleAssignment
from proposals.markup import render_markdown
from proposals.models import CostLine, Proposal, Theme

from . import services
from .models import Ballot, BallotMethod, Certification, Pot, PotItem, PotResult, VoteRound
from .services.cards import card_batch_issue
from .services.results import _result_fields

OPEN_TITLE = "Spring vote 2027"
PAST_TITLE = "Summer vote 2026"
LOSERS = [
    ("Christmas lights on the parade", 900_000, "Festive lights on the shopping parade."),
    ("Dog agility park", 1_200_000, "A fenced dog exercise area on the rec."),
]


def _neighbourhood(users) -> Neighbourhood | None:
    trustee = users.get("trustee@example.org")
    ra = (
        RoleAssignment.objects.current()
        .filter(user=trustee, role__in=[Role.TRUSTEE, Role.CHAIR])
        .select_related("neighbourhood")
        .first()
    )
    if ra:
        return ra.neighbourhood
    membership = Membership.objects.filter(user=users.get("resident@example.org")).first()
    return membership.neighbourhood if membership else None


def _forget(user) -> None:
    for key in ("_cp_memberships", "_cp_roles", "_cp_has_mfa", "_cp_email_verified"):
        user.__dict__.pop(key, None)


@transaction.atomic
def _open_round(neighbourhood, trustee, stdout) -> None:
    if VoteRound.objects.filter(neighbourhood=neighbourhood, title=OPEN_TITLE).exists():
        return
    shortlisted = list(
        Proposal.objects.filter(neighbourhood=neighbourhood, status=Proposal.Status.SHORTLISTED)
    )
    orphans = list(
        Proposal.objects.filter(
            neighbourhood=neighbourhood, status=Proposal.Status.ON_BALLOT, pot_items=None
        )
    )
    if len(shortlisted) + len(orphans) < 2:
        stdout.write("  fewer than two shortlisted proposals: no open vote")
        return
    now = timezone.now().replace(second=0, microsecond=0)
    total = sum(p.ballot_cost_pence for p in shortlisted + orphans)
    amount = max(100_000, (total * 6 // 10) // 100_000 * 100_000)  # about 60% of the asks
    round = services.round_create(
        actor=trustee,
        neighbourhood=neighbourhood,
        title=OPEN_TITLE,
        description="Choose the proposals you want within the pot. Vote online or at the "
        "community centre on Saturdays.",
        opens_at=now - dt.timedelta(hours=1),
        closes_at=now + dt.timedelta(days=30),
        ballot_method=BallotMethod.KNAPSACK,
        channel_paper=True,
        pots=[services.PotSpec("Main pot", amount, shortlisted)],
    )
    services.round_publish(actor=trustee, round=round)
    pot = round.pots.get()
    # Already "on ballot" in the proposals demo, with no round: put them on this ballot.
    for number, proposal in enumerate(orphans, start=pot.items.count() + 1):
        PotItem.objects.create(
            pot=pot, proposal=proposal, number=number, cost_pence=proposal.ballot_cost_pence
        )
    services.rounds_advance(now=now)
    stdout.write(f"  open vote “{OPEN_TITLE}” with {pot.items.count()} proposals")
    # Polling cards for the open vote (issue 16). Only keyed hashes are stored, so the codes
    # exist only in this output: demo data is public, so they are printed here and nowhere else.
    issued = card_batch_issue(actor=trustee, round=round, count=12, label="Demo polling cards")
    sample = ", ".join(code for _, code in issued.codes[:3])
    stdout.write(f"  12 polling cards for “{OPEN_TITLE}”; try {sample} at /votes/card/")


def _counts_ballots(ids_and_counts: list[tuple[int, range]], voters: int) -> list[list[int]]:
    return [[pid for pid, who in ids_and_counts if i in who] for i in range(voters)]


@transaction.atomic
def _past_round(neighbourhood, trustee, others, stdout) -> None:
    if VoteRound.objects.filter(neighbourhood=neighbourhood, title=PAST_TITLE).exists():
        return
    winners = list(
        Proposal.objects.filter(
            neighbourhood=neighbourhood,
            status__in=[
                Proposal.Status.SELECTED,
                Proposal.Status.GRANTED,
                Proposal.Status.IN_DELIVERY,
                Proposal.Status.COMPLETED,
            ],
        ).order_by("created_at")[:2]
    )
    if len(winners) < 2:
        stdout.write("  fewer than two selected proposals: no past vote")
        return
    now = timezone.now()
    opens, closes = now - dt.timedelta(days=150), now - dt.timedelta(days=120)
    losers = []
    for title, cost, summary in LOSERS:
        proposal = Proposal.objects.create(
            neighbourhood=neighbourhood,
            proposer=trustee,
            title=title,
            summary=summary,
            description=summary,
            description_html=render_markdown(summary),
            theme=Theme.OTHER,
            status=Proposal.Status.NOT_SELECTED,
            on_ballot_at=opens,
            not_selected_at=closes,
            created_at=opens - dt.timedelta(days=30),
        )
        CostLine.objects.create(proposal=proposal, description="Everything", amount_pence=cost)
        losers.append(proposal)
    amount = sum(p.ballot_cost_pence for p in winners) + 50_000
    round = VoteRound.objects.create(
        neighbourhood=neighbourhood,
        title=PAST_TITLE,
        description="Our first vote: residents chose two proposals.",
        status=VoteRound.Status.RESULTS_PUBLISHED,
        ballot_method=BallotMethod.K_APPROVAL,
        max_choices=4,
        eligible_connections=["lives", "works", "studies", "volunteers"],
        channel_paper=True,
        opens_at=opens,
        closes_at=closes,
        created_by=trustee,
        published_at=opens - dt.timedelta(days=7),
        open_at=opens,
        closed_at=closes,
        counted_at=closes + dt.timedelta(days=1),
        certified_at=closes + dt.timedelta(days=2),
        results_published_at=closes + dt.timedelta(days=3),
    )
    pot = Pot.objects.create(round=round, name="Main pot", amount_pence=amount)
    for number, proposal in enumerate(winners + losers, start=1):
        PotItem.objects.create(
            pot=pot, proposal=proposal, number=number, cost_pence=proposal.ballot_cost_pence
        )
    a, b = winners
    c, d = losers
    plan = [
        (a.pk, range(0, 41)),
        (b.pk, range(23, 60)),
        (c.pk, range(10, 32)),
        (d.pk, range(40, 55)),
    ]
    Ballot.objects.bulk_create(
        Ballot(round=round, pot=pot, channel="online" if i < 47 else "paper", choices=choices)
        for i, choices in enumerate(_counts_ballots(plan, 60))
    )
    fields = _result_fields(pot)
    turnout = {
        "by_channel": {"online": 47, "paper": 13},
        "by_age_band": {
            "16_17": 3,
            "18_24": 6,
            "25_34": 11,
            "35_49": 17,
            "50_64": 14,
            "65_plus": 9,
        },
        # The demo's register is small; the past vote stands for a fuller one (a quarter of
        # 240 members voted), with 2 paper ballots spoilt.
        "eligible": 240,
        "spoilt": 2,
    }
    PotResult.objects.create(
        pot=pot,
        turnout=turnout,
        frozen_at=round.certified_at,
        computed_at=round.counted_at,
        **fields,
    )
    for signer in [trustee, *others][:2]:
        Certification.objects.create(round=round, trustee=signer, certified_at=round.certified_at)
    audit_record(
        action="voting.demo_seeded",
        obj=round,
        actor_role="system",
        changes={"title": round.title, "winners": fields["winners"]},
    )
    stdout.write(f"  past vote “{PAST_TITLE}” with published results")


def seed(*, users, stdout) -> None:
    neighbourhood = _neighbourhood(users)
    trustee = users.get("trustee@example.org")
    if neighbourhood is None or trustee is None:
        stdout.write("  no demo neighbourhood or trustee; skipped")
        return
    _forget(trustee)
    others = [
        ra.user
        for ra in RoleAssignment.objects.current()
        .filter(neighbourhood=neighbourhood, role__in=[Role.TRUSTEE, Role.CHAIR])
        .exclude(user=trustee)
        .select_related("user")
    ]
    _past_round(neighbourhood, trustee, others, stdout)
    _open_round(neighbourhood, trustee, stdout)
