"""The public prospects page on the demo data: every demo neighbourhood shows its comparison
areas and a difference-in-differences figure per indicator, inline SVG charts (no script, no
style attribute), spend by theme from the ledger, and a CSV of every series; bounded queries."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command

from communities.models import Neighbourhood
from prospects.models import POPULATION_KEY, Indicator
from prospects.selectors import neighbourhood_prospects
from prospects.views import THEMES
from tests.factories import NeighbourhoodFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True  # seed_demo refuses to run in production
    call_command("seed_demo", stdout=io.StringIO())


def test_each_demo_neighbourhood_shows_comparison_areas_and_a_did_per_indicator(demo, client):
    shown = [i for i in Indicator.objects.all() if i.key != POPULATION_KEY]
    assert len(shown) >= 5
    for nb in Neighbourhood.objects.filter(slug__in=["hollin-bank", "riverside-park"]):
        data = neighbourhood_prospects(neighbourhood=nb)
        assert len(data.comparisons) == 5
        assert all(item.did is not None for item in data.indicators), nb
        html = client.get(f"/prospects/{nb.slug}/").content.decode()
        for comparison in data.comparisons:
            assert comparison.code in html
        assert html.count("Difference-in-differences ") == len(shown)
        assert html.count("<svg") >= len(shown)
        assert "style=" not in html and "<script>" not in html


def test_spend_by_theme_comes_from_the_ledger_and_every_series_is_in_the_csv(demo, client):
    nb = Neighbourhood.objects.get(slug="hollin-bank")
    data = neighbourhood_prospects(neighbourhood=nb)
    assert data.spend  # the demo fund has paid grants
    html = client.get(f"/prospects/{nb.slug}/").content.decode()
    assert "What the fund has paid for" in html
    for _year, theme, _pence in data.spend:
        assert THEMES[theme] in html
    response = client.get(f"/prospects/{nb.slug}/prospects.csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    sections = {(r["section"], r["series"]) for r in rows}
    for item in data.indicators:
        assert ("indicator", item.indicator.key) in sections
        assert ("difference_in_differences", item.indicator.key) in sections
        for comparison in data.comparisons:
            assert any(
                r["area_code"] == comparison.code and r["series"] == item.indicator.key
                for r in rows
            )
    for year, theme, pence in data.spend:
        assert {
            "section": "spend",
            "series": theme,
            "year": str(year),
            "value": str(pence),
        }.items() <= next(
            r
            for r in rows
            if r["section"] == "spend" and r["series"] == theme and r["year"] == str(year)
        ).items()
    # The demo survey has 8 answers: suppressed everywhere.
    assert any(r["note"] == "suppressed: fewer than 10 answers" for r in rows)
    assert not any(r["series"] == "answers" for r in rows)


def test_the_page_has_a_fixed_number_of_queries(demo, client, django_assert_num_queries):
    # One per question (neighbourhood, fund, units, shares, indicators, own values, funded
    # units, candidates, names, group values, releases, survey, spend), whatever the data.
    with django_assert_num_queries(13):
        assert client.get("/prospects/hollin-bank/").status_code == 200


def test_a_draft_neighbourhood_has_no_public_prospects_page(client):
    nb = NeighbourhoodFactory(status=Neighbourhood.Status.DRAFT)
    assert client.get(f"/prospects/{nb.slug}/").status_code == 404
    assert client.get(f"/prospects/{nb.slug}/prospects.csv").status_code == 404


def test_a_page_without_data_explains_itself(client):
    nb = NeighbourhoodFactory()
    html = client.get(f"/prospects/{nb.slug}/").content.decode()
    assert "No indicators are loaded yet." in html
    assert "Nothing has been paid out yet." in html


def test_only_a_platform_admin_sets_a_unit_share():
    from config.errors import ForbiddenError
    from prospects.services import unit_share_set

    nb = NeighbourhoodFactory(units=["E05000001"])
    with pytest.raises(ForbiddenError):
        unit_share_set(actor=UserFactory(mfa=True), neighbourhood=nb, code="E05000001", percent=40)


def test_the_csv_defuses_a_name_a_spreadsheet_would_run_as_a_formula(client):
    from .factories import declare, load

    declare()
    nb = NeighbourhoodFactory(name="=HYPERLINK(1)", units=["E05000001"])
    load([("E05000001", "employment_rate", 2020, 60)])
    body = client.get(f"/prospects/{nb.slug}/prospects.csv").content.decode()
    assert "'=HYPERLINK(1)" in body
    assert ",=HYPERLINK" not in body
