"""Checking and re-encoding uploaded photos with Pillow (no Django import).

`inspect_image` runs in the request and decodes no pixel: it refuses anything that is not
really a JPEG, PNG or WebP of at most 10 MB and MAX_PIXELS, reading only the header (size and
format), so a small file that declares huge dimensions (a decompression bomb: a 154 KB PNG
of 40 megapixels decodes to about 160 MB) is refused without allocating memory for it. It
then checks the file's structure without decoding (PNG chunk checksums, the JPEG end marker
after the last scan, the WebP length), so a truncated file is refused too. `reencode` runs
in a Celery task: it decodes, applies the EXIF orientation, then writes fresh JPEGs with no
metadata at all (EXIF, GPS, XMP, ICC dropped).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
# 24 megapixels: a 6000 x 4000 camera photo; a phone's 12 MP photo fits twice over.
MAX_PIXELS = 24_000_000
# Pillow warns above this and refuses above twice this, whoever opens an image in this
# process (`_open` turns the warning into a refusal too).
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
ALLOWED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
DISPLAY_WIDTHS = (320, 1024)
JPEG_QUALITY = 82


class ImageRejected(ValueError):
    """The upload is not an acceptable image; the message is plain English for the user."""


@dataclass(frozen=True)
class ImageInfo:
    format: str
    width: int
    height: int


def _open(data: bytes) -> Image.Image:
    # Pillow warns above MAX_IMAGE_PIXELS and raises above twice that: turn both into a refusal.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(io.BytesIO(data))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ImageRejected(
                f"This image is too large: the most we accept is "
                f"{MAX_PIXELS // 1_000_000} megapixels."
            ) from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ImageRejected("This file is not a JPEG, PNG or WebP image.") from exc


def read_upload(fileobj: BinaryIO, *, size: int | None = None) -> bytes:
    """Read at most the limit plus one byte, so an oversize file is never held whole."""
    if size is not None and size > MAX_BYTES:
        raise ImageRejected("This file is too big: the most we accept is 10 MB.")
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    data = fileobj.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ImageRejected("This file is too big: the most we accept is 10 MB.")
    return data


def inspect_image(data: bytes) -> ImageInfo:
    """Refuse anything but a complete JPEG, PNG or WebP within the size limits."""
    if len(data) > MAX_BYTES:
        raise ImageRejected("This file is too big: the most we accept is 10 MB.")
    if not data:
        raise ImageRejected("This file is empty.")
    image = _open(data)
    if image.format not in ALLOWED_FORMATS:
        raise ImageRejected("This file is not a JPEG, PNG or WebP image.")
    width, height = image.size
    # The header is read; no pixel has been decoded yet.
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise ImageRejected(
            f"This image is too large: the most we accept is {MAX_PIXELS // 1_000_000} megapixels."
        )
    image_format = image.format or ""
    try:
        image.verify()  # structure and checksums (PNG CRCs), decoding no pixel
    except Exception as exc:  # Pillow raises many types for broken files
        raise ImageRejected(DAMAGED) from exc
    if not _complete(image_format, data):
        raise ImageRejected(DAMAGED)
    # The pixels are decoded later, off the request path, by `reencode` in a Celery task.
    return ImageInfo(format=image_format, width=width, height=height)


DAMAGED = "This image is damaged or incomplete. Try another copy."


def _complete(image_format: str, data: bytes) -> bool:
    """A cheap check that the file was not cut short, without decoding it."""
    if image_format == "JPEG":
        # The end-of-image marker follows the last start-of-scan (the compressed data escapes
        # 0xFF bytes, so neither marker can occur inside it by chance).
        return data.rfind(b"\xff\xd9") > data.rfind(b"\xff\xda") > 0
    if image_format == "WEBP":
        # RIFF header: bytes 4-8 are the length of everything after them.
        return len(data) >= 8 + int.from_bytes(data[4:8], "little")
    return True  # PNG: verify() has read every chunk up to IEND and checked its CRC


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        image = image.convert("RGBA")
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def reencode(data: bytes) -> dict[int, tuple[bytes, int, int]]:
    """Return {width: (jpeg bytes, width, height)} for each display width, metadata-free.

    Images narrower than a display width are not enlarged.
    """
    image = _open(data)
    image.load()
    image = ImageOps.exif_transpose(image)  # keep the picture upright once EXIF is gone
    image = _to_rgb(image)
    out: dict[int, tuple[bytes, int, int]] = {}
    for target in DISPLAY_WIDTHS:
        copy = image.copy()
        copy.info = {}
        if copy.width > target:
            height = max(1, round(copy.height * target / copy.width))
            copy = copy.resize((target, height), Image.Resampling.LANCZOS)
        buffer = io.BytesIO()
        # A new RGB image saved without exif=/icc_profile= carries no metadata.
        copy.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
        out[target] = (buffer.getvalue(), copy.width, copy.height)
    return out
