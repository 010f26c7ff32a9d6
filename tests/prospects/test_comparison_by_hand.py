"""A small case worked by hand: the population-weighted area figure (one unit half inside),
the comparison group (same unit type, outside, unfunded, nearest standardised baseline, ties
by code) and the difference-in-differences with the group's spread."""

from __future__ import annotations

import math
from statistics import pstdev

import pytest

from prospects.analysis import difference_in_differences, nearest
from prospects.selectors import neighbourhood_prospects
from prospects.services import unit_share_set
from tests.factories import NeighbourhoodFactory, UserFactory

from .factories import declare, fund_for, load

pytestmark = pytest.mark.django_db

EMP, CLA = "employment_rate", "claimant_rate"


def _world():
    declare()
    nb = NeighbourhoodFactory(name="Hand Case", units=["E05000001", "E05000002"])
    fund_for(nb)  # starts 1 January 2021: the baseline is 2020, the last year before it
    admin = UserFactory(is_platform_admin=True, mfa=True)
    unit_share_set(actor=admin, neighbourhood=nb, code="E05000002", percent=50)
    other = NeighbourhoodFactory(units=["E05000009"])
    fund_for(other)  # funded: never a comparison area
    rows = [
        # The neighbourhood's units: population 1000 and 2000 (half inside) weigh the same.
        ("E05000001", "population", 2020, 1000),
        ("E05000002", "population", 2020, 2000),
        ("E05000001", EMP, 2020, 60),
        ("E05000001", EMP, 2022, 66),
        ("E05000002", EMP, 2020, 50),
        ("E05000002", EMP, 2022, 52),
        ("E05000001", CLA, 2020, 5),
        ("E05000001", CLA, 2022, 4),
        ("E05000002", CLA, 2020, 7),
        ("E05000002", CLA, 2022, 7),
        # Candidates at the 2020 baseline (employment, claimant):
        ("E05000003", EMP, 2020, 55),
        ("E05000003", CLA, 2020, 6),
        ("E05000004", EMP, 2020, 56),
        ("E05000004", CLA, 2020, 6),
        ("E05000005", EMP, 2020, 54),
        ("E05000005", CLA, 2020, 6.5),
        ("E05000006", EMP, 2020, 70),
        ("E05000006", CLA, 2020, 2),
        ("E05000007", EMP, 2020, 40),
        ("E05000007", CLA, 2020, 10),
        ("E05000008", EMP, 2020, 55),
        ("E05000008", CLA, 2020, 6),
        # An exact match that is funded, and one of another unit type: both left out.
        ("E05000009", EMP, 2020, 55),
        ("E05000009", CLA, 2020, 6),
        ("E01000001", EMP, 2020, 55),
        ("E01000001", CLA, 2020, 6),
        # 2022 for the chosen three.
        ("E05000003", EMP, 2022, 56),
        ("E05000008", EMP, 2022, 58),
        ("E05000004", EMP, 2022, 58),
        ("E05000003", CLA, 2022, 6),
        ("E05000008", CLA, 2022, 5),
        ("E05000004", CLA, 2022, 6.5),
    ]
    load(rows)
    return nb


def test_the_figures_match_a_hand_computation():
    nb = _world()

    result = neighbourhood_prospects(neighbourhood=nb, k=3)

    # Area figure: weights 1000 x 100% and 2000 x 50% are equal, so a plain mean.
    assert result.baseline == 2020
    assert [(u.code, u.percent, u.partly) for u in result.units] == [
        ("E05000001", 100, False),
        ("E05000002", 50, True),
    ]
    emp = next(i for i in result.indicators if i.indicator.key == EMP)
    cla = next(i for i in result.indicators if i.indicator.key == CLA)
    assert emp.area == {2020: 55.0, 2022: 59.0}
    assert cla.area == {2020: 6.0, 2022: 5.5}

    # Comparison: C3 and C8 are exact matches (distance 0; C3 first by code), then C4, one
    # employment point away, standardised by the six candidates' spread.
    emp_sd = pstdev([55, 56, 54, 70, 40, 55])
    assert [c.code for c in result.comparisons] == ["E05000003", "E05000008", "E05000004"]
    assert [round(c.distance, 6) for c in result.comparisons] == [0, 0, round(1 / emp_sd, 6)]
    assert result.comparisons[0].distance == 0

    # Employment: area +4; group +1, +3, +2 (mean 2); DiD 2; spread 1 to 3, sd sqrt(2/3).
    assert emp.did.baseline == 2020 and emp.did.after == 2022
    assert emp.did.area_change == 4
    assert emp.did.group_change == 2
    assert emp.did.did == 2
    assert (emp.did.group_low, emp.did.group_high) == (1, 3)
    assert math.isclose(emp.did.group_sd, math.sqrt(2 / 3))
    assert emp.group_mean == {2020: 55 + 1 / 3, 2022: 57 + 1 / 3}
    # Claimant count: area -0.5; group 0, -1, +0.5 (mean -1/6); DiD -1/3.
    assert math.isclose(cla.did.did, -0.5 + 1 / 6)
    assert (cla.did.group_low, cla.did.group_high) == (-1, 0.5)


def test_the_choice_is_reproducible():
    nb = _world()
    first = neighbourhood_prospects(neighbourhood=nb, k=3)
    second = neighbourhood_prospects(neighbourhood=nb, k=3)
    assert [c.code for c in first.comparisons] == [c.code for c in second.comparisons]


def test_default_k_is_five():
    nb = _world()
    result = neighbourhood_prospects(neighbourhood=nb)
    assert result.k == 5
    assert [c.code for c in result.comparisons] == [
        "E05000003",
        "E05000008",
        "E05000004",
        "E05000005",
        "E05000006",
    ]


def test_nearest_standardises_and_breaks_ties_by_code():
    candidates = {"B": {"x": 10, "y": 100}, "A": {"x": 10, "y": 100}, "C": {"x": 20, "y": 100}}
    # y has no spread among candidates: it cannot separate them and is skipped.
    assert [code for code, _ in nearest({"x": 10, "y": 500}, candidates, k=2)] == ["A", "B"]
    # A candidate missing a matching indicator is left out.
    assert [c for c, _ in nearest({"x": 10}, {"A": {}, "B": {"x": 11}}, k=5)] == ["B"]


def test_no_difference_in_differences_without_both_years_for_every_area():
    assert (
        difference_in_differences({2020: 1, 2022: 2}, {"A": {2020: 1}}, baseline=2020, after=2022)
        is None
    )
    did = difference_in_differences(
        {2020: 1, 2022: 2}, {"A": {2020: 1, 2022: 1.5}}, baseline=2020, after=2022
    )
    assert did.did == 0.5


def test_the_page_says_a_unit_is_only_partly_inside_and_shows_the_comparison(client):
    nb = _world()
    response = client.get(f"/prospects/{nb.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "E05000002 (only partly inside: 50% of its population counted)" in html
    for code in ("E05000003", "E05000008", "E05000004"):
        assert code in html
    assert "a comparison, not proof of cause" in html.lower()
    assert "<svg" in html and "<script" not in html
