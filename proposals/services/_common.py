"""Helpers shared by the proposal services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from config.errors import ApplicationError, NotFoundError

from ..models import Proposal


def clean(obj: models.Model, *, exclude: list[str] | None = None) -> None:
    """full_clean(), with Django's ValidationError turned into our ApplicationError."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        first = next(iter(fields.values()))[0]
        raise ApplicationError(str(first), extra={"fields": fields}) from exc


def lock(proposal: Proposal) -> Proposal:
    """Re-read the proposal under a row lock (inside the caller's transaction)."""
    try:
        return (
            Proposal.objects.select_for_update(of=("self",))
            .select_related("neighbourhood", "proposer")
            .get(pk=proposal.pk)
        )
    except Proposal.DoesNotExist as exc:
        raise NotFoundError("This proposal no longer exists.") from exc


def role_of(user, proposal: Proposal) -> str:
    if user is None:
        return "system"
    if user.pk == proposal.proposer_id:
        return "proposer"
    from communities.permissions import TRUSTEE_ROLES, has_role

    if has_role(user, proposal.neighbourhood, TRUSTEE_ROLES):
        return "trustee"
    return "resident"
