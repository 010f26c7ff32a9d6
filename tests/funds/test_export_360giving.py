"""The 360Giving export: valid against the 1.4 schema and codelists, two levels of grants
(funder -> fund holder, fund holder -> grantee), exact amounts, a flat CSV that flattentool
turns back into the same grants, and nothing private in it."""

from __future__ import annotations

import json
from decimal import Decimal

import flattentool
import pytest
from django.core.management import call_command
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from communities.models import AreaUnit
from funds.exports import threesixtygiving as g360
from funds.models import Claim, ClaimItem, Fund, Grant
from tests.funds.export_world import (
    INDIVIDUAL_EMAIL,
    INDIVIDUAL_NAME,
    INDIVIDUAL_PENCE,
    make_export_world,
)
from tests.funds.threesixtygiving_schema import (
    GRANT_SCHEMA,
    codelist,
    codelist_problems,
    package_validator,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def export_world():
    return make_export_world()


def _export(tmp_path, fmt: str = "json") -> str:
    path = tmp_path / f"grants.{fmt}"
    call_command("export_360giving", "--output", str(path), "--format", fmt)
    return path.read_text(encoding="utf-8")


def test_demo_export_validates_against_the_schema_and_codelists(export_world, tmp_path):
    # given the demo fund and its grants; when exported by the command
    package = json.loads(_export(tmp_path))

    # then it is a valid 1.4 package whose codes are all in their codelists
    errors = [
        f"{list(e.absolute_path)}: {e.message}" for e in package_validator().iter_errors(package)
    ]
    assert errors == []
    assert codelist_problems(package) == []
    geo_types = codelist("geoCodeType.csv")
    locations = [loc for grant in package["grants"] for loc in grant["beneficiaryLocation"]]
    assert locations and all(loc["geoCodeType"] in geo_types for loc in locations)
    assert package["version"] == "1.4"
    assert len(package["grants"]) == 1 + Grant.objects.exclude(status="withdrawn").count()


def test_the_validator_does_refuse_a_broken_grant(export_world):
    # The check above means something: the same validator refuses a broken grant.
    package = g360.package()
    del package["grants"][0]["fundingOrganization"]
    package["grants"][1]["awardDate"] = "2 December 2026"
    package["grants"][2]["regrantType"] = "FRG999"
    assert len(list(package_validator().iter_errors(package))) == 2
    assert codelist_problems(package) == [
        f"{package['grants'][2]['id']}: regrantType='FRG999' not in regrantType.csv"
    ]


def test_two_levels_funder_to_holder_then_holder_to_grantees(export_world, settings):
    settings.THREESIXTYGIVING_PREFIX = "GB-CHC-1190002"
    fund = export_world.fund
    grants = {g["id"]: g for g in g360.package()["grants"]}

    top = grants[f"360G-GB-CHC-1190002-fund-{fund.pk}"]
    assert top["fundingOrganization"] == [{"id": fund.funder.org_id, "name": fund.funder.name}]
    assert top["recipientOrganization"] == [{"id": fund.holder.org_id, "name": fund.holder.name}]
    assert top["regrantType"] == "FRG010"
    assert top["amountAwarded"] == fund.total_committed_pence // 100
    assert top["plannedDates"] == [
        {"startDate": fund.starts_on.isoformat(), "endDate": fund.ends_on.isoformat()}
    ]
    for grant in Grant.objects.filter(fund=fund):
        item = grants[f"360G-GB-CHC-1190002-grant-{grant.pk}"]
        assert item["fundingOrganization"] == [{"id": fund.holder.org_id, "name": fund.holder.name}]
        assert item["relatedActivity"] == [top["id"]]
        assert item["grantProgramme"][0]["title"] == fund.name
        assert item["currency"] == "GBP"
        assert g360.pence_from_pounds(item["amountAwarded"]) == grant.amount_pence
        assert item["awardDate"] == timezone.localtime(grant.approved_at).date().isoformat()
        assert item["fromOpenCall"] == ("Yes" if grant.purpose == "project" else "No")
        assert {(loc["geoCode"], loc["geoCodeType"]) for loc in item["beneficiaryLocation"]} == {
            ("E05000001", "WD"),
            ("E01000002", "LSOA"),
        }
    assert all(key.startswith("360G-GB-CHC-1190002-") for key in grants)


def test_a_grant_to_an_individual_is_an_anonymous_individual_resident(export_world):
    grant = export_world.individual_grant
    item = next(g for g in g360.package()["grants"] if g["id"].endswith(f"-grant-{grant.pk}"))
    assert item["recipientIndividual"] == {
        "id": f"360G-commonpurse-individual-{grant.pk}",
        "name": "an individual resident",
    }
    assert "recipientOrganization" not in item
    assert item["amountAwarded"] == 1234.57


def test_proposed_funds_and_withdrawn_grants_are_not_published(export_world):
    fund = export_world.fund
    Grant.objects.filter(pk=export_world.individual_grant.pk).update(status="withdrawn")
    Fund.objects.filter(pk=fund.pk).update(status=Fund.Status.PROPOSED)
    assert g360.package()["grants"] == []
    Fund.objects.filter(pk=fund.pk).update(status=Fund.Status.ACTIVE)
    ids = {g["id"] for g in g360.package()["grants"]}
    assert f"360G-commonpurse-grant-{export_world.individual_grant.pk}" not in ids
    assert f"360G-commonpurse-fund-{fund.pk}" in ids


@given(st.integers(min_value=1, max_value=10**14))
def test_pounds_are_exact_for_any_pence(pence):
    value = g360.pounds(pence)
    assert Decimal(repr(value)) * 100 == pence
    assert json.loads(json.dumps(value)) == value
    assert Decimal(g360.pounds_text(pence)) * 100 == pence
    assert g360.pence_from_pounds(value) == pence


def test_local_authority_districts_map_to_their_codelist_type():
    cases = {"E06000001": "UA", "E07000004": "NMD", "E08000001": "MD", "E09000001": "LONB"}
    for code, expected in cases.items():
        assert g360._geo_code_type(AreaUnit(code=code, unit_type="lad")) == expected
    assert g360._geo_code_type(AreaUnit(code="E02000001", unit_type="msoa")) == "MSOA"


def _unflatten(csv_text: str, tmp_path) -> dict:
    folder = tmp_path / "flat"
    folder.mkdir()
    (folder / "grants.csv").write_text(csv_text, encoding="utf-8")
    output = tmp_path / "unflattened.json"
    flattentool.unflatten(
        str(folder),
        input_format="csv",
        output_name=str(output),
        root_list_path="grants",
        schema=str(GRANT_SCHEMA),
        convert_titles=True,
    )
    return json.loads(output.read_text(encoding="utf-8"))


def test_csv_has_the_standard_titles_and_flattentool_turns_it_back_into_the_same_grants(
    export_world, tmp_path
):
    exported = json.loads(_export(tmp_path))["grants"]
    csv_text = _export(tmp_path, "csv")
    header = csv_text.splitlines()[0].split(",")
    for title in (
        "Identifier",
        "Title",
        "Description",
        "Currency",
        "Amount Awarded",
        "Award Date",
        "Recipient Org:Identifier",
        "Recipient Org:Name",
        "Recipient Ind:Identifier",
        "Funding Org:Identifier",
        "Funding Org:Name",
        "Planned Dates:Start Date",
        "Grant Programme:Title",
        "For Regrant Type",
    ):
        assert title in header
    # Two units in the area: the location columns are numbered.
    assert "Beneficiary Location:1:Geographic Code" in header

    unflattened = _unflatten(csv_text, tmp_path)["grants"]

    assert [g["id"] for g in unflattened] == [g["id"] for g in exported]
    for ours, theirs in zip(exported, unflattened, strict=True):
        assert theirs == ours, ours["id"]
    amounts = [g360.pence_from_pounds(g["amountAwarded"]) for g in unflattened]
    assert INDIVIDUAL_PENCE in amounts


def test_csv_of_an_area_of_one_unit_uses_the_plain_location_titles(export_world, tmp_path):
    AreaUnit.objects.filter(code="E01000002").delete()
    csv_text = _export(tmp_path, "csv")
    header = csv_text.splitlines()[0].split(",")
    assert "Beneficiary Location:Geographic Code" in header
    exported = g360.package()["grants"]
    assert _unflatten(csv_text, tmp_path)["grants"] == json.loads(json.dumps(exported))


def test_public_exports_hold_no_receipt_personal_name_email_or_street_address(export_world, client):
    # given a fund with receipts on claims and a grant to a named individual
    assert ClaimItem.objects.exclude(receipt="").exists()
    fund = export_world.fund
    # when an anonymous visitor downloads every public export
    bodies = {}
    for url in (
        "/funds/open-data/360giving.json",
        "/funds/open-data/360giving.csv",
        f"/funds/{fund.pk}/open-data/360giving.json",
        f"/funds/{fund.pk}/open-data/360giving.csv",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.streaming
        assert "attachment" in response["Content-Disposition"]
        bodies[url] = b"".join(response.streaming_content).decode()
    # then none of them holds anything private
    from django.contrib.auth import get_user_model

    forbidden = {INDIVIDUAL_NAME, "Zebedee", "Quackenbush", INDIVIDUAL_EMAIL}
    for user in get_user_model().objects.all():
        forbidden |= {user.email, user.get_full_name()} | (
            {user.display_name} if user.display_name else set()
        )
    forbidden.discard("")
    for item in ClaimItem.objects.all():
        forbidden |= {item.receipt.name, item.receipt_sha256}
    for claim in Claim.objects.all():
        forbidden.add(f"receipts/{claim.grant_id}/")
    for url, body in bodies.items():
        assert "@" not in body, url
        for word in ("streetAddress", "postalCode", "Street Address", "Postal Code", "receipt"):
            assert word.lower() not in body.lower(), (url, word)
        for value in forbidden:
            assert value not in body, (url, value)
        assert "an individual resident" in body
    assert json.loads(bodies["/funds/open-data/360giving.json"]) == json.loads(
        json.dumps(g360.package())
    )


def test_public_exports_are_get_only_and_unknown_funds_are_not_found(export_world, client):
    assert client.post("/funds/open-data/360giving.json").status_code == 405
    assert client.get("/funds/999999/open-data/360giving.json").status_code == 404
    Fund.objects.filter(pk=export_world.fund.pk).update(status=Fund.Status.PROPOSED)
    assert client.get(f"/funds/{export_world.fund.pk}/open-data/360giving.csv").status_code == 404


def test_the_export_reads_a_bounded_number_of_queries_whatever_the_grants(
    export_world, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.funds.export_world import add_individual_grant

    with CaptureQueriesContext(connection) as before:
        g360.package()
    for _ in range(3):
        add_individual_grant(export_world.fund, amount_pence=1_000)
    with django_assert_max_num_queries(len(before.captured_queries)):
        grants = g360.package()["grants"]
    assert len(grants) == 1 + Grant.objects.count()
