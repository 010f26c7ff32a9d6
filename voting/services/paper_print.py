"""Printing for a polling event: numbered ballot papers and the desk's register (PDF).

Both are audited: the audit trail records who printed how many papers for which event, and
who printed the register (it holds members' private names and addresses, so only trustees may
print it, and it lists no more than the desk needs: name, house and postcode of the members
who may vote). The paper numbers help count papers handed out and returned; nobody writes a
paper's number next to a voter, so a number says nothing about who filled it in.
"""

from __future__ import annotations

from django.db import transaction

from audit.services import audit_record
from communities.permissions import TRUSTEE_ROLES, ensure_powers
from config.errors import ApplicationError, StateError

from ..models import BallotMethod, Pot, VoteRound, pounds_display
from ..permissions import can_manage_rounds, eligible_memberships
from ..printing import (
    MAX_PROPOSALS_HALF_PAGE,
    PaperLine,
    PaperSpec,
    RegisterLine,
    ballot_papers_pdf,
    register_pdf,
)
from .paper_desk import ensure_keyer

MAX_PAPERS = 1000  # one print run; a bigger event prints several runs
PRINTABLE = (VoteRound.Status.DRAFT, VoteRound.Status.PUBLISHED, VoteRound.Status.OPEN)


def paper_instructions(round: VoteRound, pot: Pot) -> list[str]:
    """How to fill in the paper, in plain English, for the round's ballot method."""
    method = round.ballot_method
    if method == BallotMethod.KNAPSACK:
        first = (
            "Put a cross (X) in the box next to each proposal you want. The costs of the "
            f"proposals you choose must add up to no more than {pounds_display(pot.amount_pence)}."
        )
        if round.min_spend_percent:
            first += f" Choose at least {round.min_spend_percent}% of that."
    elif method == BallotMethod.K_APPROVAL:
        first = f"Put a cross (X) in the box next to up to {round.max_choices} proposals you want."
    elif method == BallotMethod.CUMULATIVE:
        first = (
            f"You have {round.points_total} points to share out. Write a whole number of points "
            "in the box next to each proposal you want."
        )
    else:
        first = (
            "Write 1 in the box next to your favourite proposal, 2 next to your second choice, "
            f"and so on, up to {round.max_choices}."
        )
    return [first, "You can read about each proposal on the website or at this event."]


def _ensure_printable(round: VoteRound) -> None:
    if not round.channel_paper:
        raise StateError("This vote does not take paper ballots.")
    if round.status not in PRINTABLE:
        raise StateError(
            f"This vote is “{round.get_status_display()}”: papers are printed before or while "
            "it is open."
        )


@transaction.atomic
def ballot_papers_print(
    *, actor, round: VoteRound, pot: Pot, event: str, count: int, per_page: int
) -> bytes:
    """`count` numbered ballot papers for one pot (trustees and appointed volunteers)."""
    ensure_keyer(actor, round)
    _ensure_printable(round)
    if pot.round_id != round.pk:
        raise ApplicationError("Choose a pot of this vote.")
    if not 1 <= count <= MAX_PAPERS:
        raise ApplicationError(f"Print between 1 and {MAX_PAPERS:,} papers at a time.")
    items = list(pot.items.select_related("proposal").order_by("number"))
    if not items:
        raise ApplicationError("This pot has no proposals on its ballot yet.")
    if per_page == 2 and len(items) > MAX_PROPOSALS_HALF_PAGE:
        raise ApplicationError(
            f"Two papers fit on a sheet only with up to {MAX_PROPOSALS_HALF_PAGE} proposals; "
            f"this ballot has {len(items)}. Print one paper per sheet."
        )
    spec = PaperSpec(
        heading=f"{round.title}: {pot.name}",
        event=event,
        instructions=paper_instructions(round, pot),
        lines=[PaperLine(i.number, i.proposal.title, pounds_display(i.cost_pence)) for i in items],
    )
    data = ballot_papers_pdf(
        spec, count=count, per_page=per_page, title=f"Ballot papers: {round.title}"
    )
    audit_record(
        action="voting.ballot_papers_printed",
        actor=actor,
        obj=round,
        changes={"pot": pot.pk, "event": event, "papers": count},
    )
    return data


@transaction.atomic
def paper_register_print(*, actor, round: VoteRound, event: str) -> bytes:
    """The register for the desk: members who may vote, by name, house and postcode. Trustees
    only (it holds private names and addresses); each print is in the audit trail."""
    if not can_manage_rounds(actor, round.neighbourhood):
        ensure_powers(actor, round.neighbourhood, TRUSTEE_ROLES, action="print the register")
    _ensure_printable(round)
    members = eligible_memberships(round).select_related("user")
    lines = sorted(
        (
            RegisterLine(
                name=m.private_name or m.user.public_name,
                house=m.private_house or "-",
                postcode=m.private_postcode or "-",
            )
            for m in members
        ),
        key=lambda line: (line.name.split()[-1].lower() if line.name else "", line.name.lower()),
    )
    data = register_pdf(
        heading=f"Register for {round.title}",
        event=event,
        lines=lines,
        note=(
            "Members who may vote in this vote. Before giving papers, find the voter on the "
            "paper desk page too: it refuses anyone who has already voted online or on paper. "
            "Tick 'Given' when you hand over papers. Never write a ballot paper's number here."
        ),
        title=f"Register: {round.title}",
    )
    audit_record(
        action="voting.paper_register_printed",
        actor=actor,
        obj=round,
        actor_role="trustee",
        changes={"event": event, "members": len(lines)},
    )
    return data
