"""Drafting a proposal: create and edit (drafts only), with cost lines and Markdown."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import transaction

from audit.services import audit_record
from communities.models import Neighbourhood, RoleAssignment
from communities.permissions import TRUSTEE_ROLES
from config.errors import ApplicationError, ForbiddenError, StateError

from .. import permissions as perms
from ..limits import cost_ceiling_pence
from ..markup import MAX_MARKDOWN_CHARS, markdown_problem, render_markdown
from ..models import CostLine, Proposal
from ..text import has_control_characters, spoofing_problem
from ._common import clean, lock

MAX_COST_LINES = 20


def _check_cost_lines(neighbourhood: Neighbourhood, lines: Sequence[tuple[str, int]]) -> int:
    if not lines:
        raise ApplicationError("Add at least one cost line.")
    if len(lines) > MAX_COST_LINES:
        raise ApplicationError(f"Use at most {MAX_COST_LINES} cost lines.")
    total = 0
    for description, amount in lines:
        if not (description or "").strip():
            raise ApplicationError("Each cost line needs a description.")
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise ApplicationError("Amounts must be whole pence.")
        if amount <= 0:
            raise ApplicationError("Each cost line must be more than £0.")
        total += amount
    if total > cost_ceiling_pence(neighbourhood):
        raise ApplicationError(
            "The total cost is more than this neighbourhood's fund. Ask for less, or split it."
        )
    return total


def _linked_trustees(neighbourhood: Neighbourhood, users: Iterable) -> list:
    users = list(users)
    ids = {u.pk for u in users}
    trustees = set(
        RoleAssignment.objects.current()
        .filter(neighbourhood=neighbourhood, role__in=TRUSTEE_ROLES, user_id__in=ids)
        .values_list("user_id", flat=True)
    )
    if ids - trustees:
        raise ApplicationError("Only current trustees of this neighbourhood can be named as links.")
    return users


SINGLE_LINE_FIELDS = {"title": "title", "summary": "summary"}
# Names and titles shown to others: no invisible or text-direction characters (spoofing).
SPOOF_CHECKED_FIELDS = {
    "title": "title",
    "summary": "summary",
    "organisation": "organisation's name",
}


def _apply(proposal: Proposal, fields: dict) -> dict:
    changes = {}
    for name, label in SINGLE_LINE_FIELDS.items():
        if name in fields and has_control_characters((fields[name] or "").strip()):
            message = f"Write the {label} on one line, without tabs or control characters."
            raise ApplicationError(message, extra={"fields": {name: [message]}})
    for name, label in SPOOF_CHECKED_FIELDS.items():
        message = spoofing_problem(fields.get(name) or "", label) if name in fields else None
        if message:
            raise ApplicationError(message, extra={"fields": {name: [message]}})
    for name, value in fields.items():
        value = value.strip() if isinstance(value, str) else value
        if getattr(proposal, name) != value:
            changes[name] = value if name not in {"description"} else "(changed)"
        setattr(proposal, name, value)
    if len(proposal.description or "") > MAX_MARKDOWN_CHARS:
        raise ApplicationError(
            f"The description is too long: use at most {MAX_MARKDOWN_CHARS:,} characters."
        )
    problem = markdown_problem(proposal.description)
    if problem:
        raise ApplicationError(problem, extra={"fields": {"description": [problem]}})
    proposal.description_html = render_markdown(proposal.description)
    return changes


def _save_lines(proposal: Proposal, lines: Sequence[tuple[str, int]]) -> None:
    proposal.cost_lines.all().delete()
    objs = [
        CostLine(proposal=proposal, description=d.strip(), amount_pence=a, position=i)
        for i, (d, a) in enumerate(lines)
    ]
    for obj in objs:
        clean(obj, exclude=["proposal"])
    CostLine.objects.bulk_create(objs)


@transaction.atomic
def proposal_create(
    *,
    neighbourhood: Neighbourhood,
    proposer,
    title: str,
    summary: str,
    description: str,
    theme: str,
    cost_lines: Sequence[tuple[str, int]],
    location: str = "",
    organisation: str = "",
    trustee_links: str = "",
    linked_trustees: Iterable = (),
) -> Proposal:
    """A verified resident drafts a proposal. Nothing is stored unless all of it is valid."""
    if not perms.can_create_proposal(proposer, neighbourhood):
        raise ForbiddenError("Only verified residents of an active neighbourhood can propose.")
    total = _check_cost_lines(neighbourhood, cost_lines)
    trustees = _linked_trustees(neighbourhood, linked_trustees)
    proposal = Proposal(neighbourhood=neighbourhood, proposer=proposer)
    _apply(
        proposal,
        {
            "title": title,
            "summary": summary,
            "description": description,
            "theme": theme,
            "location": location,
            "organisation": organisation,
            "trustee_links": trustee_links,
        },
    )
    clean(proposal)
    proposal.save()
    proposal.linked_trustees.set(trustees)
    _save_lines(proposal, cost_lines)
    audit_record(
        action="proposals.drafted",
        actor=proposer,
        actor_role="resident",
        obj=proposal,
        changes={
            "title": proposal.title,
            "theme": proposal.theme,
            "total_pence": total,
            "linked_trustee_ids": sorted(u.pk for u in trustees),
        },
    )
    return proposal


@transaction.atomic
def proposal_update(
    *,
    proposal: Proposal,
    actor,
    title: str,
    summary: str,
    description: str,
    theme: str,
    cost_lines: Sequence[tuple[str, int]],
    location: str = "",
    organisation: str = "",
    trustee_links: str = "",
    linked_trustees: Iterable = (),
) -> Proposal:
    """The proposer edits their draft (what trustees screen must not change under them)."""
    proposal = lock(proposal)
    if proposal.status != Proposal.Status.DRAFT:
        raise StateError("Only a draft can be changed.")
    if not perms.can_edit_proposal(actor, proposal):
        raise ForbiddenError("Only the proposer can change this draft.")
    total = _check_cost_lines(proposal.neighbourhood, cost_lines)
    trustees = _linked_trustees(proposal.neighbourhood, linked_trustees)
    changes = _apply(
        proposal,
        {
            "title": title,
            "summary": summary,
            "description": description,
            "theme": theme,
            "location": location,
            "organisation": organisation,
            "trustee_links": trustee_links,
        },
    )
    clean(proposal)
    proposal.save()
    proposal.linked_trustees.set(trustees)
    _save_lines(proposal, cost_lines)
    changes["total_pence"] = total
    changes["linked_trustee_ids"] = sorted(u.pk for u in trustees)
    audit_record(
        action="proposals.edited",
        actor=actor,
        actor_role="proposer",
        obj=proposal,
        changes=changes,
    )
    return proposal
