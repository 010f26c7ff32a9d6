"""A proposer cannot support their own proposal (issue 13): the rule is in the service and the
predicate, the page shows no button (it says why), and the API refuses it too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from config.errors import ForbiddenError
from proposals import services
from proposals.models import Proposal, Support
from proposals.permissions import can_support_proposal
from tests.api.helpers import make_token, token_client
from tests.factories import NeighbourhoodFactory, ProposalFactory, resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def own():
    n = NeighbourhoodFactory()
    proposer = resident(n)
    return ProposalFactory(neighbourhood=n, proposer=proposer, status=Proposal.Status.SHORTLISTED)


def test_service_refuses_the_proposers_own_support(own):
    assert not can_support_proposal(own.proposer, own)
    with pytest.raises(ForbiddenError, match="cannot support your own proposal"):
        services.support_add(proposal=own, user=own.proposer)
    own.refresh_from_db()
    assert own.support_count == 0 and not Support.objects.exists()
    # another resident still can
    other = resident(own.neighbourhood)
    assert can_support_proposal(other, own)
    services.support_add(proposal=own, user=other)
    own.refresh_from_db()
    assert own.support_count == 1


def test_page_hides_the_button_from_the_proposer_and_says_why(own, client):
    url = reverse("proposals:detail", args=[own.neighbourhood.slug, own.pk])
    client.force_login(own.proposer)
    page = client.get(url).content.decode()
    assert "Support this proposal</button>" not in page
    assert "This is your proposal, so you cannot support it yourself." in page
    client.force_login(resident(own.neighbourhood))
    page = client.get(url).content.decode()
    assert "Support this proposal</button>" in page
    assert "This is your proposal" not in page


def test_posting_the_form_anyway_changes_nothing(own, client):
    client.force_login(own.proposer)
    response = client.post(
        reverse("proposals:support", args=[own.neighbourhood.slug, own.pk]), {"action": "add"}
    )
    # back to the proposal, with the reason as a message
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert "You cannot support your own proposal" in page
    assert not Support.objects.exists()


def test_api_refuses_it_too(own):
    api = token_client(make_token(own.proposer))
    kwargs = {"slug": own.neighbourhood.slug, "pk": own.pk}
    response = api.post(reverse("api:proposal-support", kwargs=kwargs))
    assert response.status_code == 403
    assert "cannot support your own proposal" in response.json()["error"]["message"]
    assert not Support.objects.exists()
