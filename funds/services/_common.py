"""Helpers shared by the funds services: validation, row locks, the audit call."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models

from audit.services import audit_record
from config.errors import ApplicationError, ForbiddenError, NotFoundError

from ..models import Fund


def clean(obj: models.Model, *, exclude: list[str] | None = None) -> None:
    """full_clean(), with Django's ValidationError turned into our ApplicationError."""
    try:
        obj.full_clean(exclude=exclude)
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        first = next(iter(fields.values()))[0]
        raise ApplicationError(str(first), extra={"fields": fields}) from exc


def lock_fund(fund_or_id: Fund | int) -> Fund:
    """Re-read the fund under a row lock. Every posting and every rule that counts money
    (available balance, paid so far) takes this lock first, so they queue per fund.
    `of=("self",)` locks only the fund row: PostgreSQL refuses FOR UPDATE across the
    nullable side of an outer join, and we need no other row locked."""
    pk = fund_or_id.pk if isinstance(fund_or_id, Fund) else fund_or_id
    try:
        return (
            Fund.objects.select_for_update(of=("self",))
            .select_related("neighbourhood", "funder", "holder")
            .get(pk=pk)
        )
    except Fund.DoesNotExist as exc:
        raise NotFoundError("This fund no longer exists.") from exc


def relock(obj: models.Model) -> models.Model:
    """Re-read any row under a lock (the caller holds the fund lock first)."""
    model = type(obj)
    try:
        return model.objects.select_for_update(of=("self",)).get(pk=obj.pk)
    except model.DoesNotExist as exc:
        raise NotFoundError("This item no longer exists.") from exc


def require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ForbiddenError(message)


def require_amount(amount_pence: int, *, what: str = "The amount") -> int:
    """Integer pence, more than zero: the form edge parses pounds, this refuses the rest."""
    if isinstance(amount_pence, bool) or not isinstance(amount_pence, int):
        raise ApplicationError(f"{what} must be a whole number of pence.")
    if amount_pence <= 0:
        raise ApplicationError(f"{what} must be more than £0.")
    return amount_pence


def audit(action: str, *, actor, obj, role: str = "", **changes) -> None:
    audit_record(action=action, actor=actor, obj=obj, changes=changes, actor_role=role)
