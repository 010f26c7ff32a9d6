"""A database that cannot be reached (a restart, a fail-over) gives a clean 503 with
Retry-After, in the API's error format under /api/ and as a short page elsewhere (issue 17)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from tests.factories import NeighbourhoodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_keeping_errors():
    return Client(raise_request_exception=False)


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_api_answers_503_with_retry_after_in_the_error_format(client_keeping_errors, error):
    NeighbourhoodFactory()
    with mock.patch(
        "django.db.models.query.QuerySet._fetch_all",
        side_effect=error("server closed the connection unexpectedly"),
    ):
        response = client_keeping_errors.get("/api/v1/neighbourhoods/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["error"]["code"] == "unavailable"
    assert "try again" in body["error"]["message"]


def test_page_answers_503_with_retry_after_and_says_what_to_do(client_keeping_errors):
    NeighbourhoodFactory()
    with mock.patch(
        "django.db.models.query.QuerySet._fetch_all",
        side_effect=OperationalError("the database system is shutting down"),
    ):
        response = client_keeping_errors.get("/neighbourhoods/")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "Try again in a moment" in response.content.decode()


def test_other_errors_stay_500_without_retry_after(client_keeping_errors):
    with mock.patch(
        "django.db.models.query.QuerySet._fetch_all", side_effect=RuntimeError("a bug")
    ):
        page = client_keeping_errors.get("/neighbourhoods/")
        api = client_keeping_errors.get("/api/v1/neighbourhoods/")
    assert page.status_code == 500 and "Retry-After" not in page
    assert api.status_code == 500 and api.json()["error"]["code"] == "server_error"


def test_connections_are_health_checked_so_the_site_recovers_after_a_restart(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
