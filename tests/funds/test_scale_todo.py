"""Issue 17: the trustee's money to-do lists decisions due a page at a time, with the same
queries for 2 or 45 selected proposals (their costs summed in the list's own query)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from .factories import selected_proposal

pytestmark = pytest.mark.django_db


def _todo(client, world):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("funds:todo", args=[world.fund.pk]))
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_decisions_due_are_paginated_and_cost_no_query_each(client, world):
    client.force_login(world.trustees[1])
    for n in range(2):
        selected_proposal(world, title=f"Due {n:02d}", cost_pence=10_000 + n)
    few, _ = _todo(client, world)
    for n in range(2, 45):
        selected_proposal(world, title=f"Due {n:02d}", cost_pence=10_000 + n)
    many, response = _todo(client, world)
    assert few == many
    due = response.context["due"]
    assert due.paginator.count == 45 and len(due.object_list) == 20
    html = response.content.decode()
    assert "Decisions due (45)" in html and "£100.00" in html  # the first one's cost
    assert 'href="?page=2#due" rel="next"' in html
    last = client.get(reverse("funds:todo", args=[world.fund.pk]), {"page": 3})
    assert [p.title for p in last.context["due"].object_list] == [
        f"Due {n:02d}" for n in range(40, 45)
    ]
