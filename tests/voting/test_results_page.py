"""The results page for residents (issue 13): named chart bars, tables that fit a 320 px screen,
turnout shown once (by way of voting, as a share of eligible members), spoilt papers, the
certifying trustees, small counts hidden in breakdowns about people (scores in full), the .pb
file only from 10 ballots, and the counting rule in plain English with the technical detail
under "For checkers"."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import MembershipFactory, NeighbourhoodFactory, healthy_partnership, resident
from tests.factories import trustee as make_trustee
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot
from voting.selectors import suppressed_breakdown
from voting.services import (
    ballot_cast,
    round_certify,
    round_count,
    round_publish_results,
)

pytestmark = pytest.mark.django_db


def _published(voters: int, *, extra_members=(), older_voters: int = 0, **options):
    """A round cast by `voters` residents (a, ab, c, ac, ...), counted, certified by two
    trustees and published. Returns (round, pot, [all trustees, the two certifiers last])."""
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place, costs=(300_000, 400_000, 500_000), **options)
    a, b, c = proposal_ids(pot)
    pattern = [[a], [a, b], [c], [a, c]]
    for i in range(voters):
        age = {"age_band": "65_plus"} if i < older_voters else {}
        ballot_cast(actor=resident(place, **age), pot=pot, choices=pattern[i % len(pattern)])
    for kwargs in extra_members:
        MembershipFactory(neighbourhood=place, **kwargs)
    round.status = "closed"
    round.save()
    added = healthy_partnership(place)
    chair, second = make_trustee(place), make_trustee(place)
    round_count(actor=chair, round=round)
    round_certify(actor=chair, round=round)
    round_certify(actor=second, round=round)
    round.refresh_from_db()
    round_publish_results(actor=chair, round=round)
    pot.refresh_from_db()
    return round, pot, [*added, chair, second]


def _page(client, round) -> str:
    response = client.get(reverse("voting:results", args=[round.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_chart_bars_carry_the_proposal_names_in_text_and_in_words(client):
    round, pot, _ = _published(6)
    page = _page(client, round)
    svg = page[page.index("<svg") : page.index("</svg>")]
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg, re.S).group(1)
    for item in pot.items.select_related("proposal"):
        title = item.proposal.title
        assert f">{title}</text>" in svg  # the name printed beside its bar
        assert title in desc
    labelled = re.search(r'aria-labelledby="([^"]+)"', svg).group(1).split()
    assert any(i.endswith("-desc") for i in labelled)


def test_tables_scroll_in_focusable_labelled_regions(client):
    round, _, _ = _published(6)
    page = _page(client, round)
    tables = page.count("<table")
    regions = re.findall(
        r'<div class="table-scroll" role="region" tabindex="0" aria-label="[^"]+">\s*<table', page
    )
    assert tables >= 2 and len(regions) == tables


def test_turnout_is_a_share_of_eligible_members_and_trustees_are_named(client):
    # 6 voters, the trustees (members who live there too) and 4 more residents could vote;
    # 2 members who only work there and 1 under the age limit could not
    round, pot, trustees = _published(
        6,
        extra_members=[{}] * 4 + [{"connection": "works"}] * 2 + [{"age_band": "16_17"}],
        eligible_connections=["lives"],
        min_age_band="18_24",
    )
    eligible = 6 + len(trustees) + 4
    assert pot.result.turnout["eligible"] == eligible
    page = _page(client, round)
    # one presentation of turnout: the round's table by way of voting, with the share of
    # eligible members; no second per-pot turnout line or per-pot channel table
    assert page.count("Who voted, and how") == 1
    assert "members who could vote did so" not in page
    assert "Voters by way of voting in" not in page
    assert f"{eligible} members can vote" in page
    total = page[page.index('<th scope="row">All channels</th>') :]
    percent = f"{600 / eligible:.1f}%"
    assert total.startswith(
        f'<th scope="row">All channels</th><td class="num">6</td><td class="num">{percent}</td>'
    )
    section = page[page.index('id="certified-by"') :]
    for t in trustees[-2:]:
        assert t.public_name in section


def test_breakdowns_hide_small_counts_and_one_more_when_only_one_is_small():
    assert suppressed_breakdown([("Online", 40), ("On paper", 3)]) == [
        ("Online", "not shown"),
        ("On paper", "fewer than 5"),
    ]
    assert suppressed_breakdown([("A", 40), ("B", 12), ("C", 3)]) == [
        ("A", "40"),
        ("B", "not shown"),
        ("C", "fewer than 5"),
    ]
    assert suppressed_breakdown([("A", 40), ("B", 2), ("C", 3)]) == [
        ("A", "40"),
        ("B", "fewer than 5"),
        ("C", "fewer than 5"),
    ]
    assert suppressed_breakdown([("A", 40), ("B", 7)]) == [("A", "40"), ("B", "7")]
    assert suppressed_breakdown([("A", 3)]) == [("A", "fewer than 5")]


def test_scores_are_shown_in_full_while_small_breakdowns_are_hidden(client):
    # 8 voters: 2 aged 65 or over, 6 aged 35 to 49
    round, pot, _ = _published(8, older_voters=2)
    a, b, c = proposal_ids(pot)
    # scores: a 6 (ballots a, ab, c, ac, a, ab, c, ac), b 2, c 4 (the 2 older voters: a, ab)
    assert pot.result.scores == {str(a): "6", str(b): "2", str(c): "4"}
    page = _page(client, round)
    scores = page[page.index("highest score first</caption>") :]
    table = scores[scores.index("<tbody>") : scores.index("</tbody>")]
    for score in ("6", "2", "4"):
        assert f'<td class="num">{score}</td>' in table  # scores under 5 in full
    ages = page[page.index("Voters by age band") :]
    ages = ages[: ages.index("</table>")]
    assert '65 or over</th><td class="num">fewer than 5</td>' in ages
    # the only other band is "not shown", or 8 - 6 would give the hidden 2 away
    assert '35 to 49</th><td class="num">not shown</td>' in ages
    assert "Ballots counted: 8." in page


def test_pb_file_is_withheld_under_ten_ballots_and_the_page_says_why(client):
    round, pot, _ = _published(9)
    page = _page(client, round)
    assert "not published, because it has fewer than 10 ballots" in page
    url = reverse("voting:export_pb", args=[round.pk, pot.pk])
    assert url not in page
    response = client.get(url)
    assert response.status_code == 404 and b"fewer than 10 ballots" in response.content


def test_pb_file_is_published_from_ten_ballots(client):
    round, pot, _ = _published(10)
    page = _page(client, round)
    url = reverse("voting:export_pb", args=[round.pk, pot.pk])
    assert url in page and "fewer than 10 ballots" not in page
    response = client.get(url)
    assert response.status_code == 200 and response.content.startswith(b"META")


@pytest.mark.parametrize("rule", ["mes_add1", "mes_add1_greedy", "greedy"])
def test_rule_in_plain_english_technical_detail_only_for_checkers(client, rule):
    round, _, _ = _published(6, ballot_method="k_approval", max_choices=2, counting_rule=rule)
    page = _page(client, round)
    details = page[page.index('<details class="for-checkers">') : page.index("</details>")]
    resident_part = page.replace(details, "")
    assert "Add1" not in resident_part and "pabutools" not in resident_part.lower()
    assert "tally_pb" in details
    if rule.startswith("mes"):
        assert "The Method of Equal Shares gives every voter an equal share of the pot" in page
    detail = client.get(reverse("voting:round_detail", args=[round.pk])).content.decode()
    assert "Add1" not in detail and "pabutools" not in detail.lower()


def test_spoilt_papers_are_shown_for_paper_rounds(client):
    round, pot, _ = _published(6, channel_paper=True)
    page = _page(client, round)
    assert "Spoilt paper ballots (not counted): none." in page
    assert not Ballot.objects.filter(choices__isnull=True).exists()


def test_results_page_queries_are_bounded(client, django_assert_max_num_queries):
    round, _, _ = _published(6)
    with django_assert_max_num_queries(12):
        _page(client, round)
