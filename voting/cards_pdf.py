"""Printable polling cards: six per A4 sheet (cut along the lines), for doors, events and post."""

from __future__ import annotations

from django.utils import timezone
from fpdf import FPDF

from .models import PollingCardBatch

COLUMNS, ROWS = 2, 3
CARD_W, CARD_H = 105.0, 99.0  # A4 (210 x 297 mm) in six


def _latin1(text: str) -> str:
    # The core PDF fonts are Latin-1; replace anything else rather than fail on a name.
    return text.encode("latin-1", "replace").decode("latin-1")


def polling_cards_pdf(*, batch: PollingCardBatch, codes: list[tuple[int, str]], url: str) -> bytes:
    """One card per code: the vote, where to vote, the card number and the one-time code."""
    round = batch.round
    closes = timezone.localtime(round.closes_at).strftime("%H:%M on %d %B %Y")
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"Polling cards: {round.title} - {batch.label}"))
    pdf.set_author("Common Purse")
    pdf.set_auto_page_break(auto=False)
    pdf.set_margins(0, 0, 0)
    per_page = COLUMNS * ROWS
    for index, (number, code) in enumerate(codes):
        if index % per_page == 0:
            pdf.add_page()
        slot = index % per_page
        x, y = (slot % COLUMNS) * CARD_W, (slot // COLUMNS) * CARD_H
        pdf.set_draw_color(160, 160, 160)
        pdf.rect(x, y, CARD_W, CARD_H)
        pdf.set_xy(x + 8, y + 8)
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(CARD_W - 16, 6, _latin1(f"Your polling card: {round.title}"))
        pdf.set_x(x + 8)
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(
            CARD_W - 16,
            5,
            _latin1(
                f"{round.neighbourhood.name} decides how to spend its money. You can vote "
                f"without an account until {closes}.\n"
                f"Go to {url} (or use a kiosk at a library or community centre) and enter:"
            ),
        )
        pdf.set_xy(x + 8, pdf.get_y() + 3)
        pdf.set_font("Courier", "B", 22)
        pdf.cell(CARD_W - 16, 13, code, border=1, align="C")
        pdf.set_xy(x + 8, pdf.get_y() + 16)
        pdf.set_font("Helvetica", "", 9)
        pdf.multi_cell(
            CARD_W - 16,
            4.5,
            _latin1(
                f"Card number {number}. The code works once, for one person, in this vote. "
                "You will be asked your postcode, age band, name and address so nobody votes "
                "twice. Your vote is secret: the card is not linked to your ballot."
            ),
        )
    return bytes(pdf.output())
