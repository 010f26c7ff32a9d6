"""The fund statement for a date range, as CSV and PDF: for each figure (received, committed,
outstanding, paid, recovered, returned, available) its opening balance, the movement in the
period and its closing balance, from funds.selectors.fund_statement (two indexed sums).

The range is in whole days: from the start of `start` to the end of `end` (local time), so
`--from 2026-04-01 --to 2027-03-31` is a financial year.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from django.utils import timezone
from fpdf import FPDF

from ..models import Fund
from ..selectors import Figures, Statement, fund_statement
from .threesixtygiving import pounds_text

FIGURES = [
    ("received", "Received from the funder"),
    ("committed", "Committed to grants"),
    ("outstanding", "Committed, not yet paid"),
    ("paid", "Paid out"),
    ("recovered", "Recovered"),
    ("returned", "Returned to the funder"),
    ("available", "Available (uncommitted)"),
]


@dataclass(frozen=True)
class StatementExport:
    fund: Fund
    start: dt.date | None
    end: dt.date | None
    statement: Statement

    @property
    def period(self) -> Figures:
        return Figures.from_balances(self.statement.movements)

    def lines(self) -> list[tuple[str, str, int, int, int]]:
        """(figure, label, opening, in the period, closing) in pence."""
        opening, period, closing = self.statement.opening, self.period, self.statement.closing
        return [
            (key, label, getattr(opening, key), getattr(period, key), getattr(closing, key))
            for key, label in FIGURES
        ]


def _midnight(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def statement_for(*, fund: Fund, start: dt.date | None, end: dt.date | None) -> StatementExport:
    since = _midnight(start) if start else None
    until = _midnight(end + dt.timedelta(days=1)) if end else None
    return StatementExport(fund, start, end, fund_statement(fund=fund, start=since, end=until))


HEADER = [
    "fund_id",
    "fund",
    "from",
    "to",
    "figure",
    "description",
    "opening_pence",
    "period_pence",
    "closing_pence",
]


def statement_rows(export: StatementExport) -> Iterator[list]:
    yield HEADER
    start = export.start.isoformat() if export.start else ""
    end = export.end.isoformat() if export.end else ""
    for key, label, opening, period, closing in export.lines():
        yield [export.fund.pk, export.fund.name, start, end, key, label, opening, period, closing]


def _latin1(text: str) -> str:
    # The core PDF fonts are Latin-1 (which has £); replace anything else rather than fail.
    return text.encode("latin-1", "replace").decode("latin-1")


def _money(pence: int) -> str:
    text = pounds_text(abs(pence))
    whole, _, part = text.partition(".")
    return f"{'-' if pence < 0 else ''}£{int(whole):,}.{part or '00'}"


def statement_pdf(export: StatementExport) -> bytes:
    """One A4 page: the fund, the period, and the table of figures."""
    fund = export.fund
    start = export.start.strftime("%d %B %Y") if export.start else "the start of the fund"
    end = export.end.strftime("%d %B %Y") if export.end else "today"
    pdf = FPDF(format="A4")
    pdf.set_title(_latin1(f"Statement: {fund.name}"))
    pdf.set_author("Common Purse")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin1(f"Fund statement: {fund.name}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 11)
    pdf.multi_cell(
        0,
        6,
        _latin1(
            f"{fund.neighbourhood.name}. Funded by {fund.funder.name}, held by {fund.holder.name}."
            f"\nPeriod: {start} to {end}."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(4)
    widths = (70, 38, 38, 38)
    pdf.set_font("Helvetica", "B", 10)
    for width, title in zip(widths, ("", "Opening", "In the period", "Closing"), strict=True):
        pdf.cell(width, 8, title, border="B", align="L" if not title else "R")
    pdf.ln()
    pdf.set_font("Helvetica", "", 10)
    for _key, label, opening, period, closing in export.lines():
        pdf.cell(widths[0], 7, _latin1(label))
        for width, value in zip(widths[1:], (opening, period, closing), strict=True):
            pdf.cell(width, 7, _latin1(_money(value)), align="R")
        pdf.ln()
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 8)
    pdf.multi_cell(
        0,
        4,
        _latin1(
            "Figures are derived from the fund's hash-chained ledger. Committed counts grants "
            "approved (net of commitments released); paid counts grant payments and running "
            f"costs. Produced {timezone.localtime():%d %B %Y %H:%M}."
        ),
    )
    return bytes(pdf.output())
