"""The books as files: the ledger journal CSV, the statement as CSV and PDF, the audit trail
as JSON lines; their commands and their downloads, and who may download them."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from communities.models import Role
from funds.exports.statement import FIGURES
from funds.models import Grant, JournalEntry, JournalLeg
from funds.selectors import fund_figures
from tests.communities.factories import role_holder
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory
from tests.funds.export_world import make_export_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def export_world():
    return make_export_world()


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_ledger_csv_has_every_leg_with_the_entry_hashes(export_world, tmp_path):
    fund = export_world.fund
    path = tmp_path / "ledger.csv"
    call_command("export_ledger_csv", "--fund", str(fund.pk), "--output", str(path))
    rows = _csv(path.read_text(encoding="utf-8"))

    legs = (
        JournalLeg.objects.filter(fund=fund).select_related("entry").order_by("entry__seq", "line")
    )
    assert len(rows) == legs.count() > 0
    for row, leg in zip(rows, legs, strict=True):
        entry = leg.entry
        assert (int(row["seq"]), row["kind"], row["memo"], row["account"]) == (
            entry.seq,
            entry.kind,
            entry.memo,
            leg.account,
        )
        assert int(row["debit_pence"]) - int(row["credit_pence"]) == leg.amount_pence
        assert (row["hash"], row["prev_hash"]) == (entry.hash, entry.prev_hash)
        assert row["date"] == timezone.localtime(entry.posted_at).date().isoformat()
    assert sum(int(r["debit_pence"]) for r in rows) == sum(int(r["credit_pence"]) for r in rows)
    assert {int(r["seq"]) for r in rows} == set(range(1, fund.entries.count() + 1))


def test_statement_csv_gives_opening_period_and_closing_of_each_figure(export_world, tmp_path):
    fund = export_world.fund
    path = tmp_path / "statement.csv"
    call_command("export_statement", "--fund", str(fund.pk), "--output", str(path))
    rows = {r["figure"]: r for r in _csv(path.read_text(encoding="utf-8"))}
    figures = fund_figures(fund=fund)

    assert list(rows) == [key for key, _ in FIGURES]
    for key, row in rows.items():
        assert int(row["opening_pence"]) == 0
        assert int(row["period_pence"]) == int(row["closing_pence"]) == getattr(figures, key)
    assert int(rows["received"]["closing_pence"]) == figures.received > 0

    # A range that starts tomorrow: everything is in the opening, nothing moves.
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    call_command(
        "export_statement",
        "--fund",
        str(fund.pk),
        "--output",
        str(path),
        "--from",
        tomorrow.isoformat(),
        "--to",
        (tomorrow + dt.timedelta(days=30)).isoformat(),
    )
    for key, row in {r["figure"]: r for r in _csv(path.read_text(encoding="utf-8"))}.items():
        assert int(row["opening_pence"]) == int(row["closing_pence"]) == getattr(figures, key)
        assert int(row["period_pence"]) == 0
        assert row["from"] == tomorrow.isoformat()


def test_statement_pdf_shows_the_fund_and_its_figures(export_world, tmp_path):
    fund = export_world.fund
    path = tmp_path / "statement.pdf"
    today = timezone.localdate().isoformat()
    call_command(
        "export_statement",
        *("--fund", str(fund.pk), "--format", "pdf", "--output", str(path)),
        *("--from", today, "--to", today),
    )
    text = "\n".join(page.extract_text() for page in PdfReader(str(path)).pages)
    assert fund.name in text
    assert "Received from the funder" in text
    received = fund_figures(fund=fund).received
    assert f"£{received // 100:,}.{received % 100:02d}" in text  # received today


def test_commands_refuse_an_unknown_fund_and_a_backwards_range(export_world, tmp_path):
    out = str(tmp_path / "x")
    with pytest.raises(CommandError, match="no fund with id 999999"):
        call_command("export_ledger_csv", "--fund", "999999", "--output", out)
    with pytest.raises(CommandError, match="no fund with id 999999"):
        call_command("export_statement", "--fund", "999999", "--output", out)
    with pytest.raises(CommandError, match="first day comes after"):
        call_command(
            "export_statement",
            *("--fund", str(export_world.fund.pk), "--output", out),
            *("--from", "2026-05-02", "--to", "2026-05-01"),
        )


def test_audit_export_has_every_event_and_a_fund_export_stubs_the_rest(export_world, tmp_path):
    from audit.models import AuditStreamHead
    from audit.services import neighbourhood_stream

    fund = export_world.fund
    full, scoped = tmp_path / "all.jsonl", tmp_path / "fund.jsonl"
    call_command("export_audit_jsonl", "--output", str(full))
    call_command("export_audit_jsonl", "--output", str(scoped), "--fund", str(fund.pk))
    everything = [json.loads(line) for line in full.read_text().splitlines()]
    ours = [json.loads(line) for line in scoped.read_text().splitlines()]

    # Every stream: its events in seq order, then its head line.
    events = list(AuditEvent.objects.order_by("stream", "seq"))
    assert [(e["stream"], e["seq"]) for e in everything if "head_seq" not in e] == [
        (e.stream, e.seq) for e in events
    ]
    for line, event in zip([e for e in everything if "head_seq" not in e], events, strict=True):
        assert line["hash"] == event.hash == event.compute_hash()
        assert line["created_at"] == event.created_at.isoformat()
    heads = {(e["stream"], e["head_seq"], e["head_hash"]) for e in everything if "head_seq" in e}
    assert heads == set(AuditStreamHead.objects.values_list("stream", "seq", "hash"))

    # The fund's download: only its neighbourhood's stream, whole, with its head.
    stream = neighbourhood_stream(fund.neighbourhood_id)
    assert {e["stream"] for e in ours} == {stream}
    assert [e["seq"] for e in ours if "head_seq" not in e] == list(
        AuditEvent.objects.filter(stream=stream).order_by("seq").values_list("seq", flat=True)
    )
    assert ours[-1] == next(e for e in everything if e.get("head_seq") and e["stream"] == stream)
    events_only = [e for e in ours if "head_seq" not in e]
    full_ones = [e for e in events_only if not e.get("redacted")]
    stubs = [e for e in events_only if e.get("redacted")]
    assert stubs and full_ones
    assert all(set(stub) == {"stream", "seq", "redacted", "prev_hash", "hash"} for stub in stubs)
    grant_ids = {str(pk) for pk in Grant.objects.filter(fund=fund).values_list("pk", flat=True)}
    assert {"funds.ledger_posted", "funds.grant_approved"} <= {e["action"] for e in full_ones}
    assert {e["object_id"] for e in full_ones if e["object_type"] == "funds.grant"} == grant_ids
    # Events about other things (users, organisations, meetings) are not given in full.
    assert not any(e["object_type"] in ("accounts.user", "funds.meeting") for e in full_ones)


URLS = ("ledger.csv", "statement.csv", "statement.pdf", "audit.jsonl")


def _people(world):
    nb = world.fund.neighbourhood
    trustee = role_holder(nb, Role.TRUSTEE, member=True)
    return {
        "trustee": trustee,
        "chair": role_holder(nb, Role.CHAIR, member=True),
        "finance": world.users["finance@example.org"],
        "auditor": world.users["funder@example.org"],
        "resident": MembershipFactory(neighbourhood=nb).user,
        "auditor_elsewhere": role_holder(NeighbourhoodFactory(), Role.FUNDER_AUDITOR),
        "grantee": world.individual,
    }


# Who gets each download (200); everyone else signed in gets 403.
ALLOWED = {
    "ledger.csv": {"trustee", "chair", "finance", "auditor"},
    "statement.csv": {"trustee", "chair", "finance", "auditor"},
    "statement.pdf": {"trustee", "chair", "finance", "auditor"},
    "audit.jsonl": {"trustee", "chair", "auditor"},
}


def test_download_permission_matrix(export_world, client):
    fund = export_world.fund
    people = _people(export_world)
    for name in URLS:
        url = f"/funds/{fund.pk}/exports/{name}"
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url
        for who, user in people.items():
            client.force_login(user)
            response = client.get(url)
            expected = 200 if who in ALLOWED[name] else 403
            assert response.status_code == expected, (name, who)
            if expected == 200:
                assert "attachment" in response["Content-Disposition"]
            client.logout()


def test_a_role_holder_without_two_factor_is_sent_to_set_it_up(export_world, client):
    nb = export_world.fund.neighbourhood
    client.force_login(role_holder(nb, Role.FUNDER_AUDITOR, mfa=False))
    for name in URLS:
        response = client.get(f"/funds/{export_world.fund.pk}/exports/{name}")
        assert response.status_code == 302 and "totp" in response["Location"], name


def test_downloads_stream_the_same_files_as_the_commands(export_world, client, tmp_path):
    fund = export_world.fund
    client.force_login(export_world.users["funder@example.org"])
    base = f"/funds/{fund.pk}/exports"

    response = client.get(f"{base}/ledger.csv")
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    call_command("export_ledger_csv", "--fund", str(fund.pk), "--output", str(tmp_path / "l.csv"))
    body = b"".join(response.streaming_content).decode()
    assert body == (tmp_path / "l.csv").read_bytes().decode()

    response = client.get(f"{base}/audit.jsonl")
    assert response.streaming
    call_command(
        "export_audit_jsonl", "--fund", str(fund.pk), "--output", str(tmp_path / "a.jsonl")
    )
    assert b"".join(response.streaming_content).decode() == (tmp_path / "a.jsonl").read_text()

    response = client.get(f"{base}/statement.csv", {"from": "2026-01-01", "to": "2099-12-31"})
    rows = _csv(b"".join(response.streaming_content).decode())
    assert rows[0]["from"] == "2026-01-01" and rows[0]["to"] == "2099-12-31"

    response = client.get(f"{base}/statement.pdf")
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF")

    assert client.get(f"{base}/statement.csv", {"from": "1 May"}).status_code == 400
    assert client.post(f"{base}/ledger.csv").status_code == 405
    assert client.get("/funds/999999/exports/ledger.csv").status_code == 404


def test_exports_write_nothing(export_world, tmp_path):
    events, entries = AuditEvent.objects.count(), JournalEntry.objects.count()
    fund = export_world.fund
    call_command("export_ledger_csv", "--fund", str(fund.pk), "--output", str(tmp_path / "l"))
    call_command("export_audit_jsonl", "--output", str(tmp_path / "a"))
    call_command("export_360giving", "--output", str(tmp_path / "g"))
    assert (AuditEvent.objects.count(), JournalEntry.objects.count()) == (events, entries)


def test_a_signed_in_user_without_a_role_may_download_nothing_private(export_world):
    # The predicates: a signed-in user with no role gets nothing private.
    from funds.exports.permissions import can_download_audit_trail, can_download_books

    stranger = UserFactory(mfa=True)
    assert not can_download_books(stranger, export_world.fund)
    assert not can_download_audit_trail(stranger, export_world.fund)
    assert can_download_books(export_world.users["finance@example.org"], export_world.fund)
    assert not can_download_audit_trail(
        export_world.users["finance@example.org"], export_world.fund
    )
