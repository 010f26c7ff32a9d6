"""Open data: export_pb recounts identically with pabutools for every rule a round can use;
import_pb loads real elections as closed rounds that the app counts the way the city did."""

from __future__ import annotations

import random

import pytest
from django.core.management import CommandError, call_command
from pabutools.election import Cost_Sat, parse_pabulib
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
    sequential_phragmen,
)

from tests.factories import NeighbourhoodFactory, trustee
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import Ballot, VoteRound
from voting.services import round_count, round_export_pabulib

from .shared_pabulib import DATA_DIR, require_data

pytestmark = pytest.mark.django_db

SHARED = DATA_DIR
# Skips locally without ../shared/pabulib; FAILS when CI is set (see shared_pabulib).
needs_shared = pytest.mark.usefixtures("shared_pabulib_required")


@pytest.fixture
def shared_pabulib_required():
    require_data()


def _pabutools(rule, path):
    instance, profile = parse_pabulib(str(path))
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)
    elif rule == "mes_add1":
        outcome = method_of_equal_shares(
            instance, profile, sat_class=Cost_Sat, voter_budget_increment=1
        )
    elif rule == "mes_add1_greedy":
        outcome = completion_by_rule_combination(
            instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": Cost_Sat, "voter_budget_increment": 1}, {"sat_class": Cost_Sat}],
        )
    else:
        outcome = sequential_phragmen(instance, profile)
    return sorted(int(p.name) for p in outcome)


@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("rule", ["greedy", "mes_add1", "mes_add1_greedy", "phragmen"])
def test_export_recounts_the_same_with_pabutools(rule, seed, tmp_path):
    # given: a counted round with random approval ballots (costs with pence)
    rng = random.Random(seed)
    costs = [rng.randrange(5_000, 40_000, 25) for _ in range(7)]
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(
        place,
        costs=costs,
        amount_pence=90_050,
        ballot_method="k_approval",
        max_choices=4,
        counting_rule=rule,
        status="closed",
    )
    ids = proposal_ids(pot)
    for _ in range(40):
        chosen = rng.sample(ids, rng.randint(1, 4))
        Ballot.objects.create(round=round, pot=pot, channel="online", choices=sorted(chosen))
    round_count(actor=trustee(place), round=round)
    # when
    path = tmp_path / "out.pb"
    call_command("export_pb", str(round.pk), "--output", str(path))
    # then
    assert _pabutools(rule, path) == pot.result.winners


def test_export_is_anonymous():
    round, pot = round_with_pot(status="closed")
    a = proposal_ids(pot)[0]
    for _ in range(3):
        Ballot.objects.create(round=round, pot=pot, channel="online", choices=[a])
    first = round_export_pabulib(round=round)
    second = round_export_pabulib(round=round)
    votes = first.split("VOTES")[1].splitlines()
    assert votes[1] == "voter_id;vote"
    voter_ids = [line.split(";")[0] for line in votes[2:]]
    assert len(set(voter_ids)) == 3
    assert not set(voter_ids) & {
        line.split(";")[0] for line in second.split("VOTES")[1].splitlines()
    }
    for word in ("age", "sex", "email", "voted_at"):
        assert f"\n{word};" not in first and f";{word}" not in first.split("VOTES")[1]


def test_import_refuses_a_malformed_file_with_the_line(tmp_path):
    place = NeighbourhoodFactory()
    bad = tmp_path / "bad.pb"
    bad.write_text(
        "META\nkey;value\nbudget;100\nvote_type;approval\nPROJECTS\nproject_id;cost\n1;50\n"
        "VOTES\nvoter_id;vote\nv1;1\nv2;7\n"
    )
    with pytest.raises(CommandError, match="Line 11: voter v2 votes for unknown project 7"):
        call_command("import_pb", str(bad), "--neighbourhood", place.slug)
    assert not VoteRound.objects.exists()


def test_import_reports_recount_warnings(tmp_path, capsys):
    place = NeighbourhoodFactory()
    path = tmp_path / "warn.pb"
    path.write_text(
        "META\nkey;value\nbudget;100\nvote_type;approval\nrule;greedy\nPROJECTS\n"
        "project_id;cost;votes\n1;50;5\n2;60;1\nVOTES\nvoter_id;vote\nv1;1\nv2;1,2\n"
    )
    call_command("import_pb", str(path), "--neighbourhood", place.slug)
    assert "project 1" in capsys.readouterr().err
    round = VoteRound.objects.get()
    assert round.status == "closed" and round.imported
    assert round.pots.get().amount_pence == 10_000
    titles = list(round.pots.get().items.values_list("proposal__title", flat=True))
    assert titles == ["[Imported] Project 1", "[Imported] Project 2"]


@needs_shared
@pytest.mark.parametrize(
    "name",
    [
        "Netherlands_Assen_2024.pb",
        "France_Toulouse_2019.pb",
        "Poland_Krakow_2023_Nowa_Huta.pb",
    ],
)
def test_imported_city_election_counts_to_what_the_city_funded(name):
    """Assen (Method of Equal Shares, Add1) and Toulouse (greedy by points), through import,
    the app's own count and the stored result: the engine's city rule, and what the city funded
    where the file says (Toulouse's file has no `selected` column)."""
    from voting.counting import parse_pabulib as parse
    from voting.counting import tally

    place = NeighbourhoodFactory()
    call_command("import_pb", str(SHARED / name), "--neighbourhood", place.slug)
    round = VoteRound.objects.get()
    election = parse(SHARED / name)
    round_count(actor=trustee(place), round=round)
    pot = round.pots.get()
    assert pot.result.ballots_counted == election.num_voters
    number_of = {i.proposal_id: i.number for i in pot.items.all()}
    project_ids = list(election.projects)
    won = {project_ids[number_of[w] - 1] for w in pot.result.winners}
    assert won == set(tally(election, "city").winners)
    if any("selected" in p.extra for p in election.projects.values()):
        selected = {p.id for p in election.projects.values() if p.extra.get("selected") == "1"}
        assert won == selected
