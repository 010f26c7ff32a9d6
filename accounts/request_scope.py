"""The request being served, for predicates that depend on this session.

A small request-scoped helper (STYLE.md's known debt): the middleware opens a scope per
request; predicates read the session through it and cache their database reads in it, so
nothing is stored on the user object and nothing has to be forgotten afterwards. Outside a
request (management commands, Celery tasks) there is no scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

_current: ContextVar[RequestScope | None] = ContextVar("commonpurse_request_scope", default=None)


@dataclass
class RequestScope:
    request: HttpRequest
    cache: dict[Any, Any] = field(default_factory=dict)

    def is_request_user(self, user) -> bool:
        """Is `user` the person signed in on this request (not someone the request is about)?"""
        request_user = getattr(self.request, "user", None)
        if request_user is None or not getattr(request_user, "is_authenticated", False):
            return False
        return request_user.pk == user.pk


def current_scope() -> RequestScope | None:
    return _current.get()


@contextmanager
def request_scope(request: HttpRequest) -> Iterator[RequestScope]:
    scope = RequestScope(request)
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


class RequestScopeMiddleware:
    """Opens the request scope. Goes after AuthenticationMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        with request_scope(request):
            return self.get_response(request)
