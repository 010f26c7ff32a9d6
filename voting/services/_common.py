"""Helpers shared by the voting services: validation, row locks and calls into proposals."""

from __future__ import annotations

import importlib
from functools import partial

from django.core.exceptions import ValidationError
from django.db import models, transaction

from config.errors import ApplicationError, NotFoundError, StateError

from ..models import VoteRound, pounds_display
from ..selectors import ballot_paper_forget

S = VoteRound.Status

# The round's life (DESIGN.md); one service per transition, beside this map.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.PUBLISHED, S.ANNULLED},
    S.PUBLISHED: {S.OPEN, S.ANNULLED},
    S.OPEN: {S.CLOSED, S.ANNULLED},
    S.CLOSED: {S.COUNTED, S.ANNULLED},
    S.COUNTED: {S.CERTIFIED, S.ANNULLED},
    S.CERTIFIED: {S.RESULTS_PUBLISHED, S.ANNULLED},
    S.RESULTS_PUBLISHED: set(),
    S.ANNULLED: set(),
}


def clean(obj: models.Model, *, exclude: list[str] | None = None) -> None:
    """full_clean(), with Django's ValidationError turned into our ApplicationError."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        first = next(iter(fields.values()))[0]
        raise ApplicationError(str(first), extra={"fields": fields}) from exc


def lock_round(round: VoteRound) -> VoteRound:
    """Re-read the round under a row lock (inside the caller's transaction).

    Every service that changes a round (or its pots) takes this lock first, so this is where
    the cached ballot papers of the round are scheduled to be forgotten once the change commits
    (selectors.ballot_paper). The ballot cast itself never takes it (services/ballots.py).
    """
    try:
        locked = (
            VoteRound.objects.select_for_update(of=("self",))
            .select_related("neighbourhood")
            .get(pk=round.pk)
        )
    except VoteRound.DoesNotExist as exc:
        raise NotFoundError("This vote no longer exists.") from exc
    transaction.on_commit(partial(ballot_paper_forget, round_id=locked.pk), robust=True)
    return locked


def check_transition(round: VoteRound, to: str) -> None:
    if to not in ALLOWED_TRANSITIONS.get(round.status, set()):
        raise StateError(
            f"A vote that is “{round.get_status_display()}” cannot become “{S(to).label}”."
        )


def proposal_service(name: str):
    """A proposals service by its agreed name (voting calls proposals, never the reverse)."""
    module = importlib.import_module("proposals.services")
    if hasattr(module, name):
        return getattr(module, name)
    return getattr(importlib.import_module("proposals.services.lifecycle"), name)


def pounds_text(pence: int) -> str:
    """£12,400 or £12,400.50 in messages: the one formatter the voting pages use."""
    return pounds_display(pence)
