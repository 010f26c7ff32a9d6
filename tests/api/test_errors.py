"""Bad input is a 4xx in one error format, never a 5xx, and changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from proposals.models import Comment
from tests.api.helpers import make_token
from tests.factories import ProposalFactory, resident

pytestmark = pytest.mark.django_db


def _shape(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "fields"}
    return body["error"]


@pytest.fixture
def setup():
    proposal = ProposalFactory()
    user = resident(proposal.neighbourhood)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {make_token(user)}")
    url = reverse(
        "api:proposal-comment", kwargs={"slug": proposal.neighbourhood.slug, "pk": proposal.pk}
    )
    return api, url


def test_malformed_json_is_400(setup):
    api, url = setup
    response = api.post(url, data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert _shape(response)["code"] == "invalid"


def test_wrong_type_and_unknown_field_are_400_with_fields(setup):
    api, url = setup
    wrong = api.post(url, {"body": {"a": 1}}, format="json")
    assert wrong.status_code == 400 and "body" in _shape(wrong)["fields"]
    unknown = api.post(url, {"body": "hi", "is_hidden": True}, format="json")
    assert unknown.status_code == 400 and "is_hidden" in _shape(unknown)["fields"]
    not_object = api.post(url, [1, 2], format="json")
    assert not_object.status_code == 400
    _shape(not_object)
    assert not Comment.objects.exists()


def test_payload_over_one_megabyte_is_413(setup):
    api, url = setup
    response = api.post(url, {"body": "x" * (1024 * 1024 + 10)}, format="json")
    assert response.status_code == 413
    assert _shape(response)["code"] == "too_large"
    assert not Comment.objects.exists()


def test_form_data_is_415(setup):
    api, url = setup
    response = api.post(url, {"body": "hi"}, format="multipart")
    assert response.status_code == 415
    _shape(response)


def test_invalid_and_huge_ids_and_unknown_addresses_are_json_404(setup):
    api, _ = setup
    for path in (
        "/api/v1/rounds/99999999999999999999999/",
        "/api/v1/rounds/-1/",
        "/api/v1/rounds/abc/results/",
        "/api/v1/nothing-here/",
        "/api/v1/rounds/999999/",
    ):
        response = api.get(path)
        assert response.status_code == 404, path
        assert _shape(response)["code"] == "not_found"


def test_wrong_method_is_405(setup):
    api, url = setup
    response = api.get(url)
    assert response.status_code == 405
    _shape(response)


def test_anonymous_requests_are_throttled_with_429(settings):
    settings.API_THROTTLE_RATES = {"anon": "2/min", "user": "2/min"}
    api = APIClient()
    codes = [api.get(reverse("api:neighbourhoods")).status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    assert _shape(api.get(reverse("api:neighbourhoods")))["code"] == "throttled"
