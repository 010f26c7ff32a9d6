"""Sign-up asks for the name to show publicly; nobody is ever shown by their email address."""

import pytest
from django.contrib.auth import get_user_model

from tests.factories import MembershipFactory, ProposalFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "a-Long-pass-2026!"


def _signup(client, **extra):
    data = {"email": "sam.okoro@example.org", "password1": PASSWORD, "password2": PASSWORD}
    data.update(extra)
    return client.post("/accounts/signup/", data)


def test_the_signup_page_asks_for_a_public_name_first(client):
    html = client.get("/accounts/signup/").content.decode()
    assert 'name="display_name"' in html
    assert "Your name, as others will see it" in html
    assert html.index('name="display_name"') < html.index('name="email"')


def test_the_public_name_given_at_signup_is_saved(client):
    response = _signup(client, display_name="  Sam   Okoro ")
    assert response.status_code == 302
    assert get_user_model().objects.get(email="sam.okoro@example.org").display_name == "Sam Okoro"


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("", "Enter the name to show"),
        ("Sam\u202eokorO", "invisible or text-direction characters"),
        ("Sam\u200bOkoro", "U+200B"),
        ("sam.okoro@example.org", "cannot be an email address"),
    ],
)
def test_a_missing_or_spoofing_public_name_is_refused_and_nothing_is_made(client, name, says):
    response = _signup(client, display_name=name)
    assert response.status_code == 200
    assert says in response.content.decode()
    assert not get_user_model().objects.filter(email="sam.okoro@example.org").exists()


def test_an_account_without_a_public_name_never_shows_its_email(client):
    # An account made before sign-up asked for a name.
    proposer = UserFactory(email="jo.private@example.org", display_name="")
    proposal = ProposalFactory(proposer=proposer, status="shortlisted")
    MembershipFactory(user=proposer, neighbourhood=proposal.neighbourhood)
    assert proposer.public_name == f"Member {proposer.pk}"
    assert str(proposer) == proposer.public_name
    html = client.get(f"/proposals/{proposal.neighbourhood.slug}/").content.decode()
    assert f"Member {proposer.pk}" in html
    assert "jo.private" not in html
