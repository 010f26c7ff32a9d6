"""The verify script printed in docs/open-data.md, run as an outsider would on fresh
exports: it passes on the files as exported and fails once anything is changed."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command

from audit.models import compute_hash
from tests.funds.export_world import make_export_world

pytestmark = pytest.mark.django_db

CONTENT = (
    "stream",
    "seq",
    "action",
    "actor_id",
    "actor_role",
    "object_type",
    "object_id",
    "changes",
    "created_at",
    "prev_hash",
)
DOC = Path(__file__).resolve().parents[2] / "docs" / "open-data.md"


def _script(tmp_path) -> Path:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- verify-script -->\n```python\n(.*?)\n```", text, re.S)
    assert match, "docs/open-data.md shows the verify script"
    path = tmp_path / "verify_exports.py"
    path.write_text(match.group(1) + "\n", encoding="utf-8")
    return path


def _run(script: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-I", str(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def exported(tmp_path):
    world = make_export_world()
    fund = world.fund
    files = {
        "ledger": tmp_path / "ledger.csv",
        "audit": tmp_path / "audit.jsonl",
        "fund_audit": tmp_path / "fund-audit.jsonl",
    }
    call_command("export_ledger_csv", "--fund", str(fund.pk), "--output", str(files["ledger"]))
    call_command("export_audit_jsonl", "--output", str(files["audit"]))
    call_command("export_audit_jsonl", "--fund", str(fund.pk), "--output", str(files["fund_audit"]))
    files["script"] = _script(tmp_path)
    return files


def test_the_doc_script_verifies_fresh_exports(exported):
    for audit in (exported["audit"], exported["fund_audit"]):
        result = _run(
            exported["script"], "--audit", str(audit), "--ledger", str(exported["ledger"])
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "audit trail verifies" in result.stdout
        assert "ledger of fund" in result.stdout and "verifies" in result.stdout


def _rewrite_csv(path: Path, change) -> None:
    with open(path, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    change(rows)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8", newline="")


@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("memo", "does not match its hash"),
        ("amount", "does not match its hash"),
        ("one_leg", "not a balanced double entry"),
        ("drop_entry", "expected entry #2"),
    ],
)
def test_the_doc_script_fails_on_a_tampered_ledger(exported, what, message):
    def change(rows):
        if what == "memo":
            rows[0]["memo"] = rows[1]["memo"] = "Tranche received (edited)"
        elif what == "amount":
            # Both legs of entry 1 changed together: still balanced, but not what was hashed.
            for row in rows:
                if row["seq"] == "1":
                    for side in ("debit_pence", "credit_pence"):
                        if row[side] != "0":
                            row[side] = str(int(row[side]) + 100)
        elif what == "one_leg":
            rows[0]["debit_pence"] = str(int(rows[0]["debit_pence"] or 0) + 1)
        elif what == "drop_entry":
            rows[:] = [row for row in rows if row["seq"] != "2"]

    _rewrite_csv(exported["ledger"], change)
    result = _run(exported["script"], "--ledger", str(exported["ledger"]))
    assert result.returncode == 1
    assert "DOES NOT VERIFY" in result.stdout and message in result.stdout


@pytest.mark.parametrize("which", ["audit", "fund_audit"])
@pytest.mark.parametrize(
    ("what", "message"),
    [
        ("changes", "was altered"),
        ("drop", "is missing"),
        ("relink", "does not link"),
        ("cut", "missing at the end"),
        ("no_head", "head line is missing"),
        ("restream", "was altered"),
    ],
)
def test_the_doc_script_fails_on_a_tampered_audit_trail(exported, which, what, message):
    path = exported[which]
    events = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    # A ledger posting with another event of its stream after it.
    target = next(
        i
        for i, e in enumerate(events)
        if e.get("action") == "funds.ledger_posted"
        and i > 2
        and "head_seq" not in events[i + 1]
        and events[i + 1]["stream"] == e["stream"]
    )
    stream = events[target]["stream"]
    if what == "changes":
        events[target]["changes"]["seq"] = 99
    elif what == "drop":
        del events[target]
    elif what == "relink":
        # A forged event re-hashed to match its new content no longer links to the next.
        event = events[target]
        event["changes"]["seq"] = 99
        event["hash"] = compute_hash({k: event[k] for k in CONTENT})
    elif what == "cut":
        # The stream's newest event removed: the rest still links, but not up to its head.
        last = max(i for i, e in enumerate(events) if e["stream"] == stream and "seq" in e)
        del events[last]
    elif what == "no_head":
        del events[next(i for i, e in enumerate(events) if "head_seq" in e)]
    elif what == "restream":
        # A whole stream passed off as another neighbourhood's: each hash covers its stream.
        for event in events:
            if event["stream"] == stream:
                event["stream"] = "neighbourhood:999999"
    path.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in events), encoding="utf-8")
    result = _run(exported["script"], "--audit", str(path))
    assert result.returncode == 1
    assert "DOES NOT VERIFY" in result.stdout and message in result.stdout
