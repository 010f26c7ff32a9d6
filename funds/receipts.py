"""Receipts are checked by their content, not their name: JPEG, PNG, WebP or a PDF without
scripts, size-capped (no Django import; the service stores what passes, privately).

Images must open and verify in Pillow as the format their first bytes say. PDFs are refused
when they carry anything that runs or launches (/JavaScript, /JS, /Launch, embedded files,
rich media), looked for in the file and inside its compressed streams, with name escapes
(/J#61vaScript) undone first.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import zlib
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000

_MAGIC = (
    (b"\xff\xd8\xff", "jpeg", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "png", "PNG"),
    (b"%PDF-", "pdf", None),
)
_DANGEROUS = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFiles?|RichMedia|XFA)(?![A-Za-z0-9])")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_STREAM = re.compile(rb"stream\r?\n(.*?)endstream", re.S)


class ReceiptRejected(ValueError):
    """The file is not an acceptable receipt; the message is plain English."""


@dataclass(frozen=True)
class CheckedReceipt:
    kind: str  # jpeg, png, webp or pdf
    sha256: str
    size: int


def read_capped(fileobj, *, size: int | None = None, max_bytes: int = MAX_BYTES) -> bytes:
    """Read at most the cap plus one byte, so an oversize file is never held whole."""
    limit_mb = max_bytes // (1024 * 1024)
    if size is not None and size > max_bytes:
        raise ReceiptRejected(f"This file is too big: the most we accept is {limit_mb} MB.")
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    data = fileobj.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ReceiptRejected(f"This file is too big: the most we accept is {limit_mb} MB.")
    return data


def _sniff(data: bytes) -> tuple[str, str | None]:
    for magic, kind, pil_format in _MAGIC:
        if data.startswith(magic):
            return kind, pil_format
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", "WEBP"
    raise ReceiptRejected("A receipt must be a photo (JPEG, PNG or WebP) or a PDF.")


def _check_image(data: bytes, pil_format: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                if image.format != pil_format:
                    raise ReceiptRejected("This image's content does not match its type.")
                if image.width * image.height > MAX_PIXELS:
                    raise ReceiptRejected("This image is too large to check.")
                image.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()  # verify() skips pixel data: decode once to catch truncation
        except ReceiptRejected:
            raise
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise ReceiptRejected("This image is too large to check.") from exc
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
            raise ReceiptRejected("This image is damaged or not really an image.") from exc


def _pdf_has_active_content(data: bytes) -> bool:
    def dangerous(chunk: bytes) -> bool:
        return bool(
            _DANGEROUS.search(_NAME_ESCAPE.sub(lambda m: bytes.fromhex(m[1].decode()), chunk))
        )

    if dangerous(data):
        return True
    for match in _STREAM.finditer(data):
        try:
            inflated = zlib.decompressobj().decompress(match.group(1), MAX_BYTES)
        except zlib.error:
            continue
        if dangerous(inflated):
            return True
    return False


def _check_pdf(data: bytes) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise ReceiptRejected("This PDF is damaged or incomplete.")
    if _pdf_has_active_content(data):
        raise ReceiptRejected(
            "This PDF contains scripts or actions, which we do not accept. "
            "Print it to a new PDF or send a photo of the receipt."
        )


def check_receipt(data: bytes) -> CheckedReceipt:
    """Decide by content what the file is, and refuse anything we would not open safely."""
    if not data:
        raise ReceiptRejected("This file is empty.")
    if len(data) > MAX_BYTES:
        raise ReceiptRejected(
            f"This file is too big: the most we accept is {MAX_BYTES // 1048576} MB."
        )
    kind, pil_format = _sniff(data)
    if pil_format:
        _check_image(data, pil_format)
    else:
        _check_pdf(data)
    return CheckedReceipt(kind=kind, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
