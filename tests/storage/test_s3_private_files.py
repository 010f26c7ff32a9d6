"""Issue 15, acceptance 2: private files on object storage never leave through a public URL.

Against a real S3-protocol server (moto, tests/storage/conftest.py). A receipt lands in the
private bucket only; its page URL refuses a visitor without a session and a user without the
permission; a reader who may see it is redirected to a signed URL that expires within a minute
(checked by its parameters: moto does not enforce expiry), and an unsigned fetch of the object
is refused by the server. Photos: the original goes to the private bucket, the display sizes to
the public one, where anyone can fetch them.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit
from urllib.request import Request, urlopen

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from audit.models import AuditEvent
from config.storage import private_storage
from funds import services
from funds.models import Grant
from proposals.models import ProposalImage
from proposals.services.images import proposal_image_add
from tests.factories import NeighbourhoodFactory, UserFactory, resident
from tests.funds.factories import grant, item, make_world
from tests.proposals.factories import DraftFactory, jpeg_bytes, upload

SIGNED_URL_SECONDS = 60


def _fetch(url: str) -> tuple[int, bytes, dict]:
    """GET without any credentials, as a stranger's browser would."""
    import urllib.error

    try:
        with urlopen(Request(url), timeout=10) as response:  # noqa: S310 (test server)
            headers = {k.lower(): v for k, v in response.headers.items()}
            return response.status, response.read(), headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(), {k.lower(): v for k, v in exc.headers.items()}


@pytest.fixture
def claimed(s3_storages, db):
    world = make_world()
    g = grant(world, amount_pence=100_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_create(actor=world.contact, grant=g, items=[item(10_000)])
    return world, claim.items.get()


def test_a_receipt_is_written_to_the_private_bucket_only(claimed):
    world, row = claimed
    server = row.receipt.storage
    assert server.bucket_name != default_storage.bucket_name
    # the object is in the private bucket, and nowhere in the public one
    assert server.exists(row.receipt.name)
    assert not default_storage.exists(row.receipt.name)
    # an unsigned request for the object straight from the server is refused
    plain = f"{server.endpoint_url}/{server.bucket_name}/{row.receipt.name}"
    status, _body, _headers = _fetch(plain)
    assert status == 403


def test_a_receipt_url_without_a_session_is_refused(client, claimed):
    _world, row = claimed
    url = reverse("funds:receipt", args=[row.pk])
    response = client.get(url)
    # refused: sent to sign in (and back here after), never towards the bucket
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_a_receipt_url_for_a_user_without_permission_is_refused(client, claimed):
    _world, row = claimed
    client.force_login(UserFactory(mfa=True))
    response = client.get(reverse("funds:receipt", args=[row.pk]))
    assert response.status_code == 403
    assert "Location" not in response


def test_a_reader_is_sent_to_a_signed_url_that_expires_within_a_minute(client, claimed):
    world, row = claimed
    client.force_login(world.contact)
    # when
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    response = client.get(reverse("funds:receipt", args=[row.pk]))
    after = dt.datetime.now(dt.UTC)
    # then: a redirect, never cached, to the private bucket with a signature
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    url = response["Location"]
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.path == f"/{row.receipt.storage.bucket_name}/{row.receipt.name}"
    assert query["X-Amz-Algorithm"] == "AWS4-HMAC-SHA256"
    assert query["X-Amz-Signature"]
    # the link's life: signed now, good for 60 seconds, so dead a minute from now
    assert int(query["X-Amz-Expires"]) == SIGNED_URL_SECONDS
    signed_at = dt.datetime.strptime(query["X-Amz-Date"], "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    assert before <= signed_at <= after
    # the signature fixes the type and the disposition the bucket answers with
    assert query["response-content-type"] == "image/jpeg"
    assert query["response-content-disposition"] == f'inline; filename="receipt-{row.pk}.jpeg"'
    # and the link works for the one who was given it
    status, body, headers = _fetch(url)
    assert status == 200
    assert body.startswith(b"\xff\xd8\xff")
    assert headers["content-type"] == "image/jpeg"
    assert not AuditEvent.objects.filter(action="funds.receipt_viewed").exists()


def test_a_funder_auditor_read_is_audited_before_the_redirect(client, claimed):
    world, row = claimed
    client.force_login(world.auditor)
    response = client.get(reverse("funds:receipt", args=[row.pk]))
    assert response.status_code == 302
    event = AuditEvent.objects.get(action="funds.receipt_viewed")
    assert event.actor_id == world.auditor.pk


def test_a_shorter_expiry_is_the_one_signed(claimed, settings):
    _world, row = claimed
    options = {**settings.STORAGES["private"]["OPTIONS"], "querystring_expire": 5}
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {**settings.STORAGES["private"], "OPTIONS": options},
    }
    url = private_storage().signed_url(
        row.receipt.name, content_type="image/jpeg", disposition="inline"
    )
    assert parse_qs(urlsplit(url).query)["X-Amz-Expires"] == ["5"]


def test_a_photo_original_is_private_and_its_display_sizes_public(
    s3_storages, db, django_capture_on_commit_callbacks
):
    n = NeighbourhoodFactory()
    draft = DraftFactory(neighbourhood=n, proposer=resident(n))
    with django_capture_on_commit_callbacks() as callbacks:
        image = proposal_image_add(
            proposal=draft,
            actor=draft.proposer,
            file=upload(jpeg_bytes(gps=True)),
            alt_text="A bench",
        )
    # the first after-commit step writes the original: to the private bucket only
    callbacks[0]()
    assert s3_storages.keys(s3_storages.private, "proposals/incoming/") == [image.original.name]
    assert not s3_storages.keys(s3_storages.public, "proposals/incoming/")
    # then the task (inline here) reads it back through storage and re-encodes it
    with django_capture_on_commit_callbacks(execute=True):
        for callback in callbacks[1:]:
            callback()
    image.refresh_from_db()
    assert image.status == ProposalImage.Status.READY
    # the original (with its GPS tags) is deleted once re-encoded
    assert not s3_storages.keys(s3_storages.private, "proposals/incoming/")
    # the display sizes are public: a plain, unsigned URL anyone can fetch
    url = image.display_320.url
    assert url.startswith(f"{s3_storages.endpoint}/{s3_storages.public}/proposals/images/")
    assert "Signature" not in url
    status, body, _headers = _fetch(url)
    assert status == 200
    assert body.startswith(b"\xff\xd8\xff")
    assert b"Exif" not in body


def test_an_export_goes_to_the_private_bucket_and_out_by_a_signed_link(s3_storages, db):
    from funds.exports.csvstream import csv_chunks
    from funds.storage import export_save, private_file_response

    name = export_save("exports/ledger.csv", csv_chunks([["entry", "pence"], [1, 500]]))
    assert name in s3_storages.keys(s3_storages.private, "exports/")
    assert not s3_storages.keys(s3_storages.public, "exports/")
    response = private_file_response(
        storage=private_storage(),
        name=name,
        content_type="text/csv",
        filename="ledger.csv",
        inline=False,
    )
    assert response.status_code == 302
    status, body, headers = _fetch(response["Location"])
    assert status == 200
    assert body == b"entry,pence\r\n1,500\r\n"
    assert headers["content-disposition"] == 'attachment; filename="ledger.csv"'
