"""Issue 17: the member register is paginated (10,000 members made a 1.06 s, 1.37 MB page),
costs the same queries for 10 or 300 members, and can be searched."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from communities.models import Membership, VerificationMethod
from tests.factories import NeighbourhoodFactory, UserFactory, trustee

pytestmark = pytest.mark.django_db


def _register(members: int, waiting: int):
    """A neighbourhood with a trustee, `members` verified members (some confirmed in person by
    the trustee) and `waiting` requests to join, written in bulk."""
    place = NeighbourhoodFactory()
    chair = trustee(place)
    users = User.objects.bulk_create(
        User(email=f"{place.slug}-{i}@example.org", display_name=f"Member {i:04d}")
        for i in range(members + waiting)
    )
    Membership.objects.bulk_create(
        Membership(
            user=u,
            neighbourhood=place,
            status=Membership.Status.PENDING if i >= members else Membership.Status.VERIFIED,
            connection="lives",
            age_band="35_49",
            verification_method=""
            if i >= members
            else (VerificationMethod.ATTESTATION if i % 2 else VerificationMethod.POSTCODE),
            verified_by=chair if i < members and i % 2 else None,
            private_name=f"Private Person{i}",
            private_house=str(i),
            private_postcode="HP1 1AA",
        )
        for i, u in enumerate(users)
    )
    return place, chair


def _get(client, place, **params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("communities:members", args=[place.slug]), params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_register_query_count_does_not_grow_with_the_members(client, django_assert_num_queries):
    small, small_chair = _register(members=10, waiting=3)
    large, large_chair = _register(members=300, waiting=45)
    client.force_login(small_chair)
    few, _ = _get(client, small)
    client.force_login(large_chair)
    many, response = _get(client, large)
    assert few == many
    # pinned: session, user, roles and two-factor checks, then a count and a page of rows for
    # each of the two lists, and the header's to-do link
    with django_assert_num_queries(11):
        client.get(reverse("communities:members", args=[large.slug]))
    assert len(response.context["others"].object_list) == 25
    assert len(response.context["pending"].object_list) == 10
    assert response.context["others"].paginator.count == 301  # the trustee is a member too
    assert response.context["pending"].paginator.count == 45
    assert len(response.content) < 100_000


def test_register_pages_keep_each_list_in_its_place(client):
    place, chair = _register(members=120, waiting=25)
    client.force_login(chair)
    _, response = _get(client, place)
    html = response.content.decode()
    assert "Register (121)" in html and "Waiting to join (25)" in html
    assert re.search(r'href="\?page=2&amp;after=verified\.\d+\.\d+#register" rel="next"', html)
    assert 'href="?waiting=2#waiting" rel="next"' in html
    # an old numbered link still gives its page; the links from it keep the requests' page,
    # and the other way round
    _, response = _get(client, place, page=3, waiting=2)
    assert response.context["others"].number == 3
    assert response.context["pending"].number == 2
    html = response.content.decode()
    assert re.search(r'href="\?waiting=2&amp;page=2&amp;before=verified\.\d+\.\d+#register"', html)
    assert 'href="?page=3&amp;waiting=1#waiting" rel="prev"' in html
    # every member appears on exactly one page, following the next links
    seen = []
    params = {}
    for _ in range(5):
        _, response = _get(client, place, **params)
        page = response.context["others"]
        seen += [m.pk for m in page.object_list]
        params = {"page": page.next_page_number(), "after": page.next_cursor}
    assert not page.has_next()
    assert len(seen) == len(set(seen)) == 121


def test_register_search_finds_by_name_email_or_postcode(client):
    place, chair = _register(members=60, waiting=5)
    client.force_login(chair)
    _, response = _get(client, place, q="Member 0042")
    assert [m.user.display_name for m in response.context["others"].object_list] == ["Member 0042"]
    _, response = _get(client, place, q="person61")
    assert [m.private_name for m in response.context["pending"].object_list] == ["Private Person61"]
    assert response.context["others"].paginator.count == 0
    assert "No members match." in response.content.decode()
    _, response = _get(client, place, q=f"{place.slug}-7@")
    assert response.context["others"].paginator.count == 1


def test_register_is_still_for_trustees_only(client):
    place, _ = _register(members=5, waiting=1)
    client.force_login(UserFactory())
    response = client.get(reverse("communities:members", args=[place.slug]))
    assert response.status_code == 403


def test_register_of_interests_is_paginated(client):
    import datetime as dt

    from communities.models import Interest

    place, chair = _register(members=2, waiting=0)
    Interest.objects.bulk_create(
        Interest(
            user=chair,
            neighbourhood=place,
            organisation=f"Organisation {i:03d}",
            nature="Trustee",
            since=dt.date(2024, 1, 1),
        )
        for i in range(60)
    )
    client.force_login(chair)
    url = reverse("communities:interests", args=[place.slug])
    first = client.get(url)
    assert first.context["entries"].paginator.count == 60
    assert len(first.context["entries"].object_list) == 50
    assert 'href="?page=2" rel="next"' in first.content.decode()
    second = client.get(url, {"page": 2}).content.decode()
    assert "Organisation 059" in second and "Organisation 000" not in second
