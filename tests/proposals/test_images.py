"""Acceptance 2: photos are re-encoded without EXIF (GPS included), in display sizes."""

from __future__ import annotations

import io

import pytest
from django.core.files.storage import default_storage
from PIL import Image

from audit.models import AuditEvent
from config.errors import ApplicationError
from config.storage import private_storage
from proposals.models import ProposalImage
from proposals.services import proposal_image_add, proposal_image_remove
from tests.factories import NeighbourhoodFactory, resident

from .factories import DraftFactory, jpeg_bytes, png_bytes, upload, webp_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft():
    n = NeighbourhoodFactory()
    return DraftFactory(neighbourhood=n, proposer=resident(n))


def test_a_photo_with_gps_tags_comes_back_without_any_exif(
    draft, django_capture_on_commit_callbacks
):
    # given a JPEG that carries GPS tags
    data = jpeg_bytes(1600, 1200, gps=True)
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the tags are really there

    # when it is uploaded and processed
    with django_capture_on_commit_callbacks(execute=True):
        image = proposal_image_add(
            proposal=draft, actor=draft.proposer, file=upload(data), alt_text="A bench"
        )
    image.refresh_from_db()

    # then both display sizes exist, carry no EXIF at all, and the original is gone
    assert image.status == ProposalImage.Status.READY
    for field, width in ((image.display_320, 320), (image.display_1024, 1024)):
        with default_storage.open(field.name, "rb") as fh:
            out = fh.read()
        decoded = Image.open(io.BytesIO(out))
        assert decoded.format == "JPEG"
        assert decoded.width == width
        assert not decoded.getexif()
        assert "exif" not in decoded.info
        assert b"Exif\x00\x00" not in out
        assert b"PhoneMaker" not in out
    assert image.original.name == ""
    # the original (EXIF and all) was written to private storage, never the public one,
    # and is deleted once re-encoded
    assert not private_storage().listdir("proposals/incoming")[1]
    assert not default_storage.exists("proposals/incoming")
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"proposals.image_added", "proposals.image_processed"} <= actions


@pytest.mark.parametrize("data", [png_bytes(200, 100, "RGBA"), webp_bytes(), png_bytes()])
def test_png_and_webp_are_accepted_and_small_images_are_not_enlarged(
    draft, data, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        image = proposal_image_add(
            proposal=draft, actor=draft.proposer, file=upload(data, "x.png"), alt_text="Park"
        )
    image.refresh_from_db()
    assert image.status == ProposalImage.Status.READY
    with default_storage.open(image.display_1024.name, "rb") as fh:
        assert Image.open(fh).width == Image.open(io.BytesIO(data)).width


def test_page_shows_a_placeholder_until_the_photo_is_ready(draft, client):
    # on_commit callbacks are not run here, so the task has not run yet
    proposal_image_add(
        proposal=draft, actor=draft.proposer, file=upload(jpeg_bytes()), alt_text="Hall"
    )
    client.force_login(draft.proposer)
    page = client.get(f"/proposals/{draft.neighbourhood.slug}/{draft.pk}/").content.decode()
    assert "Photo being prepared: Hall" in page
    assert "<img" not in page


def test_alt_text_is_required_and_at_most_five_photos(draft, django_capture_on_commit_callbacks):
    with pytest.raises(ApplicationError, match="alt text"):
        proposal_image_add(
            proposal=draft, actor=draft.proposer, file=upload(jpeg_bytes()), alt_text=" "
        )
    for i in range(5):
        proposal_image_add(
            proposal=draft, actor=draft.proposer, file=upload(jpeg_bytes(40, 30)), alt_text=f"P{i}"
        )
    with pytest.raises(ApplicationError, match="at most 5"):
        proposal_image_add(
            proposal=draft, actor=draft.proposer, file=upload(jpeg_bytes(40, 30)), alt_text="six"
        )
    assert ProposalImage.objects.count() == 5


def test_only_the_proposer_of_a_draft_can_add_or_remove_photos(
    draft, django_capture_on_commit_callbacks
):
    other = resident(draft.neighbourhood)
    with pytest.raises(ApplicationError):
        proposal_image_add(proposal=draft, actor=other, file=upload(jpeg_bytes()), alt_text="x")
    with django_capture_on_commit_callbacks(execute=True):
        image = proposal_image_add(
            proposal=draft, actor=draft.proposer, file=upload(jpeg_bytes()), alt_text="x"
        )
    image.refresh_from_db()
    names = [image.display_320.name, image.display_1024.name]
    with pytest.raises(ApplicationError):
        proposal_image_remove(image=image, actor=other)
    with django_capture_on_commit_callbacks(execute=True):
        proposal_image_remove(image=image, actor=draft.proposer)
    assert not ProposalImage.objects.exists()
    assert not any(default_storage.exists(n) for n in names)
