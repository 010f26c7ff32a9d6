"""Issue 17: the member register's deep pages seek to the row a link names (an index range)
instead of counting past every row before it, so page 400 costs the same queries as page 1;
its links still read "Page N of M", and old `?page=N` links still work."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from communities.models import Membership
from tests.factories import NeighbourhoodFactory, trustee

pytestmark = pytest.mark.django_db

STATUSES = [
    Membership.Status.VERIFIED,
    Membership.Status.EXPIRED,
    Membership.Status.LEFT,
    Membership.Status.REJECTED,
]


def _register(members: int):
    """`members` memberships of mixed statuses; some share a joining time (ties are broken by
    id), so the pages cross from one status to the next."""
    place = NeighbourhoodFactory()
    chair = trustee(place)
    users = User.objects.bulk_create(
        User(email=f"{place.slug}-{i}@example.org", display_name=f"Member {i:04d}")
        for i in range(members)
    )
    start = timezone.now() - dt.timedelta(days=30)
    Membership.objects.bulk_create(
        Membership(
            user=u,
            neighbourhood=place,
            status=STATUSES[i % 4],
            connection="lives",
            age_band="35_49",
            created_at=start + dt.timedelta(minutes=i // 3),
        )
        for i, u in enumerate(users)
    )
    return place, chair


def _url(place):
    return reverse("communities:members", args=[place.slug])


def _expected(place):
    return list(
        Membership.objects.filter(neighbourhood=place)
        .exclude(status=Membership.Status.PENDING)
        .order_by("status", "-created_at", "-pk")
        .values_list("pk", flat=True)
    )


def test_next_and_previous_links_walk_the_whole_register_in_order(client):
    place, chair = _register(members=130)
    client.force_login(chair)
    forward, pages, params = [], [], {}
    while True:
        page = client.get(_url(place), params).context["others"]
        pages.append((page.number, [m.pk for m in page.object_list], page))
        forward += pages[-1][1]
        if not page.has_next():
            break
        params = {"page": page.next_page_number(), "after": page.next_cursor}
    assert forward == _expected(place)  # 131 rows: 130 and the chair's own membership
    assert [number for number, _rows, _page in pages] == [1, 2, 3, 4, 5, 6]
    assert pages[-1][2].num_pages == 6
    # back again from the last page, page by page, to a whole first page
    page = pages[-1][2]
    for number, rows, _page in reversed(pages[:-1]):
        params = {"page": page.previous_page_number(), "before": page.previous_cursor}
        page = client.get(_url(place), params).context["others"]
        assert (page.number, [m.pk for m in page.object_list]) == (number, rows)
    assert not page.has_previous()


def test_a_deep_page_costs_the_same_queries_as_the_first(client, django_assert_num_queries):
    place, chair = _register(members=300)
    client.force_login(chair)
    first = client.get(_url(place)).context["others"]
    page, deep = first, {}
    for _ in range(8):
        deep = {"page": page.next_page_number(), "after": page.next_cursor}
        page = client.get(_url(place), deep).context["others"]
    assert page.number == 9 and len(page.object_list) == 25
    # session, user, roles and two-factor checks, each list's count (no requests to join, so
    # no rows to read for them), the register's rows, the header's to-do link; a seek page
    # reads its rows in two queries (within the status, and in the statuses after it)
    with django_assert_num_queries(10):
        client.get(_url(place))
    with django_assert_num_queries(11):
        client.get(_url(place), deep)
    # a numbered link finds the row before its page by its keys (one query more), then seeks
    with django_assert_num_queries(12):
        response = client.get(_url(place), {"page": 9})
    assert [m.pk for m in response.context["others"].object_list] == [
        m.pk for m in page.object_list
    ]


def test_old_and_odd_links_give_a_sensible_page(client):
    place, chair = _register(members=60)
    client.force_login(chair)
    expected = _expected(place)
    # an old numbered link: that page
    page = client.get(_url(place), {"page": 2}).context["others"]
    assert [m.pk for m in page.object_list] == expected[25:50]
    # past the end: the last page; nonsense: the first
    page = client.get(_url(place), {"page": 99}).context["others"]
    assert page.number == 3 and [m.pk for m in page.object_list] == expected[50:]
    for odd in ({"page": "x"}, {"after": "nonsense"}, {"before": "a.b.c"}, {"after": "1.2"}):
        response = client.get(_url(place), odd)
        assert response.status_code == 200
        assert [m.pk for m in response.context["others"].object_list] == expected[:25]


def test_search_keeps_working_across_seek_pages(client):
    place, chair = _register(members=120)
    client.force_login(chair)
    response = client.get(_url(place), {"q": "Member 00"})  # Member 0000 .. Member 0099
    page = response.context["others"]
    assert page.paginator.count == 100
    html = response.content.decode()
    assert f'href="?q=Member+00&amp;page=2&amp;after={page.next_cursor}#register"' in html
    seen = [m.pk for m in page.object_list]
    while page.has_next():
        params = {"q": "Member 00", "page": page.next_page_number(), "after": page.next_cursor}
        page = client.get(_url(place), params).context["others"]
        seen += [m.pk for m in page.object_list]
    assert len(seen) == len(set(seen)) == 100
