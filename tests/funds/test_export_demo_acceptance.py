"""Issue 11, acceptance 2, on the real demo data (`seed_demo`): `export_360giving` validates
against the 360Giving 1.4 schema and codelists, and its CSV converts with flattentool to JSON
that equals the JSON export grant by grant."""

from __future__ import annotations

import io
import json

import flattentool
import pytest
from django.core.management import call_command

from funds.models import Fund
from tests.funds.threesixtygiving_schema import GRANT_SCHEMA, codelist_problems, package_validator

pytestmark = pytest.mark.django_db


def test_demo_data_exports_valid_360giving_that_round_trips_through_flattentool(tmp_path, settings):
    settings.DEBUG = True  # seed_demo refuses to run in production
    call_command("seed_demo", stdout=io.StringIO())
    assert Fund.objects.exists()
    json_path, flat = tmp_path / "grants.json", tmp_path / "flat"
    flat.mkdir()
    call_command("export_360giving", "--output", str(json_path))
    call_command("export_360giving", "--format", "csv", "--output", str(flat / "grants.csv"))

    package = json.loads(json_path.read_text(encoding="utf-8"))
    assert len(package["grants"]) > Fund.objects.count()  # the funds and their grants
    assert list(package_validator().iter_errors(package)) == []
    assert codelist_problems(package) == []

    out = tmp_path / "unflattened.json"
    flattentool.unflatten(
        str(flat),
        input_format="csv",
        output_name=str(out),
        root_list_path="grants",
        schema=str(GRANT_SCHEMA),
        convert_titles=True,
    )
    unflattened = json.loads(out.read_text(encoding="utf-8"))["grants"]
    assert len(unflattened) == len(package["grants"])
    for ours, theirs in zip(package["grants"], unflattened, strict=True):
        assert theirs == ours, ours["id"]
