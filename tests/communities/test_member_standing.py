"""member_standing (communities.permissions): one statement answers what active_membership,
is_verified and the header's nav flags each read on their own, with the same answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accounts.permissions import is_verified
from accounts.request_scope import request_scope
from communities import context_processors
from communities.models import Membership
from communities.permissions import member_standing
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory, trustee

pytestmark = pytest.mark.django_db


def _fresh(user):
    return type(user).objects.get(pk=user.pk)


def _standing_and_own_reads(user, neighbourhood):
    request = RequestFactory().get("/")
    request.user = _fresh(user)
    with request_scope(request) as scope:
        membership = member_standing(request.user, neighbourhood)
        primed = (is_verified(request.user), dict(scope.cache[("nav", user.pk)]))
    own = Membership.objects.active().filter(user=user, neighbourhood=neighbourhood).first()
    request.user = _fresh(user)
    with request_scope(request):
        nav = context_processors._nav(request.user)  # its own query: nothing primed
        verified = is_verified(request.user)
    return membership, own, primed, verified, nav


def test_a_residents_standing_is_the_membership_and_flags_the_own_reads_give():
    n = NeighbourhoodFactory()
    membership = MembershipFactory(neighbourhood=n)
    got, own, (verified, flags), own_verified, nav = _standing_and_own_reads(membership.user, n)
    assert got == own == membership
    # every column, converted as the ORM converts it (dates are datetimes on SQLite too)
    for field in Membership._meta.concrete_fields:
        assert getattr(got, field.attname) == getattr(own, field.attname), field.name
    assert verified is own_verified is True
    assert flags == {"has_any_role": False, "is_trustee": False, "has_authenticator": False}
    assert context_processors._nav_links(membership.user, flags) == nav


def test_a_trustee_with_an_authenticator_gets_the_header_links_the_query_gives():
    n = NeighbourhoodFactory()
    user = trustee(n)
    got, own, (verified, flags), _, nav = _standing_and_own_reads(user, n)
    assert got == own is not None
    assert flags == {"has_any_role": True, "is_trustee": True, "has_authenticator": True}
    assert context_processors._nav_links(user, flags) == nav == {"todo": True, "two_factor": True}


def test_an_expired_membership_or_an_unverified_email_is_seen_as_the_predicates_see_it():
    n = NeighbourhoodFactory()
    expired = MembershipFactory(neighbourhood=n, expires_at=timezone.now() - timedelta(days=1)).user
    got, own, (verified, _), _, _ = _standing_and_own_reads(expired, n)
    assert got is None and own is None and verified is True

    unverified = UserFactory(verified=False)
    MembershipFactory(user=unverified, neighbourhood=n)
    got, own, (verified, _), own_verified, _ = _standing_and_own_reads(unverified, n)
    assert got == own is not None
    assert verified is own_verified is False
