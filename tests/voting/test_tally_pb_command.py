"""``manage.py tally_pb``: one JSON line on success, ``line N: reason`` and a non-zero exit on bad
files.
"""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

TEXT = """META
key;value
budget;100
vote_type;approval
rule;greedy
PROJECTS
project_id;cost;votes
1;60;3
2;50;1
10;40;1
VOTES
voter_id;vote
a;1,10
b;1,2
c;1
"""


def test_prints_winners_sorted_as_strings_and_the_exact_total(tmp_path, capsys):
    path = tmp_path / "vote.pb"
    path.write_text(TEXT.replace("2;50;1", "2;50;2"), encoding="utf-8")

    call_command("tally_pb", str(path), "--rule", "greedy")

    out, err = capsys.readouterr()
    assert out.strip().splitlines() == ['{"winners": ["1", "10"], "total_cost": "100"}']
    assert json.loads(out) == {"winners": ["1", "10"], "total_cost": "100"}
    assert "project 2" in err


def test_decimal_costs_give_an_exact_decimal_total(tmp_path, capsys):
    path = tmp_path / "vote.pb"
    path.write_text(TEXT.replace("1;60;3", "1;59.95;3"), encoding="utf-8")

    call_command("tally_pb", str(path), "--rule", "mes-add1-greedy")

    assert json.loads(capsys.readouterr().out)["total_cost"] == "99.95"


def test_malformed_file_fails_with_the_line_and_reason(tmp_path):
    path = tmp_path / "bad.pb"
    path.write_text(TEXT.replace("c;1\n", "c;7\n"), encoding="utf-8")

    with pytest.raises(CommandError, match=r"^line 15: voter c votes for unknown project 7$"):
        call_command("tally_pb", str(path), "--rule", "mes")


def test_missing_file_fails(tmp_path):
    with pytest.raises(CommandError, match="cannot read"):
        call_command("tally_pb", str(tmp_path / "nope.pb"), "--rule", "greedy")


def test_exact_option_counts_as_the_app_does(tmp_path, capsys):
    path = tmp_path / "vote.pb"
    path.write_text(TEXT.replace("1;60;3", "1;59.95;3"), encoding="utf-8")

    call_command("tally_pb", str(path), "--rule", "mes-add1-greedy", "--exact")
    exact = json.loads(capsys.readouterr().out)
    call_command("tally_pb", str(path), "--rule", "mes-add1-greedy")
    fast = json.loads(capsys.readouterr().out)

    assert exact == fast
    assert exact["total_cost"] == "99.95"
