"""Photos over the pixel budget are refused from the header; no pixel is decoded in the
request (issue 9, point 4: a 154 KB PNG of 40 megapixels was decoded in the request)."""

from __future__ import annotations

import struct
import zlib

import pytest
from django.urls import reverse
from PIL import ImageFile

from proposals.imaging import MAX_PIXELS
from proposals.models import ProposalImage
from proposals.services import proposal_image_add
from proposals.tasks import proposal_image_process_task
from tests.factories import NeighbourhoodFactory, resident

from .factories import DraftFactory, _chunk, jpeg_bytes, png_bytes, upload, webp_bytes

pytestmark = pytest.mark.django_db


def real_png(width: int, height: int) -> bytes:
    """A complete, valid RGB PNG of width x height, all black: tiny on disk, huge decoded."""
    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (3 * width)  # filter byte, then the pixels
    idat = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


@pytest.fixture
def no_decoding(monkeypatch):
    """Any attempt to decode pixels fails the test."""

    def _refuse(self):
        raise AssertionError("pixels were decoded in the request")

    monkeypatch.setattr(ImageFile.ImageFile, "load", _refuse)


@pytest.fixture
def draft():
    n = NeighbourhoodFactory()
    return DraftFactory(neighbourhood=n, proposer=resident(n))


def test_a_small_png_of_40_megapixels_is_refused_with_a_form_error_without_decoding(
    client, draft, no_decoding
):
    # given a real, complete PNG of 8000 x 5000 pixels that is only about 150 KB
    bomb = real_png(8000, 5000)
    assert len(bomb) < 200_000
    assert MAX_PIXELS < 8000 * 5000

    # when the proposer uploads it through the page
    client.force_login(draft.proposer)
    response = client.post(
        reverse("proposals:images", args=[draft.neighbourhood.slug, draft.pk]),
        {"image": upload(bomb, "bomb.png", "image/png"), "alt_text": "A field"},
    )

    # then a plain-English error is shown and nothing is stored
    assert response.status_code == 200
    assert "This image is too large: the most we accept is 24 megapixels." in (
        response.content.decode()
    )
    assert not ProposalImage.objects.exists()


@pytest.mark.parametrize(
    "data", [jpeg_bytes(1600, 1200), png_bytes(400, 300), webp_bytes()], ids=["jpeg", "png", "webp"]
)
def test_the_upload_only_reads_the_header_and_the_task_decodes(
    draft, data, monkeypatch, django_capture_on_commit_callbacks
):
    # given that decoding pixels in the request would fail the test
    def _refuse(self):
        raise AssertionError("pixels were decoded in the request")

    original_load = ImageFile.ImageFile.load
    monkeypatch.setattr(ImageFile.ImageFile, "load", _refuse)
    # and the queued work is held back (a worker runs it later)
    import outbox.services
    from outbox.models import OutboxMessage

    monkeypatch.setattr(outbox.services, "outbox_dispatch", lambda **kwargs: 0)

    # when the photo is uploaded, it is stored as pending and the task is queued
    with django_capture_on_commit_callbacks(execute=True):
        image = proposal_image_add(
            proposal=draft, actor=draft.proposer, file=upload(data), alt_text="A bench"
        )
    assert image.status == ProposalImage.Status.PENDING
    queued = OutboxMessage.objects.get(task=proposal_image_process_task.name)
    assert queued.args == [image.pk]

    # then the task (a worker) decodes and re-encodes it
    monkeypatch.setattr(ImageFile.ImageFile, "load", original_load)
    proposal_image_process_task(image.pk)
    image.refresh_from_db()
    assert image.status == ProposalImage.Status.READY
