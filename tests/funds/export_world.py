"""The demo fund (funds.demo) plus a grant to an individual resident: what the export tests
publish. The neighbourhood is a ward and an LSOA, with names in the reference data."""

from __future__ import annotations

import io
from dataclasses import dataclass

from allauth.mfa.models import Authenticator

from communities.models import AreaUnit, GeographyUnit, Role, RoleAssignment
from demo.users import seed_users
from funds import demo, services
from funds.models import Fund, Grant
from proposals.models import Proposal
from tests.communities.factories import role_holder
from tests.factories import NeighbourhoodFactory, ProposalFactory, UserFactory

INDIVIDUAL_NAME = "Zebedee Quackenbush"
INDIVIDUAL_EMAIL = "zebedee.quackenbush@example.org"
INDIVIDUAL_PENCE = 123_457  # £1,234.57: pence that must survive the trip to pounds and back


@dataclass
class ExportWorld:
    fund: Fund
    users: dict
    individual: object
    individual_grant: Grant


def make_export_world() -> ExportWorld:
    users = seed_users()
    nb = NeighbourhoodFactory(min_partnership_members=3, units=["E05000001"])
    AreaUnit.objects.create(neighbourhood=nb, code="E01000002", unit_type="lsoa", vintage=2021)
    GeographyUnit.objects.create(code="E05000001", unit_type="ward", vintage=2023, name="Hollin")
    GeographyUnit.objects.create(
        code="E01000002", unit_type="lsoa", vintage=2021, name="Examplebury 001A"
    )
    for _ in range(3):
        role_holder(nb, Role.TRUSTEE, member=True)
    for email, role in (
        ("finance@example.org", Role.FINANCE_OFFICER),
        ("funder@example.org", Role.FUNDER_AUDITOR),
    ):
        RoleAssignment.objects.create(user=users[email], neighbourhood=nb, role=role)
        Authenticator.objects.create(user=users[email], type=Authenticator.Type.TOTP, data={})
    ProposalFactory(
        neighbourhood=nb,
        status=Proposal.Status.SELECTED,
        cost_pence=400_000,
        title="Hollin Bank garden",
        summary="A garden for the flats on Hollin Bank.",
    )
    demo.seed(users=users, stdout=io.StringIO())
    fund = Fund.objects.get(neighbourhood=nb)

    individual = UserFactory(
        display_name=INDIVIDUAL_NAME,
        email=INDIVIDUAL_EMAIL,
        first_name="Zebedee",
        last_name="Quackenbush",
    )
    grant = add_individual_grant(fund, individual=individual, amount_pence=INDIVIDUAL_PENCE)
    return ExportWorld(fund=fund, users=users, individual=individual, individual_grant=grant)


def add_individual_grant(fund: Fund, *, individual=None, amount_pence: int) -> Grant:
    """A resident's own project, selected and granted to them as an individual."""
    nb = fund.neighbourhood
    individual = individual or UserFactory()
    proposal = ProposalFactory(
        neighbourhood=nb,
        proposer=individual,
        status=Proposal.Status.SELECTED,
        cost_pence=amount_pence,
        title="Street library",
        summary="A little free library by the bus stop.",
    )
    trustees = demo._trustees(nb)
    decision = demo._decide(
        nb, fund, trustees, trustees[0], amount_pence=amount_pence, proposal=proposal
    )
    return services.grant_approve(
        actor=trustees[1],
        decision=decision,
        title="Street library",
        recipient_user=individual,
        contacts=[individual],
        tranches=[services.TrancheSpec(amount_pence)],
    )
