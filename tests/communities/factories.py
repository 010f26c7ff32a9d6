"""Factories and helpers of the communities tests (core factories are in tests/factories.py)."""

from __future__ import annotations

from communities.models import Membership, Neighbourhood, Role, RoleAssignment, VerificationMethod
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory


def hollin_bank(**kwargs) -> Neighbourhood:
    """An active neighbourhood over the sample ward E05011111 (needs the geography fixture)."""
    kwargs.setdefault("name", "Hollin Bank")
    kwargs.setdefault("slug", "hollin-bank")
    kwargs.setdefault("units", ["E05011111"])
    return in_area(**kwargs)


def in_area(**kwargs) -> Neighbourhood:
    """A neighbourhood whose left-behind flag and decile come from the reference data."""
    from communities.services.neighbourhoods import refresh_reference_flags

    neighbourhood = NeighbourhoodFactory(**kwargs)
    for unit in neighbourhood.units.all():
        unit.vintage = 2023
        unit.save()
    refresh_reference_flags(neighbourhood)
    return neighbourhood


def role_holder(neighbourhood, role, *, mfa=True, member=False, **user_kwargs):
    user = UserFactory(mfa=mfa, **user_kwargs)
    RoleAssignment.objects.create(user=user, neighbourhood=neighbourhood, role=role)
    if role == Role.CHAIR:
        RoleAssignment.objects.create(user=user, neighbourhood=neighbourhood, role=Role.TRUSTEE)
    if member:
        MembershipFactory(
            user=user,
            neighbourhood=neighbourhood,
            verification_method=VerificationMethod.ATTESTATION,
        )
    return user


def pending(neighbourhood, *, postcode="ZZ11AA", **kwargs) -> Membership:
    return MembershipFactory(
        neighbourhood=neighbourhood,
        status=Membership.Status.PENDING,
        postcode=postcode,
        verification_method="",
        verified_at=None,
        expires_at=None,
        **kwargs,
    )
