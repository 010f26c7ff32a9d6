"""One application error type for domain rules, and its mapping to HTTP and API responses."""

from __future__ import annotations

from rest_framework import status
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


def api_exception_handler(exc, context):
    """Map ApplicationError to {"error": {"message", "extra"}}; leave DRF's own errors alone."""
    if isinstance(exc, ApplicationError):
        return Response(
            {"error": {"message": exc.message, "extra": exc.extra}},
            status=getattr(exc, "status_code", status.HTTP_400_BAD_REQUEST),
        )
    return exception_handler(exc, context)
