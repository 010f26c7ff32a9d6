"""/healthz reports the database and the broker separately; 503 only when the database is down."""

from __future__ import annotations

import os
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.base.base import BaseDatabaseWrapper

from outbox.models import OutboxMessage
from tests.outbox.outage import celery_on, free_port

pytestmark = pytest.mark.django_db


def test_embedded_default_reports_the_database_up_and_tasks_inline(client):
    OutboxMessage.objects.create(task="t")
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "up",
        "broker": "inline",
        "outbox_pending": 1,
    }
    assert "no-cache" in response["Cache-Control"]


def test_broker_down_is_flagged_but_the_site_is_up(client):
    with celery_on(f"redis://127.0.0.1:{free_port()}/0"):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "up",
        "broker": "down",
        "outbox_pending": 0,
    }


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a real Redis")
def test_broker_up_is_reported(client):
    with celery_on(os.environ["REDIS_URL"]):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["broker"] == "up"


def test_database_down_answers_503(client):
    with mock.patch.object(
        BaseDatabaseWrapper, "cursor", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "down", "database": "down", "broker": "inline"}
