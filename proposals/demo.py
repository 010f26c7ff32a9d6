"""Demo data: a dozen believable proposals across themes and states, with photos drawn
locally with Pillow. Idempotent: a proposal with the same title in the same neighbourhood is
left alone, so running the seed twice changes nothing."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.base import ContentFile
from django.utils import timezone
from PIL import Image, ImageDraw

from audit.services import audit_record
from communities.models import Membership, Neighbourhood, Role, RoleAssignment

from .imaging import reencode
from .markup import render_markdown
from .models import CostLine, Milestone, Proposal, ProposalImage, StatusChange, Support

S = Proposal.Status

# The path each state took to get there (after draft).
PATHS = {
    S.DRAFT: [],
    S.SUBMITTED: [S.SUBMITTED],
    S.SCREENING: [S.SUBMITTED, S.SCREENING],
    S.SHORTLISTED: [S.SUBMITTED, S.SCREENING, S.SHORTLISTED],
    S.INELIGIBLE: [S.SUBMITTED, S.SCREENING, S.INELIGIBLE],
    S.ON_BALLOT: [S.SUBMITTED, S.SCREENING, S.SHORTLISTED, S.ON_BALLOT],
    S.SELECTED: [S.SUBMITTED, S.SCREENING, S.SHORTLISTED, S.ON_BALLOT, S.SELECTED],
    S.IN_DELIVERY: [
        S.SUBMITTED,
        S.SCREENING,
        S.SHORTLISTED,
        S.ON_BALLOT,
        S.SELECTED,
        S.GRANTED,
        S.IN_DELIVERY,
    ],  # fmt: skip
    S.WITHDRAWN: [S.SUBMITTED, S.WITHDRAWN],
}

PROPOSALS = [
    {
        "title": "Reopen the community cafe on Mill Street",
        "summary": "A warm, cheap place to meet, run by volunteers five days a week.",
        "description": "The old cafe has stood empty since 2021. We would **reopen** it as a "
        "community cafe:\n\n- tea and toast for £1\n- a warm space in winter\n"
        "- a noticeboard for local groups\n\nRun by volunteers, with a paid part-time manager.",
        "theme": "places_to_meet",
        "location": "14 Mill Street",
        "lines": [
            ("Kitchen equipment", 850_000),
            ("Rent for one year", 960_000),
            ("Part-time manager, one year", 1_400_000),
        ],  # fmt: skip
        "status": S.SHORTLISTED,
        "colour": (196, 98, 45),
        "notes": "Eligible. Rent checked against the landlord's letter.",
    },
    {
        "title": "Safe routes to school: crossing and lighting",
        "summary": "A zebra crossing on Hope Road and brighter lights on the cut-through.",
        "description": "Parents told us the Hope Road crossing is the worst part of the walk "
        "to school. The council will match-fund a zebra crossing if we pay half.",
        "theme": "safety",
        "location": "Hope Road and the canal path",
        "lines": [
            ("Half the cost of a zebra crossing", 2_250_000),
            ("LED lighting on the path", 1_180_000),
        ],  # fmt: skip
        "status": S.ON_BALLOT,
        "colour": (40, 90, 160),
    },
    {
        "title": "Free Wi-Fi and laptops at the library",
        "summary": "Ten laptops to borrow and faster Wi-Fi, with weekly help sessions.",
        "description": "Many residents have no broadband at home. This pays for laptops to "
        "borrow, a faster line, and a volunteer-led *digital help* morning each week.",
        "theme": "digital",
        "location": "Central Library",
        "lines": [
            ("Ten refurbished laptops", 450_000),
            ("Faster line for two years", 240_000),
            ("Trainer sessions", 300_000),
        ],  # fmt: skip
        "status": S.IN_DELIVERY,
        "colour": (60, 140, 90),
    },
    {
        "title": "Youth club Friday nights",
        "summary": "Open the youth club on Friday evenings with two trained youth workers.",
        "description": "Young people asked for somewhere to go on Friday nights. Two youth "
        "workers, snacks, and a games console, for a year.",
        "theme": "young_people",
        "location": "St Mark's hall",
        "lines": [("Two youth workers, 50 evenings", 1_500_000), ("Snacks and equipment", 200_000)],
        "status": S.SELECTED,
        "colour": (150, 60, 150),
    },
    {
        "title": "Clean up the canal towpath",
        "summary": "Monthly litter picks with skips, and new bins along the towpath.",
        "description": "Fly-tipping on the towpath makes people avoid it. Skips for monthly "
        "clean-up days and six new bins.",
        "theme": "environment",
        "location": "Canal towpath from Lock 3 to the bridge",
        "lines": [("Skip hire, 12 months", 360_000), ("Six bins, fitted", 270_000)],
        "status": S.SUBMITTED,
        "colour": (70, 120, 70),
    },
    {
        "title": "Bus to the retail park jobs",
        "summary": "A community minibus at shift times to the retail park, where the jobs are.",
        "description": "There is no bus before 8am. A community minibus at 6am and 2pm would "
        "let people take shift work.",
        "theme": "transport",
        "location": "From the Green to Fairfield Retail Park",
        "lines": [("Minibus lease, one year", 1_800_000), ("Drivers", 2_200_000)],
        "status": S.SCREENING,
        "colour": (200, 170, 40),
    },
    {
        "title": "Cookery and food hygiene courses",
        "summary": "Free food hygiene certificates to help people into catering jobs.",
        "description": "A level 2 food hygiene certificate opens kitchen jobs. Twelve free "
        "courses a year, with childcare.",
        "theme": "jobs_skills",
        "location": "Community centre kitchen",
        "lines": [("Twelve courses", 480_000), ("Childcare during courses", 120_000)],
        "status": S.SHORTLISTED,
        "colour": (220, 120, 120),
    },
    {
        "title": "Repair empty homes on Albert Terrace",
        "summary": "Bring two empty houses back into use as affordable homes to rent.",
        "description": "Two houses on Albert Terrace have been empty for years. A local "
        "housing co-op would repair them and let them at social rent.",
        "theme": "housing",
        "location": "Albert Terrace",
        "lines": [("Repairs to two houses", 9_500_000)],
        "status": S.INELIGIBLE,
        "reason": "The houses are privately owned and the owner has not agreed. "
        "Please come back with the owner's written agreement.",
        "colour": (120, 100, 80),
    },
    {
        "title": "Walking group and chair exercise",
        "summary": "Weekly walks and seated exercise for older residents.",
        "description": "Led by a trained volunteer, with tea after. Aimed at people who feel "
        "isolated.",
        "theme": "health",
        "location": "Starts at the Green",
        "lines": [("Volunteer training", 60_000), ("Tea and room hire", 90_000)],
        "status": S.SUBMITTED,
        "colour": (90, 170, 190),
    },
    {
        "title": "Murals on the underpass",
        "summary": "Local artists and children paint the underpass walls.",
        "description": "The underpass feels threatening. Bright murals designed with the "
        "primary school would change that.",
        "theme": "safety",
        "location": "Station Road underpass",
        "lines": [("Artists' fees", 400_000), ("Paint and anti-graffiti coating", 150_000)],
        "status": S.DRAFT,
        "colour": (240, 140, 30),
    },
    {
        "title": "Community garden behind the flats",
        "summary": "Raised beds and a shed on the unused grass behind Elm Court.",
        "description": "Residents of Elm Court want to grow food together.",
        "theme": "environment",
        "location": "Behind Elm Court",
        "lines": [("Raised beds and soil", 180_000), ("Shed and tools", 120_000)],
        "status": S.WITHDRAWN,
        "reason": "The housing association will fund it instead.",
        "colour": (100, 160, 60),
    },
    {
        "title": "Advice sessions on bills and benefits",
        "summary": "A fortnightly drop-in with a trained adviser at the community centre.",
        "description": "Many people are missing help they are entitled to. A trained "
        "adviser every other Tuesday.",
        "theme": "other",
        "location": "Community centre",
        "lines": [("Adviser, 26 sessions", 520_000)],
        "status": S.SHORTLISTED,
        "colour": (130, 130, 200),
    },
]


def _find_neighbourhood(users) -> Neighbourhood | None:
    trustee = users.get("trustee@example.org")
    resident = users.get("resident@example.org")
    for role in (Role.CHAIR, Role.TRUSTEE):
        ra = RoleAssignment.objects.current().filter(user=trustee, role=role).first()
        if ra:
            return ra.neighbourhood
    m = Membership.objects.filter(user=resident).order_by("created_at").first()
    if m:
        return m.neighbourhood
    return Neighbourhood.objects.filter(status=Neighbourhood.Status.ACTIVE).first()


def _picture(title: str, colour: tuple[int, int, int]) -> bytes:
    """A simple drawn 'photo': sky, ground, a building in the proposal's colour."""
    image = Image.new("RGB", (1200, 800), (180, 210, 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 560, 1200, 800), fill=(110, 150, 90))
    draw.rectangle((330, 280, 870, 600), fill=colour)
    draw.polygon([(300, 290), (600, 120), (900, 290)], fill=(90, 60, 50))
    for x in (400, 560, 720):
        draw.rectangle((x, 360, x + 80, 450), fill=(240, 240, 210))
    draw.rectangle((560, 480, 640, 600), fill=(60, 40, 30))
    draw.text((40, 40), title[:60], fill=(20, 20, 20))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def _add_picture(proposal: Proposal, uploader, colour, alt: str, milestone=None) -> None:
    image = ProposalImage.objects.create(
        proposal=proposal,
        milestone=milestone,
        uploaded_by=uploader,
        alt_text=alt,
        width=1200,
        height=800,
        status=ProposalImage.Status.READY,
    )
    for width, (data, _w, _h) in reencode(_picture(proposal.title, colour)).items():
        getattr(image, f"display_{width}").save(
            f"demo-{proposal.pk}-{image.pk}-{width}.jpg", ContentFile(data), save=False
        )
    image.save(update_fields=["display_320", "display_1024"])


def seed(*, users, stdout) -> None:
    neighbourhood = _find_neighbourhood(users)
    if neighbourhood is None:
        stdout.write("  no neighbourhood to put proposals in; skipped")
        return
    resident = users["resident@example.org"]
    trustee = users["trustee@example.org"]
    created = 0
    start = timezone.now() - dt.timedelta(days=120)
    for i, spec in enumerate(PROPOSALS):
        if Proposal.objects.filter(neighbourhood=neighbourhood, title=spec["title"]).exists():
            continue
        at = start + dt.timedelta(days=i * 6)
        proposal = Proposal.objects.create(
            neighbourhood=neighbourhood,
            proposer=resident,
            title=spec["title"],
            summary=spec["summary"],
            description=spec["description"],
            description_html=render_markdown(spec["description"]),
            theme=spec["theme"],
            location=spec["location"],
            status=spec["status"],
            status_reason=spec.get("reason", ""),
            screening_notes=spec.get("notes", ""),
            created_at=at,
        )
        CostLine.objects.bulk_create(
            CostLine(proposal=proposal, description=d, amount_pence=a, position=j)
            for j, (d, a) in enumerate(spec["lines"])
        )
        previous = S.DRAFT
        for step, state in enumerate(PATHS[spec["status"]], start=1):
            when = at + dt.timedelta(days=step * 3)
            setattr(proposal, f"{state}_at", when)
            by_trustee = state in (S.SCREENING, S.SHORTLISTED, S.INELIGIBLE)
            StatusChange.objects.create(
                proposal=proposal,
                from_status=previous,
                to_status=state,
                reason=spec.get("reason", "") if state == spec["status"] else "",
                actor=trustee
                if by_trustee
                else (resident if state in (S.SUBMITTED, S.WITHDRAWN) else None),
                created_at=when,
            )
            previous = state
        proposal.save()
        if spec["status"] not in (S.DRAFT, S.WITHDRAWN):
            _add_picture(proposal, resident, spec["colour"], f"Drawing of {spec['location']}")
        if spec["status"] in (S.SHORTLISTED, S.ON_BALLOT):
            # Not the resident: they proposed it, and a proposer cannot support their own.
            Support.objects.get_or_create(proposal=proposal, user=trustee)
            proposal.support_count = proposal.supports.count()
            proposal.save(update_fields=["support_count"])
        if spec["status"] == S.IN_DELIVERY:
            milestone = Milestone.objects.create(
                proposal=proposal,
                posted_by=resident,
                happened_on=timezone.localdate() - dt.timedelta(days=10),
                update="Laptops bought and set up; first help session had 14 people.",
                progress_percent=45,
            )
            _add_picture(proposal, resident, (60, 60, 60), "Laptops on library tables", milestone)
        audit_record(
            action="proposals.demo_seeded",
            obj=proposal,
            actor_role="system",
            changes={"status": proposal.status, "title": proposal.title},
        )
        created += 1
    stdout.write(f"  {created} proposals added in {neighbourhood.name}")
