"""Demo data: two neighbourhoods from the sample geography, the demo people in their roles.

Idempotent: each block runs only if what it makes is missing, so a second run changes
nothing (not even the audit trail). Role holders and the platform admin get a TOTP
authenticator with one fixed, documented secret; `python manage.py demo_totp EMAIL`
prints the current code.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt

from demo.users import demo_user

from . import services
from .models import Connection, GeographyUnit, Neighbourhood, Postcode, Role

SAMPLE_DATA = Path(__file__).resolve().parent / "sample_data"
# The one demo secret (base32). Never use it for a real account: it is published in the docs.
DEMO_TOTP_SECRET = "CPDEMOTOTPSECRET"

FIRST = "hollin-bank"
SECOND = "riverside-park"
FILLER_TRUSTEES = [
    ("trustee2@example.org", "Tomasz Trustee"),
    ("trustee3@example.org", "Thandiwe Trustee"),
    ("trustee4@example.org", "Tom Trustee"),
    ("trustee5@example.org", "Tanvir Trustee"),
    ("trustee6@example.org", "Tess Trustee"),
    ("trustee7@example.org", "Tunde Trustee"),
    ("trustee8@example.org", "Teresa Trustee"),
]


def _forget(user) -> None:
    for key in ("_cp_memberships", "_cp_roles", "_cp_has_mfa", "_cp_email_verified"):
        user.__dict__.pop(key, None)


def give_demo_totp(user) -> None:
    Authenticator.objects.get_or_create(
        user=user,
        type=Authenticator.Type.TOTP,
        defaults={"data": {"secret": encrypt(DEMO_TOTP_SECRET)}},
    )
    _forget(user)


def _join(user, neighbourhood, postcode: str, connection: str = Connection.LIVES) -> None:
    membership = services.membership_request(
        actor=user,
        neighbourhood=neighbourhood,
        connection=connection,
        age_band="35_49",
        postcode=postcode,
        private_name=user.public_name,
        private_house=str(10 + user.pk),
    )
    services.membership_verify_postcode(actor=user, membership=membership)
    _forget(user)


def _attested(
    user, neighbourhood, postcode: str, *, by, connection: str = Connection.LIVES
) -> None:
    """Join, then be confirmed in person by the trustee `by` (met at a residents' meeting)."""
    membership = services.membership_request(
        actor=user,
        neighbourhood=neighbourhood,
        connection=connection,
        age_band="35_49",
        postcode=postcode,
        private_name=user.public_name,
        private_house=str(10 + user.pk),
    )
    services.membership_attest(
        actor=by, membership=membership, note="Met at the residents' meeting."
    )
    _forget(user)
    _forget(by)


def seed(*, users: dict, stdout=None) -> None:
    write = stdout.write if stdout else (lambda _msg: None)
    resident = users["resident@example.org"]
    trustee = users["trustee@example.org"]
    finance = users["finance@example.org"]
    funder = users["funder@example.org"]
    admin = users["admin@example.org"]
    fillers = [demo_user(email, name) for email, name in FILLER_TRUSTEES]

    if not GeographyUnit.objects.filter(code="E05011111").exists():
        with open(SAMPLE_DATA / "geography.csv", "rb") as f:
            services.geography_import(stream=f, actor=admin)
    if not Postcode.objects.filter(postcode="ZZ11AA").exists():
        with open(SAMPLE_DATA / "postcodes.csv", "rb") as f:
            services.postcodes_import(stream=f, actor=admin)

    for person in [trustee, finance, funder, admin, *fillers]:
        give_demo_totp(person)

    if not Neighbourhood.objects.filter(slug=FIRST).exists():
        nb = services.neighbourhood_create(
            actor=trustee,
            name="Hollin Bank",
            description=(
                "A 1960s estate on the edge of Examplebury: two primary schools, one bus "
                "an hour, and no community centre since the library closed."
            ),
            units=[("E05011111", 2023)],
            population_estimate=8400,
        )
        services.neighbourhood_submit(actor=trustee, neighbourhood=nb)
        services.neighbourhood_verify(actor=admin, neighbourhood=nb)
        _forget(trustee)
        _join(resident, nb, "ZZ1 1AB")
        # Trustees are members confirmed by more than a typed postcode: the chair (the
        # registrant) confirms the others in person, and then one of them confirms the chair.
        postcodes = ["ZZ1 1AD", "ZZ1 1AE", "ZZ1 1AF", "ZZ1 1AG", "ZZ1 1AH", "ZZ1 2AA", "ZZ1 2AB"]
        for i, (person, postcode) in enumerate(zip(fillers, postcodes, strict=True)):
            # One filler works here rather than living here: the share shows below 100%.
            # They are appointed last, once residents are the majority.
            connection = Connection.WORKS if i == len(fillers) - 1 else Connection.LIVES
            _attested(person, nb, postcode, by=trustee, connection=connection)
        for person in fillers:
            services.role_appoint(actor=admin, neighbourhood=nb, user=person, role=Role.TRUSTEE)
        _attested(trustee, nb, "ZZ1 1AA", by=fillers[0])
        services.role_appoint(
            actor=admin,
            neighbourhood=nb,
            user=finance,
            role=Role.FINANCE_OFFICER,
            organisation="Hollin Bank Community Trust",
        )
        services.role_appoint(
            actor=admin,
            neighbourhood=nb,
            user=funder,
            role=Role.FUNDER_AUDITOR,
            organisation="Examplebury Community Wealth Fund",
        )
        services.interest_declare(
            actor=trustee,
            neighbourhood=nb,
            organisation="Hollin Bank Tenants' Association",
            nature="Secretary (unpaid)",
            since=date(2019, 4, 1),
        )
        nb.refresh_from_db()
        write(f"  {nb.name}: {nb.get_status_display().lower()}, left behind={nb.left_behind}")

    if not Neighbourhood.objects.filter(slug=SECOND).exists():
        registrant = fillers[1]
        nb = services.neighbourhood_create(
            actor=registrant,
            name="Riverside Park",
            description="Terraced streets by the canal, building its partnership.",
            units=[("E05022222", 2023)],
            population_estimate=6100,
        )
        services.neighbourhood_submit(actor=registrant, neighbourhood=nb)
        services.neighbourhood_verify(actor=admin, neighbourhood=nb)
        write(f"  {nb.name}: verified, waiting for its partnership")

    for person in [resident, trustee, finance, funder, admin, *fillers]:
        _forget(person)
    write(f"  Demo two-factor secret for role holders: {DEMO_TOTP_SECRET}")
    write("  Current code: python manage.py demo_totp trustee@example.org")
