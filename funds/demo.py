"""Demo data: in each demo neighbourhood with a partnership, a fund from a demo funder with two
tranches received, grants at several stages, claims with generated receipt images, one
recovery, and a ledger that verifies. Every write goes through the funds services, so the
ledger chain and the audit trail are what real use would make.

Who has work to do afterwards:
- trustee@example.org: "Youth club Friday nights" waits for a decision; a claim to approve;
  the funder's open query on the garden claim, on the to-do page.
- finance@example.org: a tranche ready to release, a claim to pay, a grant to start.
- funder@example.org: the fund's books, a claim waiting for approval, receipts to follow, a
  tranche on hold to review (the garden's second payment), and an open query on the garden's
  claim that a trustee has answered once (reply to it, or close it).
- resident@example.org: grant contact; can make a claim on the community garden.

Idempotent: it runs only when the neighbourhood has no demo fund yet.
"""

from __future__ import annotations

import datetime as dt
import io

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from communities.models import Neighbourhood, Role, RoleAssignment
from communities.permissions import TRUSTEE_ROLES
from proposals.markup import render_markdown
from proposals.models import CostLine, Proposal, StatusChange, Theme

from . import services
from .models import Decision, Fund, Grant, Organisation, Recovery
from .services import ItemInput, TrancheSpec
from .services.decisions import conflicts_for, current_trustee_ids, quorum_for
from .services.queries import fund_query_answer, fund_query_raise

FUND_NAME = "{name} Community Wealth Fund"
FUNDER = ("Examplebury Community Wealth Fund", "GB-CHC-1190001", "1190001")
HOLDER = ("{name} Community Trust", "GB-CHC-1190002", "1190002")
GRANTEES = [
    ("Hollin Bank Growers", "GB-CHC-1190003", "1190003"),
    ("Mill Street Warm Spaces CIC", "GB-COH-12345678", ""),
    ("St Mark's Play Association", "GB-CHC-1190004", "1190004"),
]
TOTAL = 150_000_000  # £1,500,000 over ten years
# Past vote winners the fund now pays for: title, cost, summary, theme, grantee index.
WINNERS = [
    ("Community garden on the Green", 800_000, "Raised beds, a shed and tools.", Theme.ENVIRONMENT),
    ("Warm hub at the Mill Street hall", 500_000, "Heat and hot drinks in winter.", Theme.OTHER),
    ("Play street kit", 1_200_000, "Signs and kit for monthly play streets.", Theme.YOUNG_PEOPLE),
]  # fmt: skip


def _forget(*users) -> None:
    for user in users:
        for key in ("_cp_memberships", "_cp_roles", "_cp_has_mfa", "_cp_email_verified"):
            user.__dict__.pop(key, None)


def receipt_image(shop: str, amount_pence: int, *, fmt: str = "PNG") -> bytes:
    """A small drawn till receipt, good enough to look at and to pass the receipt checks."""
    image = Image.new("RGB", (240, 320), (250, 250, 245))
    draw = ImageDraw.Draw(image)
    draw.text((16, 16), shop[:30], fill=(20, 20, 20))
    draw.line((16, 40, 224, 40), fill=(120, 120, 120))
    draw.text((16, 60), "Items as listed", fill=(40, 40, 40))
    draw.text((16, 260), f"TOTAL GBP {amount_pence / 100:,.2f}", fill=(0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


def _item(description: str, amount_pence: int, shop: str) -> ItemInput:
    data = receipt_image(shop, amount_pence)
    return ItemInput(
        description=description,
        amount_pence=amount_pence,
        receipt=SimpleUploadedFile("receipt.png", data, content_type="image/png"),
    )


def _organisation(name: str, org_id: str, number: str, kind: str) -> Organisation:
    existing = Organisation.objects.filter(org_id=org_id).first()
    if existing:
        return existing
    return Organisation.objects.create(
        name=name,
        kind=kind,
        charity_number=number if org_id.startswith("GB-CHC") else "",
        company_number=org_id.removeprefix("GB-COH-") if org_id.startswith("GB-COH") else "",
        org_id=org_id,
        due_diligence_status=Organisation.DueDiligence.PASSED,
        due_diligence_on=timezone.localdate() - dt.timedelta(days=200),
    )


def _winner(nb: Neighbourhood, proposer, title: str, cost: int, summary: str, theme: str):
    """A proposal residents selected in the past vote (written as history, like voting.demo)."""
    existing = Proposal.objects.filter(neighbourhood=nb, title=title).first()
    if existing:
        return existing
    selected_at = timezone.now() - dt.timedelta(days=100)
    proposal = Proposal.objects.create(
        neighbourhood=nb,
        proposer=proposer,
        title=title,
        summary=summary,
        description=summary,
        description_html=render_markdown(summary),
        theme=theme,
        status=Proposal.Status.SELECTED,
        selected_at=selected_at,
        created_at=selected_at - dt.timedelta(days=60),
    )
    CostLine.objects.create(proposal=proposal, description="Everything", amount_pence=cost)
    StatusChange.objects.create(
        proposal=proposal,
        from_status=Proposal.Status.ON_BALLOT,
        to_status=Proposal.Status.SELECTED,
        created_at=selected_at,
    )
    return proposal


def _trustees(nb: Neighbourhood) -> list:
    """The neighbourhood's current trustees, oldest account first."""
    return list(get_user_model().objects.filter(pk__in=current_trustee_ids(nb)).order_by("pk"))


def _decide(nb, fund, trustees, chair, *, amount_pence=0, proposal=None, **kwargs) -> Decision:
    """A quorate meeting of `trustees` where everyone without a conflict votes for the motion
    (used by the export tests to add decisions to the demo fund)."""
    meeting = services.meeting_record(
        actor=chair, neighbourhood=nb, held_on=timezone.localdate(), attendees=trustees
    )
    conflicted = conflicts_for(
        trustee_ids={t.pk for t in trustees}, proposal=proposal, grant=kwargs.get("grant")
    )
    return services.decision_record(
        actor=chair,
        meeting=meeting,
        fund=fund,
        subject=kwargs.pop("subject", Decision.Subject.GRANT),
        motion=kwargs.pop("motion", "That the partnership approves this."),
        votes={t: "for" for t in trustees if t.pk not in conflicted},
        amount_pence=amount_pence,
        proposal=proposal,
        **kwargs,
    )


def _decide_and_grant(fund, chair, approver, proposal, *, grantee, contact, mode, tranches):
    """A quorate meeting where every present trustee without a conflict votes for."""
    trustees = current_trustee_ids(fund.neighbourhood)
    conflicted = conflicts_for(trustee_ids=trustees, proposal=proposal, payee_user_ids=[contact.pk])
    people = list(get_user_model().objects.filter(pk__in=trustees).order_by("pk"))
    meeting = services.meeting_record(
        actor=chair,
        neighbourhood=fund.neighbourhood,
        held_on=timezone.localdate() - dt.timedelta(days=60),
        attendees=people,
    )
    decision = services.decision_record(
        actor=chair,
        meeting=meeting,
        fund=fund,
        subject=Decision.Subject.GRANT,
        motion=f"That the partnership makes a grant for “{proposal.title}”.",
        votes={p: "for" for p in people if p.pk not in conflicted},
        amount_pence=proposal.ballot_cost_pence,
        proposal=proposal,
        payee_user_ids=[contact.pk],
    )
    return services.grant_approve(
        actor=approver,
        decision=decision,
        title=proposal.title,
        recipient_organisation=grantee,
        contacts=[contact],
        conditions="Keep receipts for everything; send photos when it is done.",
        payment_mode=mode,
        tranches=tranches,
    )


def _seed_neighbourhood(nb: Neighbourhood, *, users, stdout) -> None:
    trustee = users.get("trustee@example.org")
    finance = users["finance@example.org"]
    resident = users["resident@example.org"]
    funder_user = users.get("funder@example.org")
    _forget(*(u for u in (trustee, finance, resident, funder_user) if u is not None))
    trustees = list(
        RoleAssignment.objects.current()
        .filter(neighbourhood=nb, role__in=TRUSTEE_ROLES)
        .exclude(user=trustee)
        .select_related("user")
        .order_by("user__email")
    )
    others = list(dict.fromkeys(ra.user for ra in trustees))
    if len(others) < 3:
        stdout.write(f"  {nb.name}: too few trustees for a fund; skipped")
        return
    chair, approver, linked = others[0], others[1], others[2]
    _forget(chair, approver, linked)

    funder = _organisation(*FUNDER, kind=Organisation.Kind.FUNDER)
    holder = _organisation(
        HOLDER[0].format(name=nb.name), HOLDER[1], HOLDER[2], kind=Organisation.Kind.FUND_HOLDER
    )
    grantees = [_organisation(*g, kind=Organisation.Kind.GRANTEE) for g in GRANTEES]

    today = timezone.localdate()
    starts = today.replace(day=1) - dt.timedelta(days=400)
    schedule = [(starts.replace(year=starts.year + i), TOTAL // 10) for i in range(10)]
    fund = services.fund_create(
        actor=finance,
        neighbourhood=nb,
        name=FUND_NAME.format(name=nb.name),
        funder=funder,
        holder=holder,
        total_pence=TOTAL,
        starts_on=starts,
        ends_on=starts.replace(year=starts.year + 10),
        tranches=schedule,
    )
    services.fund_issue_agreement(actor=finance, fund=fund)
    services.fund_activate(actor=finance, fund=fund)
    for tranche in list(fund.tranches.order_by("due_on"))[:2]:
        services.fund_tranche_receive(actor=finance, tranche=tranche)

    garden, warm, play = (
        _winner(nb, resident, title, cost, summary, theme)
        for title, cost, summary, theme in WINNERS
    )
    if len(current_trustee_ids(nb)) - 1 >= quorum_for(len(current_trustee_ids(nb)) - 1):
        # that trustee is excluded from the garden's vote (when the rest are still quorate)
        garden.linked_trustees.add(linked)

    # 1. The garden: paid in advance; first tranche paid, spend claimed and approved, an
    #    underspend returned (the recovery); the second tranche waits for a spend report.
    g1 = _decide_and_grant(
        fund, chair, approver, garden, grantee=grantees[0], contact=resident,
        mode=Grant.PaymentMode.ADVANCE,
        tranches=[TrancheSpec(500_000), TrancheSpec(300_000, precondition="spend_report_accepted")],
    )  # fmt: skip
    services.grant_issue_agreement(actor=finance, grant=g1)
    services.grant_activate(actor=finance, grant=g1)
    services.grant_tranche_release(actor=finance, tranche=g1.tranches.get(number=1))
    claim = services.claim_create(
        actor=resident,
        grant=g1,
        items=[
            _item("Timber for six raised beds", 184_000, "Examplebury Timber"),
            _item("Topsoil and compost", 96_500, "Green Lane Garden Centre"),
        ],
    )
    services.claim_submit(actor=resident, claim=claim)
    services.claim_approve(actor=approver, claim=claim)
    recovery = services.recovery_propose(
        actor=finance,
        grant=g1,
        kind=Recovery.Kind.UNDERSPEND,
        amount_pence=20_000,
        reason="The tool shed came in under budget; the group returned the difference.",
    )
    meeting = services.meeting_record(
        actor=chair, neighbourhood=nb, held_on=today - dt.timedelta(days=20), attendees=others
    )
    conflicted = conflicts_for(trustee_ids=current_trustee_ids(nb), grant=g1, proposal=garden)
    services.decision_record(
        actor=chair,
        meeting=meeting,
        fund=fund,
        subject=Decision.Subject.RECOVERY,
        motion="That the returned underspend on the community garden is accepted.",
        votes={p: "for" for p in others if p.pk not in conflicted},
        recovery=recovery,
    )
    services.recovery_receive(actor=finance, recovery=recovery)
    if (
        funder_user is not None
        and RoleAssignment.objects.current()
        .filter(neighbourhood=nb, user=funder_user, role=Role.FUNDER_AUDITOR)
        .exists()
    ):
        services.grant_tranche_hold(
            actor=funder_user,
            tranche=g1.tranches.get(number=2),
            reason="Please send photos of the finished beds with the spend report.",
        )
        # An open query on the garden's claim, answered once by a trustee: the auditor can
        # reply or close it, and it shows on the trustees' to-do until then.
        query = fund_query_raise(
            actor=funder_user,
            fund=fund,
            claim=claim,
            subject="Timber receipt",
            body="The timber receipt is for six raised beds, but the grant plan shows four. "
            "Were two more beds agreed, and where are they?",
        )
        fund_query_answer(
            actor=chair,
            query=query,
            body="The partnership agreed six beds at its March meeting (see the minutes): two "
            "are at the school gate. Photos will come with the spend report.",
        )

    # 2. The warm hub: claims reimbursed. One paid; one approved, for the finance officer to
    #    pay; one submitted, for a trustee to approve (and the funder's auditor to look at).
    g2 = _decide_and_grant(
        fund, chair, approver, warm, grantee=grantees[1], contact=resident,
        mode=Grant.PaymentMode.REIMBURSEMENT, tranches=[],
    )  # fmt: skip
    services.grant_issue_agreement(actor=finance, grant=g2)
    services.grant_activate(actor=finance, grant=g2)
    for n, (what, amount, shop) in enumerate(
        [
            ("Oil-filled radiators (4)", 62_000, "Examplebury Electrical"),
            ("Tea, coffee and biscuits, November", 18_450, "Mill Street Co-op"),
            ("Draught-proofing strips and door seals", 9_999, "Hope Road Hardware"),
        ]
    ):
        c = services.claim_create(actor=resident, grant=g2, items=[_item(what, amount, shop)])
        services.claim_submit(actor=resident, claim=c)
        if n < 2:
            services.claim_approve(actor=approver, claim=c)
        if n == 0:
            services.claim_pay(actor=finance, claim=c)

    # 3. The play street: decided, agreement signed, started; its first tranche is ready for
    #    the finance officer to release.
    g3 = _decide_and_grant(
        fund, chair, approver, play, grantee=grantees[2], contact=resident,
        mode=Grant.PaymentMode.ADVANCE,
        tranches=[TrancheSpec(600_000), TrancheSpec(600_000, precondition="spend_report_accepted")],
    )  # fmt: skip
    services.grant_issue_agreement(actor=finance, grant=g3)
    services.grant_activate(actor=finance, grant=g3)

    stdout.write(f"  {fund.name}: £{TOTAL // 100:,}, two tranches received, three grants")


def seed(*, users, stdout) -> None:
    finance = users.get("finance@example.org")
    if finance is None:
        stdout.write("  no finance officer; skipped")
        return
    neighbourhoods = Neighbourhood.objects.filter(
        pk__in=RoleAssignment.objects.current()
        .filter(user=finance, role=Role.FINANCE_OFFICER)
        .values("neighbourhood_id")
    ).order_by("pk")
    for nb in neighbourhoods:
        if Fund.objects.filter(neighbourhood=nb, name=FUND_NAME.format(name=nb.name)).exists():
            continue
        _seed_neighbourhood(nb, users=users, stdout=stdout)
