"""Site-wide HTTP guards: security headers on every response, request bodies capped.

This module imports no app (config is the ground floor every app stands on).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse


class SecurityHeadersMiddleware:
    """Content-Security-Policy and Permissions-Policy on every response.

    A view that needs a different policy (a developer page loading its own scripts) sets the
    header itself, with `content_security_policy`; this middleware leaves that alone. Goes
    before WhiteNoise, so static files get the headers too.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        return response


def content_security_policy(policy: str):
    """Give one view its own Content-Security-Policy instead of the site's."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            response.headers["Content-Security-Policy"] = policy
            return response

        return wrapper

    return decorator


def _too_large_message() -> str:
    megabytes = settings.MAX_REQUEST_BODY_BYTES // (1024 * 1024)
    return f"This request is too large: the most we accept is {megabytes} MB."


class RequestBodyLimitMiddleware:
    """Refuse a request whose declared body is over MAX_REQUEST_BODY_BYTES, before anything
    reads it (a 200 MB upload was otherwise received whole and spooled to disk).

    DATA_UPLOAD_MAX_MEMORY_SIZE does not count uploaded files, and the multipart parser
    would stream any size to a temporary file. A body sent without Content-Length (chunked)
    is never read under WSGI: Django reads at most Content-Length bytes, that is none. Under
    ASGI the server hands Django the whole body first, so `asgi_body_limit` caps it there.
    Goes first among the middleware, before CSRF (which reads the form).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return HttpResponse("Bad Content-Length.", status=400, content_type="text/plain")
        if declared > settings.MAX_REQUEST_BODY_BYTES:
            # No "Connection: close" here: WSGI forbids hop-by-hop headers from the app; the
            # server closes a connection whose body was left unread.
            return HttpResponse(_too_large_message(), status=413, content_type="text/plain")
        return self.get_response(request)


def asgi_body_limit(app):
    """Wrap an ASGI application: answer 413 once a body passes MAX_REQUEST_BODY_BYTES,
    whether declared in Content-Length or counted as it streams in (chunked)."""

    async def send_413(send) -> None:
        body = _too_large_message().encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async def wrapped(scope, receive, send):
        if scope["type"] != "http":
            return await app(scope, receive, send)
        limit = settings.MAX_REQUEST_BODY_BYTES
        headers = dict(scope.get("headers") or [])
        try:
            declared = int(headers.get(b"content-length", b"0") or 0)
        except ValueError:
            declared = 0
        if declared > limit:
            return await send_413(send)
        state = {"received": 0, "too_big": False, "started": False}

        async def limited_receive():
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["too_big"] = True
                    # Django stops reading and abandons the request; we answer below.
                    return {"type": "http.disconnect"}
            return message

        async def tracking_send(message):
            if message["type"] == "http.response.start":
                state["started"] = True
            await send(message)

        await app(scope, limited_receive, tracking_send)
        if state["too_big"] and not state["started"]:
            await send_413(send)

    return wrapped


# PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout (query_canceled).
QUERY_CANCELED = "57014"
BUSY_MESSAGE = (
    "This page took too long to prepare, so we stopped it: nothing was changed. Please try "
    "again in a minute."
)


def is_statement_timeout(exc: BaseException) -> bool:
    """True for the error Django raises when PostgreSQL cancelled a statement that ran past
    the web requests' statement timeout (settings.DB_STATEMENT_TIMEOUT_MS)."""
    from django.db import OperationalError

    if not isinstance(exc, OperationalError):
        return False
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) == QUERY_CANCELED


class StatementTimeoutMiddleware:
    """A statement cancelled by the web requests' timeout becomes a clean 503 (an HTML page, or
    the API's JSON error), with Retry-After, instead of a 500. The view's transaction has
    already rolled back, so nothing was half done."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not is_statement_timeout(exception):
            return None
        from django.http import JsonResponse
        from django.shortcuts import render

        from config.errors import error_body

        if request.path.startswith("/api/"):
            response = JsonResponse(error_body("unavailable", BUSY_MESSAGE), status=503)
        else:
            response = render(request, "busy.html", {"message": BUSY_MESSAGE}, status=503)
        response["Retry-After"] = "60"
        return response
