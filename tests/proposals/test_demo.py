"""The demo seed: a dozen proposals across themes and states, idempotent."""

from __future__ import annotations

import io

import pytest

from communities.models import Role, RoleAssignment
from demo.users import seed_users
from proposals import demo
from proposals.models import Proposal, ProposalImage
from tests.factories import MembershipFactory, NeighbourhoodFactory

pytestmark = pytest.mark.django_db


def test_seed_twice_changes_nothing_the_second_time():
    users = seed_users()
    n = NeighbourhoodFactory()
    RoleAssignment.objects.create(
        user=users["trustee@example.org"], neighbourhood=n, role=Role.CHAIR
    )
    MembershipFactory(user=users["resident@example.org"], neighbourhood=n)
    demo.seed(users=users, stdout=io.StringIO())
    proposals = Proposal.objects.filter(neighbourhood=n)
    assert proposals.count() == 12
    assert len(set(proposals.values_list("theme", flat=True))) >= 9
    assert len(set(proposals.values_list("status", flat=True))) >= 9
    assert ProposalImage.objects.filter(status="ready").count() >= 9
    snapshot = sorted(Proposal.objects.values_list("pk", "status", "support_count"))
    out = io.StringIO()
    demo.seed(users=users, stdout=out)
    assert sorted(Proposal.objects.values_list("pk", "status", "support_count")) == snapshot
    assert "0 proposals added" in out.getvalue()
