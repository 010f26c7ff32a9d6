"""Demo data: each demo neighbourhood gets a fund from a demo funder with two tranches
received, grants at several stages (from selected proposals, and one for running costs),
claims with generated receipt images, one recovery, and a ledger that verifies.

`finance@example.org` has work waiting (a tranche ready to release, a claim to pay) and
`funder@example.org` has a tranche on hold to review. A neighbourhood whose partnership is
not yet up to strength gets its fund and money in, but no grants (it cannot decide any).
Everything goes through the services, as the real thing would. Idempotent: a neighbourhood
that already has a fund is left alone.
"""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from communities.models import Neighbourhood, Role, RoleAssignment
from communities.permissions import TRUSTEE_ROLES
from communities.selectors import partnership_health
from proposals.models import Proposal

from . import services
from .models import Decision, Fund, Grant, GrantTranche, MonitoringReport, Organisation
from .services import ItemInput, TrancheSpec

FUNDER_ORG = ("Examplebury Community Wealth Fund", "GB-CHC-1190001")
HOLDER_ORG = ("Examplebury Community Trust", "GB-CHC-1190002")
GRANTEE_ORG = ("Hollin Bank Residents' Association", "GB-COH-09990001")


def receipt_image(text: str, colour=(250, 250, 245)) -> SimpleUploadedFile:
    """A believable till receipt drawn with Pillow."""
    image = Image.new("RGB", (360, 480), colour)
    draw = ImageDraw.Draw(image)
    draw.text((20, 20), "EXAMPLEBURY BUILDERS' MERCHANT", fill=(20, 20, 20))
    for row, line in enumerate(text.splitlines()):
        draw.text((20, 70 + 22 * row), line, fill=(40, 40, 40))
    draw.text((20, 440), "Thank you - VAT reg 123 4567 89", fill=(80, 80, 80))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return SimpleUploadedFile("receipt.jpg", buffer.getvalue(), content_type="image/jpeg")


def _org(name: str, org_id: str, kind: str) -> Organisation:
    org, _ = Organisation.objects.get_or_create(
        org_id=org_id,
        defaults={
            "name": name,
            "kind": kind,
            "charity_number": org_id.removeprefix("GB-CHC-") if "CHC" in org_id else "",
            "company_number": org_id.removeprefix("GB-COH-") if "COH" in org_id else "",
            "due_diligence_status": Organisation.DueDiligence.PASSED,
            "due_diligence_on": dt.date(2026, 1, 15),
        },
    )
    return org


def _trustees(nb: Neighbourhood) -> list:
    ids = (
        RoleAssignment.objects.current()
        .filter(neighbourhood=nb, role__in=TRUSTEE_ROLES)
        .values_list("user_id", flat=True)
    )
    from django.contrib.auth import get_user_model

    return list(get_user_model().objects.filter(pk__in=set(ids)).order_by("pk"))


def _decide(nb, fund, trustees, chair, *, amount_pence=0, proposal=None, **kwargs) -> Decision:
    from .services.decisions import conflicts_for

    meeting = services.meeting_record(
        actor=chair, neighbourhood=nb, held_on=dt.date.today(), attendees=trustees
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


def seed(*, users: dict, stdout=None) -> None:
    write = stdout.write if stdout else (lambda _msg: None)
    finance = users["finance@example.org"]
    funder_user = users["funder@example.org"]
    resident = users["resident@example.org"]
    funder = _org(FUNDER_ORG[0], FUNDER_ORG[1], Organisation.Kind.FUNDER)
    holder = _org(HOLDER_ORG[0], HOLDER_ORG[1], Organisation.Kind.FUND_HOLDER)
    grantee = _org(GRANTEE_ORG[0], GRANTEE_ORG[1], Organisation.Kind.GRANTEE)

    live = (Neighbourhood.Status.VERIFIED, Neighbourhood.Status.ACTIVE)
    for nb in Neighbourhood.objects.filter(status__in=live).order_by("pk"):
        roles = set(
            RoleAssignment.objects.current()
            .filter(neighbourhood=nb, user__in=[finance, funder_user])
            .values_list("role", flat=True)
        )
        if not {Role.FINANCE_OFFICER, Role.FUNDER_AUDITOR} <= roles:
            continue
        if Fund.objects.filter(neighbourhood=nb).exists():
            continue
        today = dt.date.today()
        fund = services.fund_create(
            actor=finance,
            neighbourhood=nb,
            name=f"{nb.name} Community Wealth Fund",
            funder=funder,
            holder=holder,
            total_pence=150_000_000,
            starts_on=today.replace(month=1, day=1),
            ends_on=today.replace(year=today.year + 10, month=1, day=1),
            tranches=[
                (today.replace(year=today.year + year, month=4, day=1), 15_000_000)
                for year in range(10)
            ],
        )
        services.fund_issue_agreement(actor=finance, fund=fund)
        services.fund_activate(actor=finance, fund=fund)
        for tranche in list(fund.tranches.order_by("due_on"))[:2]:
            services.fund_tranche_receive(actor=finance, tranche=tranche)
        write(f"  {fund.name}: active, two tranches received")
        trustees = _trustees(nb)
        if nb.status != Neighbourhood.Status.ACTIVE or not partnership_health(nb).healthy:
            write("    (no grants yet: the partnership is not up to strength)")
            continue
        chair, approver = trustees[0], trustees[1]

        # Running costs: the fund holder claims its costs back (reimbursement); one claim
        # is approved and waits for the finance officer to pay it.
        decision = _decide(
            nb, fund, trustees, chair, amount_pence=1_200_000, motion="Running costs, year one"
        )
        running = services.grant_approve(
            actor=approver,
            decision=decision,
            title="Fund holder's running costs, year one",
            recipient_organisation=holder,
            contacts=[resident],
            payment_mode=Grant.PaymentMode.REIMBURSEMENT,
            purpose=Grant.Purpose.RUNNING_COSTS,
        )
        services.grant_issue_agreement(actor=finance, grant=running)
        services.grant_activate(actor=finance, grant=running)
        paid = services.claim_create(
            actor=resident,
            grant=running,
            items=[
                ItemInput(
                    "Room hire for partnership meetings",
                    18_000,
                    receipt_image("Room hire\n£180.00"),
                ),
            ],
        )
        services.claim_submit(actor=resident, claim=paid)
        services.claim_approve(actor=chair, claim=paid)
        services.claim_pay(actor=finance, claim=paid)
        waiting = services.claim_create(
            actor=resident,
            grant=running,
            items=[
                ItemInput("Printing ballot papers", 24_500, receipt_image("Printing\n£245.00")),
                ItemInput("Stamps for postal notices", 8_800, receipt_image("Stamps\n£88.00")),
            ],
        )
        services.claim_submit(actor=resident, claim=waiting)
        services.claim_approve(actor=chair, claim=waiting)

        # An organiser paid in advance: the funder's auditor holds the first payment.
        decision = _decide(
            nb, fund, trustees, chair, amount_pence=2_400_000, motion="Community organiser"
        )
        organiser = services.grant_approve(
            actor=approver,
            decision=decision,
            title="Community organiser, year one",
            recipient_organisation=holder,
            contacts=[resident],
            tranches=[TrancheSpec(1_200_000), TrancheSpec(1_200_000)],
            purpose=Grant.Purpose.RUNNING_COSTS,
        )
        services.grant_issue_agreement(actor=finance, grant=organiser)
        services.grant_activate(actor=finance, grant=organiser)
        services.grant_tranche_hold(
            actor=funder_user,
            tranche=organiser.tranches.get(number=1),
            reason="Please send the job description and the recruitment plan first.",
        )

        # Grants from the proposals residents selected: the first is active with its first
        # tranche paid, spend accepted, its second tranche ready to release and an
        # underspend returned; any others wait for their first payment.
        selected = list(
            Proposal.objects.filter(neighbourhood=nb, status=Proposal.Status.SELECTED).order_by(
                "pk"
            )
        )
        for index, proposal in enumerate(selected[:3]):
            amount = min(proposal.total_pence or 500_000, 5_000_000)
            decision = _decide(nb, fund, trustees, chair, amount_pence=amount, proposal=proposal)
            approver_for = next(
                t for t in trustees[1:] if t.pk not in proposal.conflicted_user_ids()
            )
            first = amount // 2
            grant = services.grant_approve(
                actor=approver_for,
                decision=decision,
                title=proposal.title,
                recipient_organisation=grantee,
                contacts=[proposal.proposer],
                conditions=(
                    "Spend only on the costs in the proposal; "
                    "report spend before the second payment."
                ),
                tranches=[
                    TrancheSpec(first),
                    TrancheSpec(
                        amount - first,
                        precondition=GrantTranche.Precondition.SPEND_REPORT_ACCEPTED,
                    ),
                ],
            )
            services.grant_issue_agreement(actor=finance, grant=grant)
            services.grant_activate(actor=finance, grant=grant)
            tranche1 = grant.tranches.get(number=1)
            if index == 0:
                services.grant_tranche_release(actor=finance, tranche=tranche1)
                claim = services.claim_create(
                    actor=proposal.proposer,
                    grant=grant,
                    items=[ItemInput("Materials", first // 2, receipt_image("Materials"))],
                )
                services.claim_submit(actor=proposal.proposer, claim=claim)
                services.claim_approve(actor=chair, claim=claim)
                report = services.monitoring_report_submit(
                    actor=proposal.proposer,
                    grant=grant,
                    kind=MonitoringReport.Kind.SPEND,
                    body="Half the first payment is spent on materials; receipts are on the claim.",
                    spend_pence=first // 2,
                )
                services.monitoring_report_review(actor=chair, report=report, accept=True)
                recovery = services.recovery_propose(
                    actor=chair,
                    grant=grant,
                    kind="underspend",
                    amount_pence=5_000,
                    reason="Paint came in cheaper than quoted; the grantee returned the rest.",
                )
                _decide(
                    nb,
                    fund,
                    trustees,
                    chair,
                    subject=Decision.Subject.RECOVERY,
                    recovery=recovery,
                    motion="Accept the returned underspend",
                )
                services.recovery_receive(actor=finance, recovery=recovery)
        write(f"    {fund.grants.count()} grants, ledger of {fund.entries.count()} entries")
