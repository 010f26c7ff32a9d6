"""Screening: a permission matrix of who may screen, and the refusals."""

from __future__ import annotations

import pytest
from django.urls import reverse

from communities.models import ConflictDeclaration, Role, RoleAssignment
from communities.permissions import MfaRequiredError
from config.errors import ApplicationError, ForbiddenError, StateError
from proposals import services
from proposals.models import Proposal
from proposals.permissions import can_screen_proposal
from tests.factories import NeighbourhoodFactory, ProposalFactory, UserFactory, resident, trustee

pytestmark = pytest.mark.django_db
S = Proposal.Status


@pytest.fixture
def setting():
    n = NeighbourhoodFactory()
    proposer = resident(n)
    p = ProposalFactory(neighbourhood=n, proposer=proposer, status=S.SUBMITTED)
    return n, p


def _who(kind, n, p):
    if kind == "anonymous":
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser()
    if kind == "resident":
        return resident(n)
    if kind == "trustee":
        return trustee(n)
    if kind == "chair":
        return trustee(n, role=Role.CHAIR)
    if kind == "trustee_without_2fa":
        return trustee(n, mfa=False)
    if kind == "trustee_elsewhere":
        return trustee(NeighbourhoodFactory())
    if kind == "trustee_who_proposed":
        RoleAssignment.objects.create(user=p.proposer, neighbourhood=n, role=Role.TRUSTEE)
        from allauth.mfa.models import Authenticator

        Authenticator.objects.create(user=p.proposer, type="totp", data={"secret": "X"})
        return p.proposer
    if kind == "linked_trustee":
        t = trustee(n)
        p.linked_trustees.add(t)
        return t
    if kind == "trustee_declared_conflict":
        t = trustee(n)
        ConflictDeclaration.objects.create(
            user=t,
            neighbourhood=n,
            object_type="proposals.proposal",
            object_id=str(p.pk),
            reason="My sister runs it",
        )
        return t
    if kind == "platform_admin":
        return UserFactory(is_platform_admin=True, mfa=True)
    raise AssertionError(kind)


MATRIX = {
    "anonymous": False,
    "resident": False,
    "trustee": True,
    "chair": True,
    "trustee_without_2fa": False,
    "trustee_elsewhere": False,
    "trustee_who_proposed": False,
    "linked_trustee": False,
    "trustee_declared_conflict": False,
    "platform_admin": False,
}


@pytest.mark.parametrize("kind", list(MATRIX))
def test_who_may_screen(setting, kind):
    n, p = setting
    user = _who(kind, n, p)
    assert can_screen_proposal(user, p) is MATRIX[kind]
    if kind == "anonymous":
        return
    if MATRIX[kind]:
        services.proposal_start_screening(proposal=p, actor=user)
        services.proposal_shortlist(proposal=p, actor=user, notes="OK")
        p.refresh_from_db()
        assert p.status == S.SHORTLISTED
    else:
        expected = MfaRequiredError if kind == "trustee_without_2fa" else ForbiddenError
        with pytest.raises(expected):
            services.proposal_start_screening(proposal=p, actor=user)
        p.refresh_from_db()
        assert p.status == S.SUBMITTED


@pytest.mark.parametrize("state", [s for s in S.values if s not in (S.SUBMITTED, S.SCREENING)])
def test_screening_is_refused_outside_its_states(state):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, status=state)
    t = trustee(n)
    assert not can_screen_proposal(t, p)
    with pytest.raises(StateError):
        services.proposal_start_screening(proposal=p, actor=t)
    with pytest.raises(StateError):
        services.proposal_shortlist(proposal=p, actor=t)


def test_ineligible_needs_a_reason_shown_to_the_proposer(client):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, proposer=resident(n), status=S.SCREENING)
    t = trustee(n)
    with pytest.raises(ApplicationError, match="reason"):
        services.proposal_mark_ineligible(proposal=p, actor=t, reason="")
    services.proposal_mark_ineligible(
        proposal=p, actor=t, reason="Outside the area: the park is in the next ward."
    )
    p.refresh_from_db()
    assert p.status == S.INELIGIBLE and p.ineligible_at is not None
    page = client.get(f"/proposals/{n.slug}/{p.pk}/").content.decode()
    assert "Outside the area: the park is in the next ward." in page


def test_revised_cost_must_be_positive_and_within_the_fund():
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, status=S.SCREENING)
    t = trustee(n)
    with pytest.raises(ApplicationError):
        services.proposal_shortlist(proposal=p, actor=t, revised_cost_pence=0)
    with pytest.raises(ApplicationError):
        services.proposal_shortlist(proposal=p, actor=t, revised_cost_pence=10**12)
    p.refresh_from_db()
    assert p.status == S.SCREENING and p.screened_cost_pence is None


def test_screen_page_refuses_residents_and_sends_trustees_without_2fa_to_set_it_up(client):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, status=S.SUBMITTED)
    client.force_login(resident(n))
    assert client.get(f"/proposals/{n.slug}/{p.pk}/screen/").status_code == 403
    client.force_login(trustee(n, mfa=False))
    response = client.get(f"/proposals/{n.slug}/{p.pk}/screen/")
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_index")
