"""Two people typing the same access code at the same moment: exactly one is verified."""

import threading

import pytest
from django.db import connection

from communities import services
from communities.models import Membership, Role
from config.errors import ApplicationError
from tests.factories import NeighbourhoodFactory

from .factories import pending, role_holder

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs real row locking (PostgreSQL)"
    ),
]


def test_one_code_one_member_under_concurrency():
    nb = NeighbourhoodFactory()
    trustee = role_holder(nb, Role.TRUSTEE)
    code = services.access_code_batch_create(
        actor=trustee, neighbourhood=nb, label="x", count=1
    ).codes.get()
    requests = [pending(nb) for _ in range(6)]
    barrier = threading.Barrier(len(requests))
    outcomes: list[str] = []

    def attempt(membership):
        try:
            barrier.wait()
            services.membership_verify_access_code(
                actor=membership.user, membership=membership, code=code.code
            )
            outcomes.append("ok")
        except ApplicationError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(m,)) for m in requests]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 5
    assert Membership.objects.filter(status=Membership.Status.VERIFIED).count() == 1
