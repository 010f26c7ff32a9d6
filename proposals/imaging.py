"""Checking and re-encoding uploaded photos with Pillow (no Django import).

`inspect_image` runs in the request: it refuses anything that is not really a JPEG, PNG or
WebP of at most 10 MB and 40 megapixels, reading the header (size and format) BEFORE any
pixel is decoded, so a small file that declares huge dimensions (a decompression bomb) is
refused without allocating memory for it; then it decodes the pixels once, so a truncated
or corrupt file is refused too. `reencode` runs in a Celery task: it applies the EXIF
orientation, then writes fresh JPEGs with no metadata at all (EXIF, GPS, XMP, ICC dropped).
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
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
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image.verify()  # structure and checksums (PNG CRCs)
            image = _open(data)
            image.load()  # decode every pixel: a truncated file fails here
    except ImageRejected:
        raise
    except Exception as exc:  # Pillow raises many types for broken files
        raise ImageRejected("This image is damaged or incomplete. Try another copy.") from exc
    return ImageInfo(format=image.format or "", width=width, height=height)


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
