"""Money typed in pounds becomes pence at the edge; org-ids are validated."""

from __future__ import annotations

import pytest

from config.errors import ApplicationError, ForbiddenError
from funds import services
from funds.models import Organisation
from funds.money import MoneyInputError, format_pounds, parse_pounds


@pytest.mark.parametrize(
    ("text", "pence"),
    [("1", 100), ("1.5", 150), ("1.05", 105), ("£1,500,000.00", 150_000_000), (" 12.30 ", 1230)],
)
def test_pounds_parse_to_pence(text, pence):
    assert parse_pounds(text) == pence


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1.005", "two decimal places"),
        ("0", "more than £0"),
        ("0.00", "more than £0"),
        ("-5", "more than £0"),
        ("five pounds", "in pounds"),
        ("1e3", "in pounds"),
        ("", "in pounds"),
        ("1,50", "in pounds"),
    ],
)
def test_bad_amounts_are_refused_in_plain_english(text, message):
    with pytest.raises(MoneyInputError, match=message):
        parse_pounds(text)


def test_format_pounds():
    assert format_pounds(150_000_050) == "£1,500,000.50"
    assert format_pounds(-5) == "-£0.05"


@pytest.mark.parametrize(
    "org_id", ["GB-CHC-1234567", "GB-CHC-123456", "GB-COH-01234567", "GB-COH-SC123456"]
)
def test_valid_org_ids(world, org_id):
    org = services.organisation_create(
        actor=world.finance, name="Acme", kind=Organisation.Kind.GRANTEE, org_id=org_id
    )
    assert org.org_id == org_id


@pytest.mark.parametrize(
    "org_id", ["GB-CHC-12", "GB-COH-123", "US-EIN-123456789", "GB-CHC-12345678", "1234567"]
)
def test_invalid_org_ids_are_refused(world, org_id):
    with pytest.raises(ApplicationError, match="org-id"):
        services.organisation_create(
            actor=world.finance, name="Acme", kind=Organisation.Kind.GRANTEE, org_id=org_id
        )


def test_org_id_must_match_the_charity_number(world):
    with pytest.raises(ApplicationError, match="does not match"):
        services.organisation_create(
            actor=world.finance,
            name="Acme",
            kind=Organisation.Kind.GRANTEE,
            org_id="GB-CHC-1234567",
            charity_number="7654321",
        )


def test_residents_cannot_add_organisations(db):
    from tests.factories import UserFactory

    with pytest.raises(ForbiddenError):
        services.organisation_create(
            actor=UserFactory(mfa=True), name="Acme", kind="grantee", org_id="GB-CHC-1234567"
        )
