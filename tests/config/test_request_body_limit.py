"""Request bodies are capped before the app reads them (issue 9, point 4: a 200 MB upload
was received whole)."""

from __future__ import annotations

import asyncio

import pytest
from django.urls import reverse

from config.middleware import asgi_body_limit
from proposals.models import ProposalImage
from tests.factories import NeighbourhoodFactory, resident
from tests.proposals.factories import DraftFactory, jpeg_bytes, upload

pytestmark = pytest.mark.django_db


class Tripwire:
    """A wsgi.input that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the request body was read")

    readline = read


def test_a_200_mb_upload_is_refused_with_413_before_anything_reads_it(client):
    n = NeighbourhoodFactory()
    draft = DraftFactory(neighbourhood=n, proposer=resident(n))
    client.force_login(draft.proposer)
    response = client.generic(
        "POST",
        reverse("proposals:images", args=[n.slug, draft.pk]),
        b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(200 * 1024 * 1024),
        **{"wsgi.input": Tripwire()},
    )
    assert response.status_code == 413
    assert "the most we accept is 12 MB" in response.content.decode()
    assert not ProposalImage.objects.exists()


def test_a_body_over_a_configured_cap_is_refused_and_one_under_it_is_served(client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 5_000
    n = NeighbourhoodFactory()
    draft = DraftFactory(neighbourhood=n, proposer=resident(n))
    client.force_login(draft.proposer)
    url = reverse("proposals:images", args=[n.slug, draft.pk])
    photo = jpeg_bytes(1600, 1200)
    assert len(photo) > 5_000
    big = client.post(url, {"image": upload(photo), "alt_text": "x"})
    assert big.status_code == 413
    small = client.post(url, {"image": upload(jpeg_bytes(40, 30)), "alt_text": "x"})
    assert small.status_code == 302
    assert ProposalImage.objects.count() == 1


def test_a_chunked_body_without_length_is_never_read_under_wsgi(client):
    response = client.generic(
        "POST",
        "/accounts/login/",
        b"",
        content_type="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": Tripwire()},
    )
    # the form is empty (nothing was read), so the login page shows its errors
    assert response.status_code == 200


def _run_asgi(*, headers, chunks):
    sent = []
    seen = {"body": b"", "disconnected": False}
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]

    async def receive():
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    async def inner(scope, receive, send):
        # stands in for Django's ASGIHandler, which reads the whole body first
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                seen["disconnected"] = True
                return
            seen["body"] += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers}
    asyncio.run(asgi_body_limit(inner)(scope, receive, send))
    return sent, seen


def test_asgi_refuses_a_declared_or_streamed_body_over_the_cap(settings):
    settings.MAX_REQUEST_BODY_BYTES = 1000
    # declared too large: refused before the app reads anything
    sent, seen = _run_asgi(headers=[(b"content-length", b"5000")], chunks=[b"x" * 5000])
    assert sent[0]["status"] == 413 and seen["body"] == b""
    # chunked, no length: the app stops receiving at the cap and the client gets 413
    sent, seen = _run_asgi(headers=[], chunks=[b"x" * 600, b"x" * 600, b"x" * 600])
    assert sent[0]["status"] == 413
    assert seen["disconnected"] and len(seen["body"]) <= 1000
    # under the cap: served
    sent, seen = _run_asgi(headers=[], chunks=[b"x" * 600])
    assert sent[0]["status"] == 200
