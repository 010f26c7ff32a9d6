"""Receipts are checked by content (a renamed text file, a PDF with JavaScript, an oversized
file are refused) and stored privately: outside MEDIA_ROOT, with no public URL."""

from __future__ import annotations

import zlib
from pathlib import Path

import pytest
from django.conf import settings

from funds import services
from funds.models import Grant
from funds.receipts import MAX_BYTES, ReceiptRejected, check_receipt

from .factories import grant, item, jpeg, pdf, png, webp


@pytest.mark.parametrize(
    ("data", "kind"), [(jpeg(), "jpeg"), (png(), "png"), (webp(), "webp"), (pdf(), "pdf")]
)
def test_real_images_and_plain_pdfs_are_accepted(data, kind):
    assert check_receipt(data).kind == kind


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Just some text pretending to be a photo", "photo"),
        (b"", "empty"),
        (b"\xff\xd8\xff" + b"not really a jpeg" * 10, "damaged"),
        (jpeg()[:200], "damaged"),
        (pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >>"), "scripts"),
        (pdf(b"/AA << /O << /S /J#61vaScript >> >>"), "scripts"),
        (pdf(b"/OpenAction << /S /Launch /F (calc.exe) >>"), "scripts"),
        (b"%PDF-1.4\nno end marker", "damaged"),
        (b"GIF89a" + b"\x00" * 20, "photo"),
    ],
)
def test_files_that_are_not_safe_receipts_are_refused(data, message):
    with pytest.raises(ReceiptRejected, match=message):
        check_receipt(data)


def test_javascript_hidden_in_a_compressed_stream_is_found():
    hidden = zlib.compress(b"<< /S /JavaScript /JS (app.alert(1)) >>")
    data = pdf(b">> stream\n" + hidden + b"\nendstream <<")
    with pytest.raises(ReceiptRejected, match="scripts"):
        check_receipt(data)


def test_an_oversized_file_is_refused_before_it_is_read_whole(world):
    w = world
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    big = item(data=jpeg() + b"\x00" * (MAX_BYTES + 1))
    with pytest.raises(Exception, match="too big"):
        services.claim_create(actor=w.contact, grant=g, items=[big])


def test_receipts_are_stored_privately_with_no_public_url(world):
    w = world
    g = grant(w, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_create(actor=w.contact, grant=g, items=[item(name="../../evil.jpg")])
    row = claim.items.get()
    assert row.receipt_kind == "jpeg" and len(row.receipt_sha256) == 64
    path = Path(row.receipt.path)
    assert path.exists()
    assert Path(settings.MEDIA_ROOT).resolve() not in path.resolve().parents
    assert "evil" not in row.receipt.name
    with pytest.raises(ValueError, match="no public URL"):
        row.receipt.url  # noqa: B018
