"""Ballot secrecy (issue 9 point 6): nothing the server keeps links a ballot to a voter, given
the server's keys; the only link is the receipt code the voter holds."""

from __future__ import annotations

import json
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse

from audit.models import AuditEvent
from outbox.models import OutboxMessage
from tests.factories import NeighbourhoodFactory, resident, trustee
from tests.voting.factories import keyer, proposal_ids, round_with_pot
from voting.checks import receipt_key_refusal
from voting.models import Ballot, PaperEntry
from voting.services import (
    ballot_cast,
    paper_batch_create,
    paper_entry_submit,
    receipt_lookup,
    round_close,
    volunteer_appoint,
)
from voting.tasks import ballot_receipt_email_task

pytestmark = pytest.mark.django_db


def test_the_task_message_carries_no_receipt_code(django_capture_on_commit_callbacks):
    # the receipt notice is queued in the outbox (kept in the database, then handed to the
    # broker by its row id): neither the row nor the broker message may carry the code
    round, pot = round_with_pot()
    voter = resident(round.neighbourhood)
    with django_capture_on_commit_callbacks(execute=True):
        result = ballot_cast(actor=voter, pot=pot, choices=proposal_ids(pot)[:1])
    queued = OutboxMessage.objects.get(task=ballot_receipt_email_task.name)
    stored = repr(queued.args)
    code = result.receipt_code
    assert queued.args == [voter.pk, pot.pk, False]
    assert code not in stored and code.replace("-", "") not in stored


def test_the_email_says_the_vote_was_recorded_without_code_or_choices(
    django_capture_on_commit_callbacks,
):
    round, pot = round_with_pot()
    voter = resident(round.neighbourhood)
    a, b, _ = proposal_ids(pot)
    with django_capture_on_commit_callbacks(execute=True):
        result = ballot_cast(actor=voter, pot=pot, choices=[a, b])
    body = mail.outbox[-1].body + mail.outbox[-1].subject
    assert "recorded" in body
    assert result.receipt_code not in body and result.receipt_code.replace("-", "") not in body
    for item in pot.items.select_related("proposal"):
        assert item.proposal.title not in body


def test_the_receipt_page_shows_the_code_once_printable(client):
    round, pot = round_with_pot()
    voter = resident(round.neighbourhood)
    client.force_login(voter)
    page = client.post(
        reverse("voting:ballot", args=[pot.pk]), {"choice": proposal_ids(pot)[:1]}
    ).content.decode()
    assert 'id="receipt-code"' in page
    assert "only time we show this code" in page and "data-print" in page
    assert "keep the email" not in page


def test_a_cast_writes_no_audit_event():
    round, pot = round_with_pot()
    voter = resident(round.neighbourhood)
    first = ballot_cast(actor=voter, pot=pot, choices=proposal_ids(pot)[:1])
    ballot_cast(
        actor=voter, pot=pot, choices=proposal_ids(pot)[1:2], receipt_code=first.receipt_code
    )
    assert not AuditEvent.objects.filter(action__startswith="voting.ballot").exists()
    assert not AuditEvent.objects.filter(actor=voter).exists()


def test_receipts_use_their_own_key_not_the_secret_key():
    round, pot = round_with_pot()
    result = ballot_cast(
        actor=resident(round.neighbourhood), pot=pot, choices=proposal_ids(pot)[:1]
    )
    with override_settings(SECRET_KEY="a-rotated-secret-key-" + "y" * 40):
        assert receipt_lookup(code=result.receipt_code).pot == pot
    with override_settings(RECEIPT_KEY="another-receipt-key-" + "z" * 40):
        assert receipt_lookup(code=result.receipt_code) is None


def test_the_receipt_key_can_be_rotated_with_old_keys_for_lookups():
    round, pot = round_with_pot()
    voter = resident(round.neighbourhood)
    a, b, _ = proposal_ids(pot)
    result = ballot_cast(actor=voter, pot=pot, choices=[a])
    old = settings.RECEIPT_KEY
    with override_settings(RECEIPT_KEY="the-new-receipt-key-" + "n" * 40, RECEIPT_OLD_KEYS=[old]):
        assert receipt_lookup(code=result.receipt_code).pot == pot
        changed = ballot_cast(actor=voter, pot=pot, choices=[b], receipt_code=result.receipt_code)
        assert changed.changed
        assert list(Ballot.objects.values_list("choices", flat=True)) == [[b]]
        assert receipt_lookup(code=result.receipt_code).pot == pot


def test_the_development_receipt_key_is_refused_outside_debug():
    with override_settings(DEBUG=False, RECEIPT_KEY=settings.RECEIPT_KEY_DEVELOPMENT_DEFAULT):
        assert "COMMONPURSE_RECEIPT_KEY" in receipt_key_refusal()
    with override_settings(DEBUG=True, RECEIPT_KEY=settings.RECEIPT_KEY_DEVELOPMENT_DEFAULT):
        assert receipt_key_refusal() is None
    with override_settings(DEBUG=False, RECEIPT_KEY="k" * 48):
        assert receipt_key_refusal() is None


def _agreed_batch(round, pot, chair, text, count):
    helper = keyer(round.neighbourhood)
    volunteer_appoint(actor=chair, round=round, user=helper)
    batch = paper_batch_create(
        actor=helper, round=round, pot=pot, event="Fair", declared_count=count
    )
    paper_entry_submit(actor=helper, batch=batch, text=text)
    return paper_entry_submit(actor=chair, batch=batch, text=text)


def test_agreed_entries_forget_the_stack_order():
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(
        place, channel_paper=True, ballot_method="k_approval", max_choices=2
    )
    a, b, c = proposal_ids(pot)
    batch = _agreed_batch(round, pot, trustee(place), "3\n1\nx\n2, 1\n", 4)
    assert batch.status == "agreed"
    for entry in PaperEntry.objects.filter(batch=batch):
        assert entry.raw_text == ""
        # sorted canonically (spoilt last), not in the order the papers were stacked
        assert entry.ballots == sorted([[c], [a], [a, b]], key=json.dumps) + [None]


def test_a_batch_agreed_after_close_is_reshuffled_with_the_round():
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(
        place, channel_paper=True, ballot_method="k_approval", max_choices=2
    )
    for _ in range(3):
        ballot_cast(actor=resident(place), pot=pot, choices=proposal_ids(pot)[:1])
    round.closes_at = round.opens_at + (round.closes_at - round.opens_at) / 100
    round.save()
    round_close(round=round)
    round.refresh_from_db()
    before = set(Ballot.objects.values_list("id", flat=True))
    with mock.patch("voting.services.rounds._shuffle") as shuffle:
        _agreed_batch(round, pot, trustee(place), "1\n2\n", 2)
    assert shuffle.called
    after = set(Ballot.objects.values_list("id", flat=True))
    assert len(after) == 5 and not (before & after)  # every row rewritten with fresh keys


def test_the_threat_model_is_written_down():
    text = (Path(settings.BASE_DIR) / "docs" / "voting.md").read_text()
    assert (
        "While a vote is open, a database administrator can link ballot and participation rows "
        "by transaction id and insertion order; after close, the reshuffle (and a VACUUM of the "
        "ballot table on PostgreSQL) removes that from the live database, not from backups or "
        "WAL taken before."
    ) in " ".join(text.split())
