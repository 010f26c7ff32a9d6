"""The register of interests and has_conflict()."""

from datetime import date

import pytest

from communities import services
from communities.models import Interest, Role
from communities.permissions import has_conflict
from config.errors import ApplicationError, ForbiddenError, StateError
from tests.factories import NeighbourhoodFactory, ProposalFactory, UserFactory, resident

from .factories import role_holder

pytestmark = pytest.mark.django_db


def test_decision_roles_declare_and_readers_see_the_register(client):
    nb = NeighbourhoodFactory(slug="here")
    trustee = role_holder(nb, Role.TRUSTEE)
    finance = role_holder(nb, Role.FINANCE_OFFICER)
    auditor = role_holder(nb, Role.FUNDER_AUDITOR)
    services.interest_declare(
        actor=trustee,
        neighbourhood=nb,
        organisation="Tenants' Association",
        nature="Secretary",
        since=date(2020, 1, 1),
    )
    services.interest_declare(
        actor=finance,
        neighbourhood=nb,
        organisation="Credit Union",
        nature="Member",
        since=date(2021, 5, 1),
    )
    with pytest.raises(ForbiddenError):
        services.interest_declare(
            actor=auditor, neighbourhood=nb, organisation="x", nature="y", since=date(2020, 1, 1)
        )
    client.force_login(auditor)
    html = client.get("/neighbourhoods/here/interests/").content.decode()
    assert "Tenants&#x27; Association" in html and "Credit Union" in html
    client.force_login(finance)
    html = client.get("/neighbourhoods/here/interests/").content.decode()
    assert "Credit Union" in html and "Tenants" not in html  # own entries only
    client.force_login(resident(nb))
    assert client.get("/neighbourhoods/here/interests/").status_code == 403


def test_declaring_in_the_browser_and_ending(client):
    nb = NeighbourhoodFactory(slug="here")
    trustee = role_holder(nb, Role.TRUSTEE)
    client.force_login(trustee)
    response = client.post(
        "/neighbourhoods/here/interests/",
        {"organisation": "Youth Club", "nature": "Volunteer", "since": "2022-03-01"},
    )
    assert response.status_code == 302
    interest = Interest.objects.get()
    response = client.post(
        "/neighbourhoods/here/interests/",
        {"organisation": "Future", "nature": "x", "since": "2999-01-01"},
    )
    assert "cannot be in the future" in response.content.decode()
    client.post(f"/neighbourhoods/here/interests/{interest.pk}/end/")
    interest.refresh_from_db()
    assert interest.ended_on is not None
    with pytest.raises(StateError):
        services.interest_end(actor=trustee, interest=interest)
    with pytest.raises(ForbiddenError):
        services.interest_end(actor=UserFactory(), interest=interest)


def test_has_conflict_after_a_declaration():
    nb = NeighbourhoodFactory()
    trustee = role_holder(nb, Role.TRUSTEE)
    other = role_holder(nb, Role.TRUSTEE)
    proposal = ProposalFactory(neighbourhood=nb)
    assert not has_conflict(trustee, proposal)
    services.conflict_declare(
        actor=trustee, neighbourhood=nb, obj=proposal, reason="My sister runs it"
    )
    assert has_conflict(trustee, proposal)
    assert not has_conflict(other, proposal)
    with pytest.raises(StateError):
        services.conflict_declare(actor=trustee, neighbourhood=nb, obj=proposal, reason="again")
    with pytest.raises(ApplicationError):
        services.conflict_declare(actor=other, neighbourhood=nb, obj=proposal, reason=" ")


def test_has_conflict_uses_the_objects_own_list():
    class Item:
        pk = 7

        class _meta:  # noqa: N801
            label_lower = "tests.item"

        def conflicted_user_ids(self):
            return [proposer.pk]

    proposer, someone = UserFactory(), UserFactory()
    assert has_conflict(proposer, Item())
    assert not has_conflict(someone, Item())
