"""Acceptance 4: the access-code PDF opens with one code per page; each code verifies one member."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from communities import services
from communities.models import AccessCode, Membership, Role
from communities.services.access_codes import format_access_code
from config.errors import ApplicationError, ForbiddenError
from tests.factories import NeighbourhoodFactory

from .factories import pending, role_holder

pytestmark = pytest.mark.django_db


@pytest.fixture
def nb():
    return NeighbourhoodFactory(slug="here", name="Hollin Bank")


@pytest.fixture
def trustee(nb):
    return role_holder(nb, Role.TRUSTEE)


def test_pdf_opens_with_one_code_per_page(client, nb, trustee):
    batch = services.access_code_batch_create(
        actor=trustee, neighbourhood=nb, label="Elm Street", count=5
    )
    client.force_login(trustee)
    response = client.get(f"/neighbourhoods/here/access-codes/{batch.pk}/letters.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 5
    codes = [
        format_access_code(c) for c in batch.codes.order_by("id").values_list("code", flat=True)
    ]
    for page, code in zip(reader.pages, codes, strict=True):
        text = page.extract_text()
        assert code in text
        assert sum(other in text for other in codes) == 1
        assert "/neighbourhoods/here/join/" in text
    assert AuditEvent.objects.filter(action="communities.access_codes_downloaded").exists()


def test_csv_lists_every_code(client, nb, trustee):
    batch = services.access_code_batch_create(actor=trustee, neighbourhood=nb, label="x", count=3)
    client.force_login(trustee)
    response = client.get(f"/neighbourhoods/here/access-codes/{batch.pk}/codes.csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == 3
    assert {r["used"] for r in rows} == {"no"}


def test_each_code_verifies_exactly_one_member(nb, trustee):
    batch = services.access_code_batch_create(actor=trustee, neighbourhood=nb, label="x", count=1)
    code = batch.codes.get()
    first, second = pending(nb), pending(nb)
    services.membership_verify_access_code(actor=first.user, membership=first, code=code.code)
    with pytest.raises(ApplicationError, match="already been used"):
        services.membership_verify_access_code(actor=second.user, membership=second, code=code.code)
    second.refresh_from_db()
    assert second.status == Membership.Status.PENDING
    code.refresh_from_db()
    assert code.used_by == first.user and code.used_at
    assert Membership.objects.filter(status=Membership.Status.VERIFIED).count() == 1


def test_expired_and_wrong_codes_change_nothing(nb, trustee):
    batch = services.access_code_batch_create(actor=trustee, neighbourhood=nb, label="x", count=1)
    other_nb = NeighbourhoodFactory()
    other_batch = services.access_code_batch_create(
        actor=role_holder(other_nb, Role.TRUSTEE), neighbourhood=other_nb, label="y", count=1
    )
    request = pending(nb)
    with pytest.raises(ApplicationError, match="not right for this neighbourhood"):
        services.membership_verify_access_code(
            actor=request.user, membership=request, code=other_batch.codes.get().code
        )
    with pytest.raises(ApplicationError, match="not right"):
        services.membership_verify_access_code(
            actor=request.user, membership=request, code="NOPE-NOPE"
        )
    batch.expires_at = timezone.now() - timedelta(minutes=1)
    batch.save()
    with pytest.raises(ApplicationError, match="expired"):
        services.membership_verify_access_code(
            actor=request.user, membership=request, code=batch.codes.get().code
        )
    request.refresh_from_db()
    assert request.status == Membership.Status.PENDING
    assert not AccessCode.objects.filter(used_at__isnull=False).exists()


def test_someone_else_cannot_spend_a_code_on_your_request(nb, trustee):
    batch = services.access_code_batch_create(actor=trustee, neighbourhood=nb, label="x", count=1)
    request = pending(nb)
    with pytest.raises(ForbiddenError):
        services.membership_verify_access_code(
            actor=trustee, membership=request, code=batch.codes.get().code
        )


def test_codes_are_unique_and_readable(nb, trustee):
    batch = services.access_code_batch_create(actor=trustee, neighbourhood=nb, label="x", count=200)
    codes = list(batch.codes.values_list("code", flat=True))
    assert len(set(codes)) == 200
    assert not any(ch in code for code in codes for ch in "0O1IL5S2Z")


def test_batch_size_is_bounded_and_needs_a_trustee(nb, trustee):
    with pytest.raises(ApplicationError):
        services.access_code_batch_create(actor=trustee, neighbourhood=nb, label="x", count=0)
    with pytest.raises(ForbiddenError):
        services.access_code_batch_create(
            actor=role_holder(nb, Role.FINANCE_OFFICER), neighbourhood=nb, label="x", count=1
        )


def test_making_codes_in_the_browser(client, nb, trustee):
    client.force_login(trustee)
    response = client.post(
        "/neighbourhoods/here/access-codes/", {"label": "Event", "count": 4, "valid_days": 30}
    )
    assert response.status_code == 302
    assert AccessCode.objects.filter(batch__neighbourhood=nb).count() == 4
    assert "Letters (PDF)" in client.get("/neighbourhoods/here/access-codes/").content.decode()
