"""Printable ballot papers and desk registers as PDF (fpdf2): layout only, from plain data.

No Django import: the services (voting/services/paper_print.py) gather the data, check who may
print and write the audit event; this module only draws. fpdf2's core fonts speak Latin-1
(which has "£"), so other characters are swapped or replaced by `latin1`.
"""

from __future__ import annotations

from dataclasses import dataclass

from fpdf import FPDF

A4_W, A4_H = 210, 297
MARGIN = 12
# Two papers per A4 sheet fit this many proposals at the line height below; more need a page each.
MAX_PROPOSALS_HALF_PAGE = 10


def latin1(text: str) -> str:
    table = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-", "…": "..."})
    return text.translate(table).encode("latin-1", "replace").decode("latin-1")


@dataclass(frozen=True)
class PaperLine:
    number: int  # the number printed beside the box, which the keyers type
    title: str
    cost: str  # "£3,000"


@dataclass(frozen=True)
class PaperSpec:
    heading: str  # "Parkside Fund 2026: Main pot"
    event: str
    instructions: list[str]
    lines: list[PaperLine]


class _Doc(FPDF):
    """Every page carries a footer saying what it is, so a loose sheet is never a mystery."""

    footer_text = ""

    def footer(self) -> None:
        if not self.footer_text:
            return
        self.set_y(-10)
        self.set_font("Helvetica", "", 8)
        self.cell(0, 5, latin1(self.footer_text), align="C")


def _paper(pdf: FPDF, spec: PaperSpec, serial: int, total: int, top: float, compact: bool):
    """One ballot paper starting at `top` (mm)."""
    line_h = 7 if compact else 8
    pdf.set_xy(MARGIN, top)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(0, 5, latin1(f"Ballot paper no. {serial} of {total}"), align="R")
    pdf.set_xy(MARGIN, top)
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(A4_W - 2 * MARGIN - 45, 7, latin1(spec.heading), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 4.5, latin1(spec.event), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_font("Helvetica", "", 10)
    for text in spec.instructions:
        pdf.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    box = line_h - 2
    width = A4_W - 2 * MARGIN
    for line in spec.lines:
        y = pdf.get_y()
        if y + line_h > pdf.h - pdf.b_margin:
            pdf.add_page()
            y = pdf.get_y()
        pdf.set_font("Helvetica", "B", 11)
        pdf.set_xy(MARGIN, y)
        pdf.cell(10, line_h, str(line.number))
        pdf.set_font("Helvetica", "", 11)
        pdf.cell(width - 10 - 30 - box - 4, line_h, latin1(line.title)[:80])
        pdf.cell(30, line_h, latin1(line.cost), align="R")
        pdf.rect(MARGIN + width - box, y + 1, box, box)
        pdf.set_y(y + line_h)
    pdf.ln(1)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(
        0,
        4.5,
        latin1(
            "Do not write your name on this paper. Fold it and put it in the ballot box. "
            "A paper we cannot read for sure is spoilt and not counted."
        ),
        new_x="LMARGIN",
        new_y="NEXT",
    )


def ballot_papers_pdf(spec: PaperSpec, *, count: int, per_page: int, title: str) -> bytes:
    """`count` numbered copies of the paper, one or two to an A4 sheet (with a cut line)."""
    if per_page not in (1, 2):
        raise ValueError("per_page is 1 or 2")
    pdf = _Doc(format="A4")
    pdf.set_title(latin1(title))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    compact = per_page == 2
    pdf.set_auto_page_break(not compact, margin=14)
    pdf.footer_text = f"{spec.heading}. {spec.event}."
    for serial in range(1, count + 1):
        half = (serial - 1) % per_page
        if half == 0:
            pdf.add_page()
        top = MARGIN + half * (A4_H / 2)
        if half == 1:
            pdf.set_draw_color(150)
            pdf.set_dash_pattern(dash=3, gap=2)
            pdf.line(0, A4_H / 2, A4_W, A4_H / 2)
            pdf.set_dash_pattern()
            pdf.set_draw_color(0)
        _paper(pdf, spec, serial, count, top, compact)
    return bytes(pdf.output())


@dataclass(frozen=True)
class RegisterLine:
    name: str
    house: str
    postcode: str


def register_pdf(
    *, heading: str, event: str, lines: list[RegisterLine], note: str, title: str
) -> bytes:
    """The desk's printed register: name, house and postcode, and a box to tick; nothing else."""
    pdf = _Doc(format="A4")
    pdf.set_title(latin1(title))
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(True, margin=14)
    pdf.footer_text = f"{heading}. {event}. Confidential: return to a trustee after the event."
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 14)
    pdf.multi_cell(0, 7, latin1(heading), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, latin1(event), new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 5, latin1(note), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    widths = (10, 82, 46, 30, 18)

    def header_row() -> None:
        pdf.set_font("Helvetica", "B", 10)
        for w, text in zip(widths, ("No.", "Name", "House", "Postcode", "Given"), strict=True):
            pdf.cell(w, 7, text, border=1)
        pdf.ln(7)
        pdf.set_font("Helvetica", "", 10)

    header_row()
    for index, line in enumerate(lines, start=1):
        if pdf.get_y() + 7 > pdf.h - pdf.b_margin:
            pdf.add_page()
            header_row()
        cells = (str(index), line.name, line.house, line.postcode, "")
        for w, text in zip(widths, cells, strict=True):
            pdf.cell(w, 7, latin1(text)[: int(w / 1.9)], border=1)
        pdf.ln(7)
    if not lines:
        pdf.multi_cell(0, 6, "Nobody is on the register for this vote.")
    return bytes(pdf.output())
