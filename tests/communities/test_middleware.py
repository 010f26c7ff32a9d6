"""MfaPromptMiddleware: MfaRequiredError -> TOTP set-up; ForbiddenError -> 403 with the message."""

import pytest
from django.contrib.messages import get_messages
from django.test import RequestFactory

from communities.middleware import MfaPromptMiddleware
from communities.models import Role
from communities.permissions import MfaRequiredError
from config.errors import ForbiddenError, NotFoundError
from tests.factories import NeighbourhoodFactory, UserFactory

from .factories import role_holder

pytestmark = pytest.mark.django_db


def test_a_role_holder_without_two_factor_is_sent_to_set_it_up(client):
    nb = NeighbourhoodFactory(slug="here")
    client.force_login(role_holder(nb, Role.TRUSTEE, mfa=False))
    response = client.get("/neighbourhoods/here/members/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    texts = [m.message for m in get_messages(response.wsgi_request)]
    assert any("two-factor" in t for t in texts)


def test_the_neighbourhood_page_prompts_role_holders_without_two_factor(client):
    nb = NeighbourhoodFactory(slug="here")
    client.force_login(role_holder(nb, Role.FUNDER_AUDITOR, mfa=False))
    html = client.get("/neighbourhoods/here/").content.decode()
    assert "Set up two-factor authentication" in html
    client.force_login(role_holder(nb, Role.FUNDER_AUDITOR))
    assert "Set up two-factor" not in client.get("/neighbourhoods/here/").content.decode()


def test_forbidden_is_a_403_page_with_the_message(client):
    NeighbourhoodFactory(slug="here")
    client.force_login(UserFactory())
    response = client.get("/neighbourhoods/here/members/")
    assert response.status_code == 403
    assert "You do not have permission to manage members" in response.content.decode()


def test_anonymous_users_are_asked_to_sign_in(client):
    NeighbourhoodFactory(slug="here")
    response = client.get("/neighbourhoods/here/members/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/neighbourhoods/here/members/")


def test_other_apps_errors_map_to_pages(rf: RequestFactory):
    middleware = MfaPromptMiddleware(lambda request: None)
    request = rf.get("/x")
    request.user = UserFactory()
    assert middleware.process_exception(request, NotFoundError("Gone")).status_code == 404
    assert middleware.process_exception(request, ForbiddenError("No")).status_code == 403
    assert middleware.process_exception(request, ValueError("bug")) is None
    assert issubclass(MfaRequiredError, ForbiddenError)


def test_unknown_neighbourhood_is_a_404(client):
    assert client.get("/neighbourhoods/nowhere/").status_code == 404
