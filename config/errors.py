"""One application error type for domain rules, and its mapping to HTTP and API responses."""

from __future__ import annotations

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler


class ApplicationError(Exception):
    """A domain rule refused an action. `message` is plain English, safe to show to the user."""

    status_code = 400

    def __init__(self, message: str, *, extra: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class ForbiddenError(ApplicationError):
    """The user may not do this (the predicate in permissions.py said no)."""

    status_code = 403


class NotFoundError(ApplicationError):
    status_code = 404


class StateError(ApplicationError):
    """The object is not in a state that allows this action."""

    status_code = 409


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested validation detail as {"field" or "field.sub": [messages]}."""
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            out.update(_flatten(value, name))
    elif isinstance(detail, list):
        if all(not isinstance(v, dict | list) for v in detail):
            out[prefix or "non_field_errors"] = [str(v) for v in detail]
        else:
            for index, value in enumerate(detail):
                out.update(_flatten(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        out[prefix or "non_field_errors"] = [str(detail)]
    return out


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


_STATUS_CODES = {
    400: "invalid",
    401: "not_authenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    429: "throttled",
    503: "unavailable",
}


def api_exception_handler(exc, context):
    """Every API error as {"error": {"code", "message", "fields"}}: domain errors and DRF's own
    (validation, parse, authentication, permission, not found, throttling) alike."""
    if isinstance(exc, ApplicationError):
        status_code = getattr(exc, "status_code", status.HTTP_400_BAD_REQUEST)
        field = exc.extra.get("field")
        fields = {str(field): [exc.message]} if field else {}
        return Response(
            error_body(_STATUS_CODES.get(status_code, "invalid"), exc.message, fields),
            status=status_code,
        )
    response = exception_handler(exc, context)
    if response is None:
        return None
    detail = getattr(exc, "detail", None)
    code = _STATUS_CODES.get(response.status_code, "error")
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(detail)
        message = "Some of what was sent is not valid."
        if list(fields) == ["non_field_errors"]:
            message = fields["non_field_errors"][0]
        response.data = error_body(code, message, fields)
    else:
        message = str(detail) if isinstance(detail, str) else "The request was refused."
        if isinstance(exc, Http404):
            message = "There is no such thing."
        response.data = error_body(code, message)
    return response
