"""Issue 9, point 7: the app counts exactly. ``voting.counting_adapter.count`` (what
``round_count`` runs) decides every comparison in exact rationals, with the same backend (gmpy2)
in production and in tests; and on every shared election that exact production path funds the
same projects as the engine's float fast path (``tally_pb``, the bench) and as pabutools 1.2.3's
recorded (exact) outcome.

The suite runs twice in CI (SQLite, then PostgreSQL). Exact Add1 on the larger files takes
seconds (Toulouse, Amsterdam, Wieliczka) to about a minute (Warszawa 2023 Mokotow: 349 Add1
counts); those run in the PostgreSQL pass only, never skipped there, and a missing data folder
fails when CI is set.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from pathlib import Path

import gmpy2
import pytest
from django.db import connection

from voting.counting import Election, Project, parse_pabulib, tally
from voting.counting import mes as mes_module
from voting.counting import rules as rules_module
from voting.counting_adapter import RuleChoice, count, rule_for
from voting.models import BallotMethod, CountingRule, VoteRound

from .shared_pabulib import DATA_DIR, EXPECTED, have_data, require_data

# Every engine rule a round can be counted with (voting.counting_adapter.rule_for).
PRODUCTION_RULES = ("greedy", "mes-add1", "mes-add1-greedy", "phragmen", "city")
PABUTOOLS_KEYS = {
    "greedy": "greedy_cost",
    "mes-add1": "mes_cost_add1",
    "mes-add1-greedy": "mes_cost_add1_greedy",
    "phragmen": "seq_phragmen",
}
# Exact Add1 counts taking over about a second on this hardware: PostgreSQL pass only.
SLOW = {
    "France_Toulouse_2019.pb",
    "Netherlands_Amsterdam_285.pb",
    "Poland_Wieliczka_2023_Green_Budget.pb",
    "Poland_Warszawa_2023_Mokotow.pb",
    "Poland_Warszawa_2026.pb",
}
postgres_pass_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="exact Add1 on a large file takes seconds to a minute: it runs in the PostgreSQL pass",
)


def _header(name: str) -> dict[str, str]:
    """The META section of a file, read without parsing its votes (for collecting cases)."""
    meta = {}
    with open(DATA_DIR / name, encoding="utf-8") as lines:
        for line in lines:
            if line.strip() == "PROJECTS":
                break
            key, _, value = line.strip().partition(";")
            meta[key] = value
    return meta


def _applies(meta: dict[str, str], rule: str) -> bool:
    if rule == "phragmen":
        return meta.get("vote_type") in ("approval", "choose-1")
    if rule == "city":
        return meta.get("rule", "").strip() in (
            rules_module.CITY_GREEDY_RULES + rules_module.CITY_MES_RULES
        )
    return True


def _cases():
    if not have_data():
        return [pytest.param(None, None, id="no-shared-data")]
    cases = []
    for name in sorted(json.loads(EXPECTED.read_text())["instances"]):
        meta = _header(name)
        for rule in PRODUCTION_RULES:
            if not _applies(meta, rule):
                continue
            slow = name in SLOW and (
                rule in ("mes-add1", "mes-add1-greedy")
                or (rule == "city" and meta.get("rule", "").startswith("equalshares"))
            )
            marks = [postgres_pass_only] if slow else []
            cases.append(pytest.param(name, rule, id=f"{name}-{rule}", marks=marks))
    return cases


@cache
def _election(name: str) -> Election:
    return parse_pabulib(DATA_DIR / name)


@pytest.mark.parametrize(("name", "rule"), _cases())
def test_production_count_equals_the_fast_path_and_pabutools_on_every_shared_election(name, rule):
    require_data()  # skips locally without the files, fails when CI is set
    election = _election(name)

    # when: the app's count (exact) and the engine's fast path
    production = count(election, RuleChoice(rule, {}))
    fast = tally(election, rule)

    # then: the same winners and total; and pabutools' exact outcome where it was recorded
    assert production.winners == fast.winners
    assert production.total_cost == fast.total_cost
    recorded = json.loads(EXPECTED.read_text())["instances"][name]["rules"]
    key = PABUTOOLS_KEYS.get(rule)
    if key in recorded and "winners" in recorded[key]:
        assert production.winners == recorded[key]["winners"]


def _round(**options) -> VoteRound:
    defaults = {"ballot_method": BallotMethod.K_APPROVAL, "max_choices": 3}
    return VoteRound(**(defaults | options))


def _small_election() -> Election:
    projects = [Project("a", 60), Project("b", 40), Project("c", 30), Project("d", 25)]
    ballots = [{"a", "b"}, {"a"}, {"b", "c"}, {"c", "d"}, {"a", "d"}, {"b"}]
    return Election.from_ballots(
        budget=100, projects=projects, vote_type="approval", ballots=ballots
    )


@pytest.mark.parametrize(
    "counting_rule", [CountingRule.MES_ADD1, CountingRule.MES_ADD1_GREEDY, CountingRule.PHRAGMEN]
)
def test_the_apps_count_never_takes_the_float_fast_path(monkeypatch, counting_rule):
    # given: the float paths of MES explode, and Phragmen records how it was asked to count
    def float_path(*args, **kwargs):
        raise AssertionError("the app's count took the float fast path")

    monkeypatch.setattr(mes_module, "mes_float", float_path)
    monkeypatch.setattr(mes_module, "mes_batch", float_path)
    asked = []
    phragmen = rules_module.sequential_phragmen

    def spy(election, **kwargs):
        asked.append(kwargs.get("exact", False))
        return phragmen(election, **kwargs)

    monkeypatch.setattr(rules_module, "sequential_phragmen", spy)

    # when
    outcome = count(_small_election(), rule_for(_round(counting_rule=counting_rule)))

    # then
    assert outcome.winners
    assert all(asked)


def test_production_and_tests_use_the_same_exact_backend():
    # gmpy2's rationals are what the count uses, and production installs them (not only dev).
    assert mes_module.Q is gmpy2.mpq
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text())
    runtime = [d.split(">")[0].split("=")[0].strip() for d in project["project"]["dependencies"]]
    assert "gmpy2" in runtime
