"""Acceptance 1: a new user signs up, finds a neighbourhood, joins by postcode or access code
and becomes a verified resident, with plain form posts (no JavaScript)."""

import re

import pytest
from django.core import mail

from communities import permissions as p
from communities import services
from communities.models import Membership, Role

from .factories import hollin_bank, role_holder

pytestmark = pytest.mark.django_db


def sign_up(client, email: str):
    from django.contrib.auth import get_user_model

    client.post(
        "/accounts/signup/",
        {
            "display_name": "Sam Okoro",
            "email": email,
            "password1": "a-Long-pass-2026!",
            "password2": "a-Long-pass-2026!",
        },
    )
    link = next(line for line in mail.outbox[-1].body.splitlines() if "confirm-email" in line)
    client.post(link[link.index("/accounts/") :].strip())
    return get_user_model().objects.get(email=email)


def find_and_ask_to_join(client, postcode: str, connection: str = "lives"):
    html = client.get("/neighbourhoods/?q=hollin").content.decode()
    assert 'href="/neighbourhoods/hollin-bank/"' in html
    html = client.get("/neighbourhoods/hollin-bank/").content.decode()
    assert 'href="/neighbourhoods/hollin-bank/join/"' in html
    assert "<script" not in html
    response = client.post(
        "/neighbourhoods/hollin-bank/join/",
        {
            "connection": connection,
            "age_band": "25_34",
            "postcode": postcode,
            "private_name": "Rita Resident",
            "private_house": "1 Hope Road",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == "/neighbourhoods/hollin-bank/join/verify/"


def test_join_by_postcode(client, geography):
    nb = hollin_bank()
    user = sign_up(client, "new.resident@example.net")
    find_and_ask_to_join(client, " zz1  1ab ")
    page = client.get("/neighbourhoods/hollin-bank/join/verify/").content.decode()
    assert "ZZ1 1AB" in page
    response = client.post("/neighbourhoods/hollin-bank/join/verify/", {"method": "postcode"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user, neighbourhood=nb)
    assert membership.status == Membership.Status.VERIFIED
    assert membership.verification_method == "postcode"
    assert membership.unit_code == "E05011111"
    assert membership.postcode == ""  # only the derived unit is kept
    assert "ZZ11AB" not in str(membership.verification_evidence)
    assert p.is_resident(user, nb)
    html = client.get("/neighbourhoods/hollin-bank/").content.decode()
    assert "You are a verified member" in html


def test_join_by_access_code(client, geography):
    nb = hollin_bank()
    trustee = role_holder(nb, Role.TRUSTEE)
    batch = services.access_code_batch_create(actor=trustee, neighbourhood=nb, label="L", count=2)
    code = batch.codes.first().code
    user = sign_up(client, "works.here@example.net")
    find_and_ask_to_join(client, "ZZ2 1AA", connection="works")  # lives elsewhere
    response = client.post("/neighbourhoods/hollin-bank/join/verify/", {"method": "postcode"})
    assert response.status_code == 200
    assert "not inside Hollin Bank" in response.content.decode()
    response = client.post(
        "/neighbourhoods/hollin-bank/join/verify/",
        {"method": "code", "code": f"{code[:5].lower()}-{code[5:]}"},
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=user, neighbourhood=nb)
    assert membership.status == Membership.Status.VERIFIED
    assert membership.verification_method == "access_code"
    assert p.is_resident(user, nb)


def test_bad_postcode_is_shown_on_the_field_and_changes_nothing(client, geography):
    hollin_bank()
    sign_up(client, "typo@example.net")
    response = client.post(
        "/neighbourhoods/hollin-bank/join/",
        {
            "connection": "lives",
            "age_band": "25_34",
            "postcode": "ABC 123",
            "private_name": "Tom Typo",
            "private_house": "2",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'id="id_postcode_error">[^<]*is not a UK postcode', html)
    assert not Membership.objects.exists()


def test_an_unverified_email_cannot_join(client, geography):
    hollin_bank()
    client.post(
        "/accounts/signup/",
        {
            "display_name": "Sam Okoro",
            "email": "u@example.net",
            "password1": "a-Long-pass-2026!",
            "password2": "a-Long-pass-2026!",
        },
    )
    response = client.get("/neighbourhoods/hollin-bank/join/")
    # Not signed in until the email is confirmed: sent to sign in.
    assert response.status_code == 302
    assert not Membership.objects.exists()


def test_a_member_going_to_the_join_page_is_sent_back(client, geography):
    from tests.factories import MembershipFactory

    nb = hollin_bank()
    member = MembershipFactory(neighbourhood=nb).user
    client.force_login(member)
    response = client.get("/neighbourhoods/hollin-bank/join/")
    assert response.status_code == 302
    assert response["Location"] == "/neighbourhoods/hollin-bank/"


def test_wrong_codes_are_limited(client, geography):
    from django.core.cache import cache

    from .factories import pending

    cache.clear()
    nb = hollin_bank()
    trustee = role_holder(nb, Role.TRUSTEE)
    good = services.access_code_batch_create(actor=trustee, neighbourhood=nb, label="x", count=1)
    request = pending(nb)
    client.force_login(request.user)
    url = "/neighbourhoods/hollin-bank/join/verify/"
    response = client.post(url, {"method": "code", "code": ""})
    assert response.content.decode().count('class="error"') == 1  # required, said once
    for _ in range(10):
        response = client.post(url, {"method": "code", "code": "AAAAA-AAAAA"})
        assert "not right for this neighbourhood" in response.content.decode()
    response = client.post(url, {"method": "code", "code": good.codes.get().code})
    assert "Too many wrong codes" in response.content.decode()
    request.refresh_from_db()
    assert request.status == Membership.Status.PENDING
    cache.clear()
