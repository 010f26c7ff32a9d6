"""Pabulib parsing: errors name the line and the reason; recount warnings; write_pabulib
round-trips."""

from fractions import Fraction

import pytest

from voting.counting import Election, PabulibError, Project, parse_pabulib, tally, write_pabulib

GOOD = """META
key;value
description;Test
budget;100.50
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes;name;selected
1;60.25;2;Park;1
2;40;1;"Bench; new";0
3;30;0;Lamp;0
VOTES
voter_id;vote;age
v1;1,2;30
v2;1;none
"""


def _replace(old, new):
    assert old in GOOD
    return GOOD.replace(old, new)


def test_parses_decimals_quotes_and_extra_columns():
    election = parse_pabulib(GOOD)

    assert election.budget == Fraction("100.50")
    assert election.projects["1"].cost == Fraction("60.25")
    assert election.projects["2"].name == "Bench; new"
    assert election.projects["1"].extra["selected"] == "1"
    assert election.num_voters == 2
    assert election.warnings == []


def test_parses_bytes_with_a_byte_order_mark_and_paths(tmp_path):
    path = tmp_path / "x.pb"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())

    assert parse_pabulib(path).num_voters == 2
    assert parse_pabulib(str(path)).num_voters == 2
    assert parse_pabulib(path.read_bytes()).num_voters == 2


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        (_replace("v2;1;none", "v2;1,9;none"), 15, "unknown project 9"),
        (_replace("3;30;0", "3;-30;0"), 11, "negative cost"),
        (_replace("budget;100.50\n", ""), 1, "no budget"),
        (_replace("budget;100.50", "budget;lots"), 1, "is not a number"),
        (_replace("3;30;0", "3;3x0;0"), 11, "is not a number"),
        (_replace("v2;1;none", "v1;1;none"), 15, "votes twice"),
        (_replace("3;30;0;Lamp;0", "1;30;0;Lamp;0"), 11, "listed twice"),
        (GOOD.split("VOTES")[0], 12, "VOTES section is missing"),
        (_replace("PROJECTS\n", ""), 11, "PROJECTS section must come before VOTES"),
        (_replace("vote_type;approval\n", ""), 1, "no vote_type"),
    ],
)
def test_malformed_files_name_the_line_and_the_reason(text, line, reason):
    with pytest.raises(PabulibError) as caught:
        parse_pabulib(text)

    assert caught.value.line == line
    assert reason in caught.value.reason
    assert str(caught.value).startswith(f"line {line}: ")


def test_bad_encoding_names_the_line():
    data = GOOD.replace("Lamp", "L\xe4mp").encode("latin-1")

    with pytest.raises(PabulibError) as caught:
        parse_pabulib(data)

    assert caught.value.line == 11
    assert "UTF-8" in caught.value.reason


def test_votes_column_that_disagrees_with_the_ballots_warns_naming_the_project():
    election = parse_pabulib(_replace("2;40;1;", "2;40;7;"))

    assert len(election.warnings) == 1
    assert "project 2" in election.warnings[0]
    assert "votes 7" in election.warnings[0]


def test_score_column_is_recounted_for_cumulative_ballots():
    text = """META
key;value
budget;10
vote_type;cumulative
PROJECTS
project_id;cost;score
a;5;4
b;5;1
VOTES
voter_id;vote;points
1;a,b;3,2
2;a;1
"""
    election = parse_pabulib(text)

    assert election.point_scores() == {"a": 4, "b": 2}
    assert election.warnings == [
        "project b (line 8): PROJECTS says score 1, but the VOTES section gives 2"
    ]


@pytest.mark.parametrize(
    ("vote_type", "ballots"),
    [
        ("approval", [{"1", "2"}, {"1"}, set(), {"3"}]),
        ("cumulative", [{"1": 2, "2": 1}, {"3": 3}, {"1": 1}]),
        ("ordinal", [["3", "1"], ["2"], ["1", "2", "3"]]),
    ],
)
def test_write_pabulib_round_trips_through_ours_and_pabutools(vote_type, ballots, tmp_path):
    from pabutools.election import parse_pabulib as pabutools_parse

    projects = [Project("1", Fraction("10.5"), "One; first"), Project("2", 20), Project("3", 30)]
    election = Election.from_ballots(
        budget=45, projects=projects, vote_type=vote_type, ballots=ballots, meta={"rule": "greedy"}
    )

    text = write_pabulib(election, voter_ids=[f"v{i}" for i in range(len(ballots))])
    again = parse_pabulib(text)
    path = tmp_path / "round.pb"
    path.write_text(text, encoding="utf-8")
    instance, profile = pabutools_parse(str(path))

    assert again.ballots == election.ballots
    assert again.budget == election.budget
    assert {p.id: p.cost for p in again.projects.values()} == {
        "1": Fraction("10.5"),
        "2": 20,
        "3": 30,
    }
    assert again.projects["1"].name == "One; first"
    assert again.warnings == []
    assert instance.budget_limit == 45
    assert profile.num_ballots() == len(ballots)
    assert tally(again, "greedy").winners == tally(election, "greedy").winners


def test_write_pabulib_makes_up_voter_ids_and_keeps_weights():
    election = Election.from_ballots(
        budget=10,
        projects=[Project("a", 5)],
        vote_type="approval",
        ballots=[{"a"}, set()],
        weights=[3, 2],
    )

    again = parse_pabulib(write_pabulib(election))

    assert again.num_voters == 5
    assert again.approval_scores() == {"a": 3}


def _both_readers(text, monkeypatch):
    """Parse with the column-at-a-time VOTES reader and with the row-by-row one."""
    from voting.counting import pabulib

    taken = []
    fast = pabulib._votes_fast
    monkeypatch.setattr(pabulib, "_votes_fast", lambda *a: taken.append(fast(*a)) or taken[-1])
    quick = parse_pabulib(text)
    monkeypatch.setattr(pabulib, "_votes_fast", lambda *a: False)
    slow = parse_pabulib(text)
    return quick, slow, taken


@pytest.mark.parametrize(
    "votes",
    [
        # approval: repeated ballots, spaces, a project named twice, an empty vote, extra cells
        "voter_id;vote;age\nv1;2,1;30\nv2; 1 ,2 ;none\nv3;1,1;4\nv4;none;1\n\nv5;3;\nv6;2,1;7;x\n",
        # cumulative: later points for a project overwrite earlier ones, fractions
        "voter_id;vote;points\na;1,2;3,1\nb;2,1;1,3\nc;1,1;2,5\nd;3;0.5\n",
    ],
)
def test_column_reader_gives_the_row_readers_election(votes, monkeypatch):
    text = _replace("vote_type;approval", "vote_type;cumulative") if "points" in votes else GOOD
    text = text[: text.index("VOTES\n") + len("VOTES\n")] + votes
    quick, slow, taken = _both_readers(text, monkeypatch)
    assert taken == [True]  # the column reader did the work
    assert list(quick.ballots) == list(slow.ballots)
    assert quick.warnings == slow.warnings
    assert quick.num_voters == slow.num_voters == votes.count("\n") - 1 - ("\n\n" in votes)


@pytest.mark.parametrize(
    "votes, reason",
    [
        ("voter_id;vote\nv1;1\nv1;2\n", "votes twice"),
        ("voter_id;vote\nv1;1\nv2;9\n", "unknown project"),
        ('voter_id;vote\nv1;1\n"v2";2\n', None),  # a quote: the row reader reads it
        ("voter_id;vote\nv1;1\nVOTES\nvoter_id;vote\n", "appears twice"),
    ],
)
def test_column_reader_leaves_anything_unusual_to_the_row_reader(votes, reason, monkeypatch):
    text = GOOD[: GOOD.index("VOTES\n") + len("VOTES\n")] + votes
    if reason is None:
        quick, slow, taken = _both_readers(text, monkeypatch)
        assert taken == [False] and list(quick.ballots) == list(slow.ballots)
        return
    with pytest.raises(PabulibError, match=reason) as error:
        parse_pabulib(text)
    assert error.value.line > GOOD.count("\n") - 3  # the row reader named the line
