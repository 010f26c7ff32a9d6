"""Printable access-code letters (PDF, one code per page) and the CSV of a batch."""

from __future__ import annotations

import csv
import io

from django.utils import timezone
from fpdf import FPDF

from .models import AccessCodeBatch
from .services.access_codes import format_access_code


def _latin1(text: str) -> str:
    # The core PDF fonts are Latin-1; replace anything else rather than fail on a name.
    return text.encode("latin-1", "replace").decode("latin-1")


def access_codes_pdf(*, batch: AccessCodeBatch, join_url: str) -> bytes:
    """One A4 letter per code: what Common Purse is, how to join, the code, its expiry."""
    neighbourhood = batch.neighbourhood
    expires = timezone.localtime(batch.expires_at).strftime("%d %B %Y")
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"Access codes: {neighbourhood.name} - {batch.label}"))
    pdf.set_author("Common Purse")
    pdf.set_auto_page_break(auto=False)
    for access in batch.codes.order_by("id"):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 20)
        pdf.multi_cell(0, 10, _latin1(f"Join {neighbourhood.name} on Common Purse"))
        pdf.ln(4)
        pdf.set_font("Helvetica", "", 13)
        pdf.multi_cell(
            0,
            7,
            _latin1(
                "Residents here decide together how the neighbourhood's money is spent. "
                "You can put forward ideas and vote on them.\n\n"
                f"1. Go to {join_url}\n"
                "2. Create an account (or sign in) and choose 'Ask to join'.\n"
                "3. When asked how to show you belong, enter this code:"
            ),
        )
        pdf.ln(8)
        pdf.set_font("Courier", "B", 30)
        pdf.cell(0, 16, format_access_code(access.code), border=1, align="C")
        pdf.ln(22)
        pdf.set_font("Helvetica", "", 12)
        pdf.multi_cell(
            0,
            7,
            _latin1(
                f"This code works once, for one person, until {expires}. "
                "If you cannot get online, bring this letter to a neighbourhood event "
                "and a trustee will help you."
            ),
        )
    return bytes(pdf.output())


def access_codes_csv(*, batch: AccessCodeBatch) -> str:
    """code, status and expiry of each code in the batch (used codes show the date, not who)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["code", "used", "used_at", "expires_at"])
    for access in batch.codes.order_by("id"):
        writer.writerow(
            [
                format_access_code(access.code),
                "yes" if access.used_at else "no",
                access.used_at.isoformat() if access.used_at else "",
                batch.expires_at.isoformat(),
            ]
        )
    return out.getvalue()
