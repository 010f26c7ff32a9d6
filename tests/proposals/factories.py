"""Factories and image builders for the proposals tests."""

from __future__ import annotations

import io
import struct
import zlib

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from proposals.models import Comment, Proposal
from tests.factories import ProposalFactory, UserFactory


class DraftFactory(ProposalFactory):
    status = Proposal.Status.DRAFT


class CommentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Comment

    proposal = factory.SubFactory(ProposalFactory)
    author = factory.SubFactory(UserFactory)
    body = "I like this."


def jpeg_bytes(width=1600, height=1200, *, gps=False, color=(200, 80, 40)) -> bytes:
    """A real JPEG; with gps=True it carries EXIF with GPS tags (latitude 53.4, Manchester)."""
    image = Image.new("RGB", (width, height), color)
    buffer = io.BytesIO()
    kwargs = {}
    if gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0110] = "Phone 12"  # Model
        exif[0x0112] = 1  # Orientation
        gps_ifd = {
            1: "N",
            2: (53.0, 24.0, 30.0),
            3: "W",
            4: (2.0, 14.0, 45.0),
        }
        exif[0x8825] = gps_ifd
        kwargs["exif"] = exif.tobytes()
    image.save(buffer, "JPEG", quality=85, **kwargs)
    return buffer.getvalue()


def png_bytes(width=400, height=300, mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (width, height)).save(buffer, "PNG")
    return buffer.getvalue()


def webp_bytes(width=400, height=300) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 60)).save(buffer, "WEBP")
    return buffer.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_declaring(width: int, height: int) -> bytes:
    """A tiny, well-formed PNG whose header declares width x height: a decompression bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 2)  # one row of one grey pixel, nowhere near enough
    return (
        b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")
    )


def upload(data: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
