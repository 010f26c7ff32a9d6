"""A small world for the funds tests: a healthy partnership, a finance officer, a funder
auditor, organisations and an active fund with money received."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from PIL import Image

from communities.models import Neighbourhood, Role
from funds import services
from funds.models import Decision, Fund, Grant, Organisation
from funds.services import ItemInput, TrancheSpec
from proposals.models import Proposal
from tests.communities.factories import role_holder
from tests.factories import NeighbourhoodFactory, ProposalFactory, UserFactory

TODAY = dt.date(2026, 6, 1)


@dataclass
class World:
    neighbourhood: Neighbourhood
    trustees: list
    finance: object
    finance2: object
    auditor: object
    contact: object
    funder: Organisation
    holder: Organisation
    grantee: Organisation
    fund: Fund
    extra: dict = field(default_factory=dict)

    @property
    def chair(self):
        return self.trustees[0]


_orgs = {"n": 0}


def organisation(kind: str, *, passed: bool = True) -> Organisation:
    _orgs["n"] += 1
    number = f"{1100000 + _orgs['n']}"
    return Organisation.objects.create(
        name=f"{kind.title()} {number}",
        kind=kind,
        charity_number=number,
        org_id=f"GB-CHC-{number}",
        due_diligence_status=(
            Organisation.DueDiligence.PASSED if passed else Organisation.DueDiligence.PENDING
        ),
        due_diligence_on=TODAY if passed else None,
    )


def make_world(
    *, trustees: int = 5, fund_pence: int = 1_000_000, received: int = 1, status=Fund.Status.ACTIVE
) -> World:
    """`trustees` resident trustees (a healthy partnership of that minimum size), a fund of
    `fund_pence` in two equal tranches of which `received` have arrived."""
    nb = NeighbourhoodFactory(min_partnership_members=trustees)
    people = [role_holder(nb, Role.TRUSTEE, member=True) for _ in range(trustees)]
    finance = role_holder(nb, Role.FINANCE_OFFICER)
    finance2 = role_holder(nb, Role.FINANCE_OFFICER)
    auditor = role_holder(nb, Role.FUNDER_AUDITOR)
    contact = UserFactory(mfa=True)
    funder = organisation(Organisation.Kind.FUNDER)
    holder = organisation(Organisation.Kind.FUND_HOLDER)
    grantee = organisation(Organisation.Kind.GRANTEE)
    half = fund_pence // 2
    fund = services.fund_create(
        actor=finance,
        neighbourhood=nb,
        name=f"{nb.name} Fund",
        funder=funder,
        holder=holder,
        total_pence=fund_pence,
        starts_on=TODAY,
        ends_on=TODAY.replace(year=TODAY.year + 10),
        tranches=[(TODAY, half), (TODAY.replace(year=TODAY.year + 1), fund_pence - half)],
    )
    if status != Fund.Status.PROPOSED:
        services.fund_issue_agreement(actor=finance, fund=fund)
    if status in (Fund.Status.ACTIVE, Fund.Status.SUSPENDED):
        services.fund_activate(actor=finance, fund=fund)
    for tranche in list(fund.tranches.order_by("due_on"))[:received]:
        services.fund_tranche_receive(actor=finance, tranche=tranche)
    fund.refresh_from_db()
    return World(nb, people, finance, finance2, auditor, contact, funder, holder, grantee, fund)


def selected_proposal(w: World, **kwargs) -> Proposal:
    kwargs.setdefault("status", Proposal.Status.SELECTED)
    return ProposalFactory(neighbourhood=w.neighbourhood, **kwargs)


def meeting(w: World, *, attendees=None, apologies=()):
    return services.meeting_record(
        actor=w.chair,
        neighbourhood=w.neighbourhood,
        held_on=TODAY,
        attendees=attendees if attendees is not None else w.trustees,
        apologies=apologies,
    )


def decide(
    w: World,
    *,
    amount_pence: int = 100_000,
    proposal: Proposal | None = None,
    subject: str = Decision.Subject.GRANT,
    votes: dict | None = None,
    attendees=None,
    actor=None,
    **kwargs,
) -> Decision:
    """A quorate meeting where every attending non-conflicted trustee votes for."""
    from funds.services.decisions import conflicts_for, current_trustee_ids

    m = meeting(w, attendees=attendees)
    if votes is None:
        conflicted = conflicts_for(
            trustee_ids=current_trustee_ids(w.neighbourhood),
            proposal=proposal,
            grant=kwargs.get("grant"),
            payee_user_ids=kwargs.get("payee_user_ids", ()),
        )
        votes = {t: "for" for t in m.attendees.all() if t.pk not in conflicted and t in w.trustees}
    return services.decision_record(
        actor=actor or w.chair,
        meeting=m,
        fund=w.fund,
        subject=subject,
        motion="That the partnership funds this.",
        votes=votes,
        amount_pence=amount_pence,
        proposal=proposal,
        **kwargs,
    )


def grant(
    w: World,
    *,
    amount_pence: int = 100_000,
    mode: str = Grant.PaymentMode.ADVANCE,
    tranches: list[TrancheSpec] | None = None,
    proposal: Proposal | None = None,
    running_costs: bool = False,
    activate: bool = True,
    approver=None,
) -> Grant:
    """A grant decided and approved (and, by default, its agreement issued and active)."""
    if proposal is None and not running_costs:
        proposal = selected_proposal(w)
    decision = decide(w, amount_pence=amount_pence, proposal=proposal)
    if tranches is None and mode == Grant.PaymentMode.ADVANCE:
        first = amount_pence // 2
        tranches = [TrancheSpec(first), TrancheSpec(amount_pence - first)]
    g = services.grant_approve(
        actor=approver or w.trustees[1],
        decision=decision,
        title="Community garden",
        recipient_organisation=w.holder if running_costs else w.grantee,
        contacts=[w.contact],
        payment_mode=mode,
        tranches=tranches or [],
        purpose=Grant.Purpose.RUNNING_COSTS if running_costs else Grant.Purpose.PROJECT,
    )
    if activate:
        services.grant_issue_agreement(actor=w.finance, grant=g)
        services.grant_activate(actor=w.finance, grant=g)
    g.refresh_from_db()
    return g


def jpeg(color=(200, 80, 40), size=(60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "JPEG")
    return buffer.getvalue()


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(buffer, "PNG")
    return buffer.getvalue()


def webp() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (30, 20), (1, 2, 3)).save(buffer, "WEBP")
    return buffer.getvalue()


def pdf(body: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R "
        + body
        + b" >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def item(amount_pence: int = 5_000, data: bytes | None = None, name="receipt.jpg") -> ItemInput:
    from django.core.files.uploadedfile import SimpleUploadedFile

    receipt = SimpleUploadedFile(name, data if data is not None else jpeg())
    return ItemInput(description="Compost and seeds", amount_pence=amount_pence, receipt=receipt)
