"""Emails go after commit and respect each person's switches."""

from __future__ import annotations

import pytest
from django.core import mail

from proposals import services
from proposals.models import Proposal
from tests.factories import NeighbourhoodFactory, ProposalFactory, resident, trustee

pytestmark = pytest.mark.django_db
S = Proposal.Status


def test_nothing_is_sent_if_the_transaction_rolls_back(django_capture_on_commit_callbacks):
    p = ProposalFactory(status=S.SHORTLISTED)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.proposal_put_on_ballot(proposal=p)
    assert len(callbacks) == 1
    assert mail.outbox == []


def test_switched_off_kinds_are_not_sent(django_capture_on_commit_callbacks):
    n = NeighbourhoodFactory()
    proposer = resident(n)
    proposer.notify_proposal_status = False
    proposer.notify_comments = False
    proposer.save()
    on = trustee(n)
    off = trustee(n)
    off.notify_submissions = False
    off.save()
    p = ProposalFactory(neighbourhood=n, proposer=proposer, status=S.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_submit(proposal=p, actor=proposer)
        services.comment_create(proposal=p, author=on, body="Looks good")
    recipients = [address for m in mail.outbox for address in m.to]
    assert recipients == [on.email]


def test_trustees_are_told_of_submissions_but_not_the_proposer_who_is_a_trustee(
    django_capture_on_commit_callbacks,
):
    n = NeighbourhoodFactory()
    t1 = trustee(n)
    t2 = trustee(n)
    p = ProposalFactory(neighbourhood=n, proposer=t1, status=S.DRAFT)
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_submit(proposal=p, actor=t1)
    submitted = [m for m in mail.outbox if m.subject == "A proposal is waiting for screening"]
    assert [m.to for m in submitted] == [[t2.email]]


@pytest.mark.django_db(transaction=True)
def test_a_failing_mail_server_does_not_undo_or_break_a_status_change(monkeypatch):
    # given: the mail server is down
    def refuse(*args, **kwargs):
        raise OSError("mail server unreachable")

    monkeypatch.setattr("django.core.mail.message.EmailMessage.send", refuse)
    p = ProposalFactory(status=S.SHORTLISTED)

    # when: the change commits and its notification fails
    services.proposal_put_on_ballot(proposal=p)

    # then: the change stands and no error reaches the caller
    p.refresh_from_db()
    assert p.status == S.ON_BALLOT
