"""Core factories shared by every app's tests (apps add their own in tests/<app>/factories.py)."""

from __future__ import annotations

import itertools

import factory
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.utils import timezone

from accounts.models import User
from communities.models import (
    AgeBand,
    AreaUnit,
    Connection,
    Membership,
    Neighbourhood,
    Role,
    RoleAssignment,
    VerificationMethod,
)
from proposals.models import CostLine, Proposal, Theme

PASSWORD = "pw-Secret-123"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Faker("name")
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create:
            EmailAddress.objects.create(
                user=obj,
                email=obj.email,
                primary=True,
                verified=True if extracted is None else extracted,
            )

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        """UserFactory(mfa=True) gives the user a TOTP authenticator."""
        if create and extracted:
            Authenticator.objects.create(
                user=obj, type=Authenticator.Type.TOTP, data={"secret": "JBSWY3DPEHPK3PXP"}
            )


class NeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Neighbourhood
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Neighbourhood {n}")
    slug = factory.Sequence(lambda n: f"neighbourhood-{n}")
    description = "A neighbourhood."
    status = Neighbourhood.Status.ACTIVE
    registrant = factory.SubFactory(UserFactory)

    @factory.post_generation
    def units(obj, create, extracted, **kwargs):
        if create:
            for code in extracted or ["E05000001"]:
                AreaUnit.objects.create(
                    neighbourhood=obj, code=code, unit_type="ward", vintage=2023
                )


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    status = Membership.Status.VERIFIED
    connection = Connection.LIVES
    age_band = AgeBand.AGE_35_49
    verification_method = VerificationMethod.POSTCODE
    verified_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyFunction(lambda: timezone.now() + timezone.timedelta(days=365))


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory, mfa=True)
    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    role = Role.TRUSTEE


class ProposalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Proposal
        skip_postgeneration_save = True

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    proposer = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Proposal {n}")
    summary = "A short summary."
    description = "A longer description."
    description_html = "<p>A longer description.</p>"
    theme = Theme.PLACES_TO_MEET
    status = Proposal.Status.SHORTLISTED

    @factory.post_generation
    def cost_pence(obj, create, extracted, **kwargs):
        if create:
            CostLine.objects.create(
                proposal=obj,
                description="Everything",
                amount_pence=extracted if extracted is not None else 100_000,
            )


def resident(neighbourhood, **kwargs) -> User:
    """A verified resident of the neighbourhood."""
    return MembershipFactory(neighbourhood=neighbourhood, **kwargs).user


_trustee_numbers = itertools.count(1)


def trustee(neighbourhood, *, role=Role.TRUSTEE, mfa=True, resident_too=True) -> User:
    """A trustee (with two-factor set up unless mfa=False), usually also a resident confirmed
    in person (so they count as a resident in the partnership health)."""
    user = UserFactory(mfa=mfa)
    RoleAssignment.objects.create(user=user, neighbourhood=neighbourhood, role=role)
    if resident_too:
        n = next(_trustee_numbers)
        MembershipFactory(
            user=user,
            neighbourhood=neighbourhood,
            verification_method=VerificationMethod.ATTESTATION,
            # a private name and address, as trustees confirmed in person give (paper keyers
            # are told apart by them)
            private_name=f"Tess Trustee{n}",
            private_house=str(n),
            private_postcode="HP1 1AA",
        )
    return user


def healthy_partnership(neighbourhood) -> list[User]:
    """Add resident trustees until the partnership meets the health rule (8 by default)."""
    from communities.selectors import partnership_health

    added = []
    while not partnership_health(neighbourhood).healthy and len(added) < 100:
        added.append(trustee(neighbourhood))
    return added
