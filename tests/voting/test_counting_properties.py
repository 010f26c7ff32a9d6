"""Random small elections: every rule gives exactly pabutools 1.2.3's winners (ties included)."""

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pabutools import election as pe
from pabutools import rules as pr
from pabutools.fractions import frac

from voting.counting import Election, Project, parse_pabulib, tally
from voting.counting.mes import mes_batch, mes_exact, mes_input

from .shared_pabulib import DATA_DIR, require_data

SAT = {"cost": pe.Cost_Sat, "cardinality": pe.Cardinality_Sat, "points": pe.Additive_Cardinal_Sat}

# our rule id -> the pabutools call
PABUTOOLS = {
    "greedy": lambda i, p: pr.greedy_utilitarian_welfare(i, p, sat_class=pe.Cost_Sat),
    "greedy-per-cost": lambda i, p: pr.greedy_utilitarian_welfare(
        i, p, sat_class=pe.Cardinality_Sat
    ),
    "greedy-points": lambda i, p: pr.greedy_utilitarian_welfare(
        i, p, sat_class=pe.Additive_Cardinal_Sat
    ),
    "mes": lambda i, p: pr.method_of_equal_shares(i, p, sat_class=pe.Cost_Sat),
    "mes-add1": lambda i, p: pr.method_of_equal_shares(
        i, p, sat_class=pe.Cost_Sat, voter_budget_increment=1
    ),
    "mes-add1-greedy": lambda i, p: pr.completion_by_rule_combination(
        i,
        p,
        [pr.method_of_equal_shares, pr.greedy_utilitarian_welfare],
        [{"sat_class": pe.Cost_Sat, "voter_budget_increment": 1}, {"sat_class": pe.Cost_Sat}],
    ),
    "mes-cardinality": lambda i, p: pr.method_of_equal_shares(i, p, sat_class=pe.Cardinality_Sat),
    "mes-points": lambda i, p: pr.method_of_equal_shares(i, p, sat_class=pe.Additive_Cardinal_Sat),
    "phragmen": lambda i, p: pr.sequential_phragmen(i, p),
}
RULES_BY_TYPE = {
    "approval": [
        "greedy",
        "greedy-per-cost",
        "mes",
        "mes-add1",
        "mes-add1-greedy",
        "mes-cardinality",
        "phragmen",
    ],
    "cumulative": ["greedy", "greedy-points", "mes", "mes-add1", "mes-points"],
    "ordinal": ["greedy", "mes", "mes-add1"],
}
CASES = [(vote_type, rule) for vote_type, rules in RULES_BY_TYPE.items() for rule in rules]

# Few distinct costs so that ties are frequent; halves exercise decimal costs.
costs = st.sampled_from([0, 1, 2, 3, 5, 5, 8, 10, 10, Fraction(5, 2), 12, 20])


@st.composite
def elections(draw, vote_type):
    num_projects = draw(st.integers(1, 6))
    ids = [str(i) for i in draw(st.permutations(range(1, 12)))[:num_projects]]
    projects = [Project(project_id, draw(costs)) for project_id in ids]
    budget = draw(st.sampled_from([0, 5, 10, 15, 20, 25, 30, Fraction(45, 2), 40]))
    subsets = st.lists(st.sampled_from(ids), max_size=num_projects, unique=True)
    if vote_type == "approval":
        ballot = subsets.map(set)
    elif vote_type == "ordinal":
        ballot = subsets
    else:
        ballot = st.dictionaries(st.sampled_from(ids), st.integers(0, 3), max_size=num_projects)
    ballots = draw(st.lists(ballot, min_size=1, max_size=8))
    return Election.from_ballots(
        budget=budget, projects=projects, vote_type=vote_type, ballots=ballots
    )


def to_pabutools(election):
    projects = {p.id: pe.Project(p.id, frac(str(p.cost))) for p in election.projects.values()}
    instance = pe.Instance(projects.values(), budget_limit=frac(str(election.budget)))
    ballots = []
    for key, weight in election.ballots:
        for _ in range(weight):
            if election.vote_type == "approval":
                ballots.append(pe.ApprovalBallot(projects[k] for k in key))
            elif election.vote_type == "ordinal":
                ballots.append(pe.OrdinalBallot(projects[k] for k in key))
            else:
                ballots.append(pe.CumulativeBallot({projects[k]: frac(v) for k, v in key}))
    profile_class = {
        "approval": pe.ApprovalProfile,
        "ordinal": pe.OrdinalProfile,
        "cumulative": pe.CumulativeProfile,
    }[election.vote_type]
    return instance, profile_class(ballots)


def _check(election, rule):
    instance, profile = to_pabutools(election)
    expected = sorted(p.name for p in PABUTOOLS[rule](instance, profile))
    assert tally(election, rule).winners == expected
    if rule.startswith("mes") or rule == "phragmen":
        assert tally(election, rule, exact=True).winners == expected


@pytest.mark.parametrize(("vote_type", "rule"), CASES)
def test_rule_matches_pabutools_on_random_elections(vote_type, rule):
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(elections(vote_type))
    def run(election):
        _check(election, rule)

    run()


def _tie_election():
    # "b" and "a" cost the same and have the same supporters: only the tie-break separates them.
    projects = [Project("b", 30), Project("a", 30), Project("c", 50)]
    ballots = [{"a", "b"}, {"a", "b"}, {"c"}]
    return Election.from_ballots(
        budget=60, projects=projects, vote_type="approval", ballots=ballots
    )


@pytest.mark.parametrize("rule", ["greedy", "mes", "mes-add1", "phragmen"])
def test_ties_go_to_the_smallest_project_id_like_pabutools(rule):
    election = _tie_election()
    instance, profile = to_pabutools(election)

    outcome = tally(election, rule)

    assert outcome.winners == sorted(p.name for p in PABUTOOLS[rule](instance, profile))
    assert "a" in outcome.winners


def test_mes_tie_break_decides_between_touched_projects():
    # After "x" is funded, "b" and "a" tie exactly with partly-spent supporters; pabutools picks
    # "a".
    projects = [Project("x", 20), Project("b", 25), Project("a", 25)]
    ballots = [{"x", "a", "b"}, {"x", "a", "b"}, {"a", "b"}, {"x"}]
    election = Election.from_ballots(
        budget=60, projects=projects, vote_type="approval", ballots=ballots
    )
    instance, profile = to_pabutools(election)

    expected = sorted(p.name for p in PABUTOOLS["mes"](instance, profile))

    assert tally(election, "mes").winners == expected
    assert "a" in expected and "b" not in expected


@pytest.mark.parametrize("vote_type", ["approval", "cumulative"])
def test_batched_mes_counts_equal_separate_exact_counts(vote_type):
    # Add1 runs its counts side by side (mes_batch); every column must be that count alone.
    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        elections(vote_type),
        st.sampled_from(["cost", "cardinality"]),
        st.lists(st.sampled_from([0, 1, 2, 3, Fraction(1, 2), 5, 9]), min_size=1, max_size=9),
    )
    def run(election, sat, raises):
        data = mes_input(election, sat)
        b0 = Fraction(election.budget) / max(data.num_voters, 1)
        starts = [b0 + r for r in raises]
        assert mes_batch(data, starts) == [mes_exact(data, s) for s in starts]

    run()


def test_batched_mes_counts_on_a_real_file_equal_separate_counts():
    require_data()
    path = DATA_DIR / "Switzerland_Zurich_S5R.pb"
    election = parse_pabulib(path)
    data = mes_input(election, "cost")
    b0 = Fraction(election.budget) / data.num_voters
    starts = [b0 + 7 * r for r in range(32)]
    assert mes_batch(data, starts) == [mes_exact(data, s) for s in starts]
