"""Every rule matches pabutools 1.2.3's recorded winners and total cost on the shared Pabulib
elections.
"""

import json
from fractions import Fraction
from functools import cache

import pytest

from voting.counting import parse_pabulib, tally

from .shared_pabulib import DATA_DIR, EXPECTED, require_data

# expected.json rule key -> our rule id
RULE_IDS = {
    "greedy_cost": "greedy",
    "greedy_cardinality": "greedy-per-cost",
    "greedy_cardinal_points": "greedy-points",
    "mes_cost": "mes",
    "mes_cost_multiprofile": "mes",
    "mes_cost_add1": "mes-add1",
    "mes_cost_add1_greedy": "mes-add1-greedy",
    "mes_cardinality": "mes-cardinality",
    "mes_cardinality_add1": "mes-cardinality-add1",
    "mes_cardinal_points": "mes-points",
    "seq_phragmen": "phragmen",
    "mes_cost_add1_greedy_popularity_vs_greedy_cost": "mes-add1-greedy-vs-greedy",
}
# Not reproduced: max_welfare_cost (an exact knapsack; ties depend on the solver) and
# reference_city_rule
# (tested against the files' selected column in test_counting_city.py instead).


def _cases():
    if not EXPECTED.exists():
        # One case that skips locally and FAILS when CI is set (require_data).
        return [pytest.param(None, None, None, id="no-shared-data")]
    instances = json.loads(EXPECTED.read_text())["instances"]
    cases = []
    for file_name, instance in instances.items():
        for key, result in instance["rules"].items():
            if key in RULE_IDS and "winners" in result:
                cases.append(pytest.param(file_name, key, result, id=f"{file_name}-{key}"))
    return cases


@cache
def _election(file_name):
    return parse_pabulib(DATA_DIR / file_name)


@cache
def _tally(file_name, rule):
    return tally(_election(file_name), rule)


@pytest.mark.parametrize(("file_name", "key", "expected"), _cases())
def test_rule_matches_pabutools(file_name, key, expected):
    require_data()
    outcome = _tally(file_name, RULE_IDS[key])

    assert outcome.winners == expected["winners"]
    assert outcome.as_json()["total_cost"] == expected["total_cost"]


def test_every_file_parses_like_pabutools_counts_it():
    require_data()
    instances = json.loads(EXPECTED.read_text())["instances"]
    for file_name, instance in instances.items():
        election = _election(file_name)
        metadata = instance["metadata"]
        assert election.num_voters == metadata["voters"]
        assert len(election.projects) == metadata["projects"]
        assert election.budget == Fraction(metadata["budget_exact"])
