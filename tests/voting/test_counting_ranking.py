"""Ranking ballots score positional points k, k-1, ..., 1 against the ROUND's k (the most
proposals a ballot may rank), not the ballot's own length: a shorter ballot counts as much per
position. The export says so and recounts with ``tally_pb --rule city``; the results page names
the rule and the tool (RULINGS.md, Votes)."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import trustee
from tests.voting.factories import proposal_ids, round_with_pot
from voting.counting import Election, Project, parse_pabulib, tally
from voting.counting_adapter import recount_note
from voting.models import Ballot
from voting.services import round_count, round_export_pabulib


def test_engine_scores_ranks_against_the_given_k():
    election = Election.from_ballots(
        budget=10,
        projects=[Project("a", 10), Project("b", 10), Project("c", 10)],
        vote_type="ordinal",
        ballots=[["a"], ["b", "c"]],
    )

    assert election.positional_scores(3) == {"a": 3, "b": 3, "c": 2}


def test_engine_takes_k_from_the_files_max_length():
    election = Election.from_ballots(
        budget=10,
        projects=[Project("a", 10), Project("b", 10)],
        vote_type="ordinal",
        ballots=[["a"], ["b", "a"]],
        meta={"max_length": "3"},
    )

    outcome = tally(election, "city", rule_meta="greedy")

    assert outcome.scores == {"a": 5, "b": 3}


def _ranking_round(**options):
    round, pot = round_with_pot(
        costs=(300_000, 300_000, 300_000),
        amount_pence=300_000,
        ballot_method="ranking",
        max_choices=3,
        status="closed",
        **options,
    )
    return round, pot, proposal_ids(pot)


def _cast(round, pot, ballots):
    for choices in ballots:
        Ballot.objects.create(round=round, pot=pot, channel="online", choices=choices)


@pytest.mark.django_db
def test_a_ballot_ranking_one_proposal_gives_it_k_points():
    # given: two voters rank only a; three rank b then c (one of them c then b)
    round, pot, (a, b, c) = _ranking_round()
    _cast(round, pot, [[a], [a], [b, c], [b, c], [c, b]])

    # when
    round_count(actor=trustee(round.neighbourhood), round=round)

    # then: a 3+3 = 6; b 3+3+2 = 8; c 2+2+3 = 7 (by ballot length it would be a 2, b 5, c 4)
    pot.refresh_from_db()
    assert pot.result.scores == {str(a): "6", str(b): "8", str(c): "7"}
    assert pot.result.winners == [b]


@pytest.mark.django_db
def test_short_ballots_are_not_worth_less():
    # given: three voters rank only a; two rank b, c, a
    round, pot, (a, b, c) = _ranking_round()
    _cast(round, pot, [[a], [a], [a], [b, c, a], [b, c, a]])

    round_count(actor=trustee(round.neighbourhood), round=round)

    # then: a 3*3 + 1*2 = 11 beats b 3*2 = 6 (by ballot length a would have 5 and lose to 6)
    pot.refresh_from_db()
    assert pot.result.winners == [a]


@pytest.mark.django_db
def test_export_says_how_ranks_score_and_recounts_with_tally_pb_city(tmp_path, capsys):
    # given: a counted ranking round with short ballots
    round, pot, (a, b, c) = _ranking_round()
    _cast(round, pot, [[a], [a], [a], [b, c, a], [b, c, a]])
    round_count(actor=trustee(round.neighbourhood), round=round)
    pot.refresh_from_db()

    # when
    text = round_export_pabulib(round=round, pot=pot)
    path = tmp_path / "round.pb"
    path.write_text(text, encoding="utf-8")
    call_command("tally_pb", str(path), "--rule", "city")

    # then: the META carries k and says how it is used; the recount funds the same proposals
    election = parse_pabulib(text)
    assert election.meta["max_length"] == "3"
    assert "tally_pb" in election.meta["comment"]
    assert "--rule city" in election.meta["comment"]
    recount = json.loads(capsys.readouterr().out)
    assert [int(w) for w in recount["winners"]] == pot.result.winners == [a]


@pytest.mark.django_db
def test_results_page_names_the_rule_and_the_tool_that_reproduce_it(client):
    round, pot, (a, b, c) = _ranking_round()
    _cast(round, pot, [[a], [b, c, a]])
    round_count(actor=trustee(round.neighbourhood), round=round)
    round.status = "results_published"
    round.save()

    page = client.get(reverse("voting:results", args=[round.pk])).content.decode()

    assert "tally_pb FILE.pb --rule city" in page
    assert "k, k-1, ..., 1 points against the vote&#x27;s k" in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"ballot_method": "k_approval", "max_choices": 2}, "greedy_utilitarian_welfare"),
        (
            {"ballot_method": "k_approval", "max_choices": 2, "counting_rule": "mes_add1"},
            "method_of_equal_shares, Cost_Sat, voter_budget_increment=1",
        ),
        (
            {"ballot_method": "k_approval", "max_choices": 2, "counting_rule": "phragmen"},
            "sequential_phragmen",
        ),
    ],
)
def test_pabutools_rules_name_the_pabutools_call(options, expected):
    round, pot = round_with_pot(**options)

    note = recount_note(round)

    assert "pabutools 1.2.3" in note
    assert expected in note
