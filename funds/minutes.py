"""Minutes of a decision, generated from the record (the page and a PDF read the same)."""

from __future__ import annotations

from fpdf import FPDF

from .models import Decision, Grant
from .money import format_pounds


def minutes_context(decision: Decision) -> dict:
    meeting = decision.meeting
    grant = Grant.objects.filter(decision=decision).first()
    return {
        "decision": decision,
        "meeting": meeting,
        "fund": decision.fund,
        "attendees": sorted(u.public_name for u in meeting.attendees.all()),
        "apologies": sorted(u.public_name for u in meeting.apologies.all()),
        "votes": sorted(
            (v.trustee.public_name, v.get_choice_display()) for v in decision.votes.all()
        ),
        "exclusions": sorted(
            (x.trustee.public_name, x.get_reason_display()) for x in decision.exclusions.all()
        ),
        "grant": grant,
    }


def minutes_lines(decision: Decision) -> list[tuple[str, str]]:
    """(heading, text) pairs: the one wording both the page and the PDF use."""
    c = minutes_context(decision)
    meeting = c["meeting"]
    lines = [
        ("Meeting", f"{decision.fund.neighbourhood.name} partnership, {meeting.held_on:%d %B %Y}"),
        ("Present", ", ".join(c["attendees"]) or "Nobody recorded"),
        ("Apologies", ", ".join(c["apologies"]) or "None"),
        ("Motion", decision.motion),
    ]
    if decision.amount_pence:
        lines.append(("Amount", format_pounds(decision.amount_pence)))
    lines.append(
        (
            "Excluded from the vote",
            "; ".join(f"{name}: {reason}" for name, reason in c["exclusions"]) or "Nobody",
        )
    )
    lines.append(
        (
            "Quorum",
            f"{decision.quorum} of {decision.eligible_count} trustees without a conflict",
        )
    )
    lines.append(("Votes", "; ".join(f"{name}: {choice}" for name, choice in c["votes"])))
    lines.append(
        (
            "Result",
            f"{decision.get_outcome_display()}: {decision.votes_for} for, "
            f"{decision.votes_against} against, {decision.abstentions} abstained",
        )
    )
    if c["grant"] is not None:
        lines.append(("Grant", f"{c['grant'].title}, {format_pounds(c['grant'].amount_pence)}"))
    return lines


def _latin1(text: str) -> str:
    # The core PDF fonts speak Latin-1: swap typographic quotes and replace anything else.
    table = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "–": "-", "—": "-"})
    return text.translate(table).encode("latin-1", "replace").decode("latin-1")


def minutes_pdf(decision: Decision) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(f"Minutes of decision {decision.pk}")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin1(f"Minutes: decision {decision.pk}"), new_x="LMARGIN", new_y="NEXT")
    for heading, text in minutes_lines(decision):
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 6, _latin1(heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 11)
        pdf.multi_cell(0, 6, _latin1(text.replace("£", "GBP ")), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    return bytes(pdf.output())
