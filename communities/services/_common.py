"""Helpers shared by the services."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Model

from config.errors import ApplicationError


def clean(obj: Model) -> None:
    """full_clean(), with Django's ValidationError turned into one plain-English domain error."""
    try:
        obj.full_clean()
    except ValidationError as exc:
        if hasattr(exc, "message_dict"):
            field, errors = next(iter(exc.message_dict.items()))
            label = obj._meta.get_field(field).verbose_name if field != "__all__" else ""
            message = f"{str(label).capitalize()}: {errors[0]}" if label else errors[0]
            raise ApplicationError(message, extra={"field": field}) from None
        raise ApplicationError(exc.messages[0]) from None
