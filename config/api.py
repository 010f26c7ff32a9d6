"""Shared REST machinery: strict JSON input, one error format, throttles, pagination, ETags.

Imports no app (config is the ground floor); the apps' `api.py` modules build on this.
"""

from __future__ import annotations

from django.conf import settings
from django.http import JsonResponse
from django.utils.cache import get_conditional_response, patch_vary_headers, set_response_etag
from django_filters import ChoiceFilter
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, inline_serializer
from rest_framework import exceptions, parsers, serializers, throttling
from rest_framework.pagination import PageNumberPagination

API_MAX_BODY_BYTES = 1024 * 1024


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "This request is too large: the API accepts at most 1 MB."
    default_code = "too_large"


class LimitedJSONParser(parsers.JSONParser):
    """JSON only, at most 1 MB: a larger body is refused before it is parsed."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        meta = getattr(request, "META", {}) if request is not None else {}
        try:
            declared = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > API_MAX_BODY_BYTES:
            raise RequestTooLarge()
        return super().parse(stream, media_type, parser_context)


class LimitedMultiPartParser(parsers.MultiPartParser):
    """Multipart uploads (receipts), for the few operations that take files: the body may pass
    the 1 MB JSON cap, up to the site's cap for any request (DJANGO_MAX_REQUEST_BODY_BYTES,
    which config.middleware also enforces before Django reads the body)."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = (parser_context or {}).get("request")
        meta = getattr(request, "META", {}) if request is not None else {}
        try:
            declared = int(meta.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        if declared > settings.MAX_REQUEST_BODY_BYTES:
            raise UploadTooLarge()
        return super().parse(stream, media_type, parser_context)


class UploadTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = "This upload is too large for the site."
    default_code = "too_large"


_JSON_TYPES = (
    # (field class, accepted JSON types, message): DRF would coerce 12 to "12" and "12" to 12.
    (serializers.BooleanField, (bool,), "Give true or false."),
    (serializers.IntegerField, (int,), "Give a whole number."),
    (serializers.CharField, (str,), "Give text."),
    (serializers.ChoiceField, (str,), "Give one of the listed values."),
)


class StrictInputSerializer(serializers.Serializer):
    """An input serializer that refuses fields it does not know (a typo is not ignored) and
    values of the wrong JSON type (DRF would quietly turn a number into text and back)."""

    def to_internal_value(self, data):
        if isinstance(data, dict):
            errors = {
                name: ["This field is not accepted here."]
                for name in sorted(set(data) - set(self.fields))
            }
            for name, field in self.fields.items():
                if name not in data or data[name] is None:
                    continue
                for kind, types, message in _JSON_TYPES:
                    if isinstance(field, kind):
                        value = data[name]
                        wrong = not isinstance(value, types) or (
                            bool not in types and isinstance(value, bool)
                        )
                        if wrong:
                            errors[name] = [message]
                        break
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictFormSerializer(serializers.Serializer):
    """For multipart forms (every value arrives as text, so no JSON type check): refuses
    fields it does not know, as StrictInputSerializer does."""

    def to_internal_value(self, data):
        if hasattr(data, "keys"):
            unknown = sorted(set(data.keys()) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(
                    {name: ["This field is not accepted here."] for name in unknown}
                )
        return super().to_internal_value(data)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, except that an empty value for a listed-values filter (`?sort=`) is
    refused like any other value not in the list, as the schema's enum says."""

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            empty = [
                name
                for name, spec in filterset_class.base_filters.items()
                if isinstance(spec, ChoiceFilter) and request.query_params.get(name) == ""
            ]
            if empty:
                raise exceptions.ValidationError(
                    {name: ["Give one of the listed values."] for name in empty}
                )
        return super().filter_queryset(request, queryset, view)


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        """A page size that is not a whole number from 1 to 100 is refused, not ignored."""
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isdigit() or not 1 <= int(raw) <= self.max_page_size:
            raise exceptions.ValidationError(
                {
                    self.page_size_query_param: [
                        f"Give a whole number from 1 to {self.max_page_size}."
                    ]
                }
            )
        return int(raw)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param)
        if raw is None or raw == "last":
            return super().get_page_number(request, paginator)
        if not raw.isdigit() or not 1 <= int(raw) <= 10**9:
            raise exceptions.ValidationError(
                {self.page_query_param: ["Give a page number from 1 upwards."]}
            )
        return raw

    def get_schema_operation_parameters(self, view):
        params = super().get_schema_operation_parameters(view)
        for param in params:
            if param["name"] == self.page_query_param:
                param["schema"].update({"minimum": 1, "maximum": 10**9})
            if param["name"] == self.page_size_query_param:
                param["schema"].update({"minimum": 1, "maximum": self.max_page_size})
        return params


def _rate(scope: str) -> str:
    return settings.API_THROTTLE_RATES[scope]


class AnonThrottle(throttling.AnonRateThrottle):
    """Per client address, for requests without a user. Rates read at request time."""

    def get_rate(self):
        return _rate("anon")


class UserThrottle(throttling.UserRateThrottle):
    """Per user (session or token)."""

    def get_rate(self):
        return _rate("user")


class ConditionalGetMixin:
    # ETag on successful GETs; a matching If-None-Match gets 304 with no body. (A comment, not
    # a docstring: drf-spectacular would show a docstring as every view's description.)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ("Authorization", "Cookie"))  # what you see depends on who
        if request.method in ("GET", "HEAD") and response.status_code == 200:
            response.render()
            set_response_etag(response)
            response = get_conditional_response(
                request, etag=response.get("ETag"), response=response
            )
        return response


ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "error": inline_serializer(
            name="ErrorBody",
            fields={
                "code": serializers.CharField(),
                "message": serializers.CharField(),
                "fields": serializers.DictField(
                    child=serializers.ListField(child=serializers.CharField())
                ),
            },
        )
    },
)

_DESCRIPTIONS = {
    400: "The request is not valid (malformed JSON, wrong types, unknown fields or a broken rule).",
    401: "No valid credentials: sign in, or send a valid, unexpired token.",
    403: "You may not do this.",
    404: "There is no such thing, or you may not see it.",
    405: "This method is not allowed here.",
    409: "The thing is not in a state that allows this.",
    413: "The request body is over 1 MB (uploads: over the site's upload cap).",
    415: "Send JSON (uploads: multipart/form-data).",
    429: "Too many requests: slow down.",
}


def error_responses(*statuses: int) -> dict:
    """Documented error responses for an operation (every refusal has the error format)."""
    return {s: OpenApiResponse(ErrorSerializer, description=_DESCRIPTIONS[s]) for s in statuses}


READ_ERRORS = (400, 401, 404, 405, 429)
WRITE_ERRORS = (400, 401, 403, 404, 405, 409, 413, 415, 429)


def api_not_found(request, exception=None):
    """JSON 404 for unknown /api/ addresses (an id that is not a number, say)."""
    from .errors import error_body  # not at the top: errors -> DRF settings -> this module

    return JsonResponse(error_body("not_found", "There is nothing at this address."), status=404)


class ApiIdConverter:
    """A database id in an address: 1 to 18 digits, so an over-long number is a 404, not an
    integer overflow in the database."""

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(value)


def schema_refuse_unknown_fields(result, generator, request, public):
    """drf-spectacular post-processing hook: request bodies say `additionalProperties: false`,
    as the input serializers refuse unknown fields (config.api.StrictInputSerializer)."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    return result


def api_docs(request):
    """Human API docs: Redoc from drf-spectacular-sidecar, served from this site (no CDN), with
    a policy of its own whose nonce lets only our one start-up script run."""
    import secrets

    from django.shortcuts import render
    from django.templatetags.static import static
    from django.urls import reverse

    nonce = secrets.token_urlsafe(18)
    response = render(
        request,
        "api/docs.html",
        {
            "nonce": nonce,
            "redoc_js": static("drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js"),
            "schema_url": reverse("api-schema"),
        },
    )
    response.headers["Content-Security-Policy"] = (
        f"default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
        "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
        "worker-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    )
    return response


def not_found(request, exception=None):
    """The site's 404: JSON with the error format under /api/, Django's page elsewhere."""
    if request.path.startswith("/api/"):
        return api_not_found(request, exception)
    from django.views.defaults import page_not_found

    return page_not_found(request, exception)


# How long a client should wait before retrying while the database is unreachable: a restart
# or a fail-over usually takes a few seconds.
DATABASE_RETRY_AFTER_SECONDS = 5


def server_error(request, *args, **kwargs):
    """The site's 500 handler, except that a database that cannot be reached (a restart, a
    fail-over: Django's OperationalError or InterfaceError) is a 503 with Retry-After, in the
    API's error format under /api/ and as a short page elsewhere. Django calls this inside its
    `except` block, so the exception is the one being handled. Nothing here touches the
    database: the page is rendered without the request's context processors. The request's
    transaction has rolled back, so nothing was half written; with CONN_HEALTH_CHECKS the next
    request opens a fresh connection and the site recovers by itself."""
    import sys

    from django.db import InterfaceError, OperationalError
    from django.http import HttpResponse, HttpResponseServerError
    from django.template.loader import render_to_string

    from .errors import error_body

    exc = sys.exc_info()[1]
    if not isinstance(exc, OperationalError | InterfaceError):
        if request.path.startswith("/api/"):
            return JsonResponse(
                error_body("server_error", "Something went wrong on our side. Try again."),
                status=500,
            )
        return HttpResponseServerError(render_to_string("500.html"))
    message = "The service is busy or restarting. Nothing was saved: try again in a few seconds."
    if request.path.startswith("/api/"):
        response = JsonResponse(error_body("unavailable", message), status=503)
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
