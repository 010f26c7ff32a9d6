"""Funder auditors' queries on an entry, a grant or a claim; trustees' answers; the thread
kept for good. Permission matrix, the thread's immutability, bad input, audit and notices."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.urls import reverse

from audit.models import AuditEvent
from communities.models import Role
from config.errors import ApplicationError, ForbiddenError, StateError
from funds import permissions as perms
from funds import services
from funds.models import FundQuery, FundQueryMessage, Grant, JournalEntry, LedgerImmutableError
from funds.services import queries as qs
from funds.tasks import fund_query_notice_task
from outbox.models import OutboxMessage
from tests.communities.factories import role_holder
from tests.factories import MembershipFactory, NeighbourhoodFactory, UserFactory

from .factories import grant, item, make_world

pytestmark = pytest.mark.django_db


def _claim(world):
    g = grant(world, amount_pence=100_000, mode=Grant.PaymentMode.REIMBURSEMENT)
    claim = services.claim_create(actor=world.contact, grant=g, items=[item(20_000)])
    services.claim_submit(actor=world.contact, claim=claim)
    claim.refresh_from_db()
    return claim


def _query(world, **target):
    if not target:
        target = {"claim": _claim(world)}
    return qs.fund_query_raise(
        actor=world.auditor,
        fund=world.fund,
        subject="Receipt amount",
        body="The receipt says £150 but the claim says £200. Why?",
        **target,
    )


def _people(world):
    resident = UserFactory(mfa=True)
    MembershipFactory(user=resident, neighbourhood=world.neighbourhood)
    other_auditor = role_holder(NeighbourhoodFactory(), Role.FUNDER_AUDITOR)
    return {
        "anonymous": None,
        "resident": resident,
        "other funder's auditor": other_auditor,
        "finance officer": world.finance,
        "trustee": world.trustees[3],
        "auditor": world.auditor,
    }


# Who may do what, on an open query (answer/reply/close) and a closed one (reopen).
MATRIX = {
    #                        view,  raise, answer, reply, close, reopen
    "anonymous": (False, False, False, False, False, False),
    "resident": (False, False, False, False, False, False),
    "other funder's auditor": (False, False, False, False, False, False),
    "finance officer": (False, False, False, False, False, False),
    "trustee": (True, False, True, False, False, False),
    "auditor": (True, True, False, True, True, True),
}


@pytest.mark.parametrize("who", list(MATRIX))
def test_permission_matrix(world, who):
    from django.contrib.auth.models import AnonymousUser

    query = _query(world)
    user = _people(world)[who] or AnonymousUser()
    view, raise_, answer, reply, close, reopen = MATRIX[who]
    assert perms.can_view_query(user, query) is view
    assert perms.can_raise_query(user, world.fund) is raise_
    assert perms.can_answer_query(user, query) is answer
    assert perms.can_reply_query(user, query) is reply
    assert perms.can_close_query(user, query) is close
    assert perms.can_reopen_query(user, query) is False  # it is open
    qs.fund_query_close(actor=world.auditor, query=query)
    query.refresh_from_db()
    assert perms.can_reopen_query(user, query) is reopen
    assert perms.can_answer_query(user, query) is False  # closed: nobody answers


@pytest.mark.parametrize("who", list(MATRIX))
def test_pages_follow_the_matrix(client, world, who):
    query = _query(world)
    user = _people(world)[who]
    if user is not None:
        client.force_login(user)
    view, raise_, answer, reply, *_ = MATRIX[who]
    page = client.get(reverse("funds:query", args=[query.pk]))
    new = client.get(reverse("funds:query_new", args=[world.fund.pk]) + f"?claim={query.claim_id}")
    answered = client.post(
        reverse("funds:query_act", args=[query.pk, "answer"]), {"body": "Here is why."}
    )
    if user is None:
        assert page.status_code == new.status_code == answered.status_code == 302  # sign in
        assert not FundQueryMessage.objects.filter(kind="answer").exists()
        return
    assert page.status_code == (200 if view else 403)
    assert new.status_code == (200 if raise_ else 403)
    assert answered.status_code == (302 if answer else 403)
    assert FundQueryMessage.objects.filter(kind="answer").exists() is answer


def test_a_conflicted_trustee_reads_but_does_not_answer(world):
    query = _query(world)
    claim = query.claim
    # the grant's proposer is conflicted on it
    proposer_trustee = world.trustees[4]
    proposal = claim.grant.proposal
    proposal.proposer = proposer_trustee
    proposal.save(update_fields=["proposer"])
    query = FundQuery.objects.get(pk=query.pk)
    assert perms.can_view_query(proposer_trustee, query)
    assert not perms.can_answer_query(proposer_trustee, query)
    with pytest.raises(ForbiddenError):
        qs.fund_query_answer(actor=proposer_trustee, query=query, body="It is fine.")


def test_the_whole_thread_is_kept_audited_and_each_step_notifies_the_other_side(world):
    query = _query(world)
    qs.fund_query_answer(actor=world.trustees[2], query=query, body="A typo: it was £150.")
    qs.fund_query_reply(actor=world.auditor, query=query, body="Please correct the claim.")
    qs.fund_query_close(actor=world.auditor, query=query, note="Corrected.")
    qs.fund_query_reopen(actor=world.auditor, query=query, note="The correction is missing.")
    qs.fund_query_answer(actor=world.trustees[2], query=query, body="Now corrected.")
    query.refresh_from_db()
    thread = list(query.messages.order_by("pk").values_list("kind", "author_id"))
    assert thread == [
        ("question", world.auditor.pk),
        ("answer", world.trustees[2].pk),
        ("reply", world.auditor.pk),
        ("closed", world.auditor.pk),
        ("reopened", world.auditor.pk),
        ("answer", world.trustees[2].pk),
    ]
    assert query.status == FundQuery.Status.OPEN and query.closed_at is None
    events = list(
        AuditEvent.objects.filter(object_type="funds.fundquery", object_id=str(query.pk))
        .order_by("pk")
        .values_list("action", "stream")
    )
    assert [a for a, _ in events] == [
        "funds.query_question",
        "funds.query_answer",
        "funds.query_reply",
        "funds.query_closed",
        "funds.query_reopened",
        "funds.query_answer",
    ]
    assert {s for _, s in events} == {f"neighbourhood:{world.neighbourhood.pk}"}
    queued = OutboxMessage.objects.filter(task="funds.tasks.fund_query_notice_task")
    message_ids = list(query.messages.order_by("pk").values_list("pk", flat=True))
    assert sorted(m.args[0] for m in queued) == message_ids
    # the question goes to the trustees, the answer to the auditors
    mail.outbox.clear()
    fund_query_notice_task(message_ids[0])
    fund_query_notice_task(message_ids[1])
    assert world.trustees[0].email in mail.outbox[0].to
    assert world.auditor.email not in mail.outbox[0].to
    assert mail.outbox[1].to == [world.auditor.email]
    assert reverse("funds:query", args=[query.pk]) in mail.outbox[1].body


def test_messages_cannot_be_changed_or_deleted(world):
    query = _query(world)
    message = query.messages.get()
    message.body = "Something else"
    with pytest.raises(LedgerImmutableError):
        message.save()
    with pytest.raises(LedgerImmutableError):
        message.delete()
    with pytest.raises(LedgerImmutableError):
        FundQueryMessage.objects.filter(pk=message.pk).update(body="x")
    with pytest.raises(LedgerImmutableError):
        FundQueryMessage.objects.filter(pk=message.pk).delete()
    assert query.messages.get().body.startswith("The receipt says")


def test_a_query_has_exactly_one_target_in_the_database(world):
    query = _query(world)
    entry = JournalEntry.objects.filter(fund=world.fund).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        FundQuery.objects.filter(pk=query.pk).update(entry=entry)
    with pytest.raises(IntegrityError), transaction.atomic():
        FundQuery.objects.filter(pk=query.pk).update(claim=None)


@pytest.mark.parametrize(
    ("subject", "body", "message"),
    [
        ("", "Why?", "Write the subject."),
        ("Why", "   ", "Write the question."),
        ("x" * 201, "Why?", "The subject is too long"),
        ("Why", "y" * 5001, "The question is too long: at most 5,000 characters"),
    ],
)
def test_bad_text_is_refused_and_nothing_is_kept(world, subject, body, message):
    claim = _claim(world)
    with pytest.raises(ApplicationError, match=message):
        qs.fund_query_raise(
            actor=world.auditor, fund=world.fund, subject=subject, body=body, claim=claim
        )
    assert not FundQuery.objects.exists() and not FundQueryMessage.objects.exists()


def test_wrong_targets_are_refused(world):
    other = make_world()
    other_claim = _claim(other)
    with pytest.raises(ApplicationError, match="not in this fund's books"):
        _query(world, claim=other_claim)
    entry = JournalEntry.objects.filter(fund=world.fund).first()
    g = grant(world)
    with pytest.raises(ApplicationError, match="exactly one"):
        _query(world, entry=entry, grant=g)
    draft = services.claim_create(actor=world.contact, grant=g, items=[item(1_000)])
    with pytest.raises(ApplicationError, match="draft claim"):
        _query(world, claim=draft)
    assert not FundQuery.objects.exists()


def test_a_closed_query_takes_no_answer_or_reply(world):
    query = _query(world)
    qs.fund_query_close(actor=world.auditor, query=query)
    with pytest.raises(StateError, match="closed"):
        qs.fund_query_answer(actor=world.trustees[2], query=query, body="Late answer.")
    with pytest.raises(StateError, match="closed"):
        qs.fund_query_reply(actor=world.auditor, query=query, body="More.")
    with pytest.raises(StateError, match="already closed"):
        qs.fund_query_close(actor=world.auditor, query=query)
    assert query.messages.count() == 2


def test_the_forms_explain_bad_input(client, world):
    claim = _claim(world)
    client.force_login(world.auditor)
    url = reverse("funds:query_new", args=[world.fund.pk])
    page = client.post(url, {"target": "claim", "target_id": claim.pk, "subject": "", "body": ""})
    body = page.content.decode()
    assert page.status_code == 200
    assert "There is a problem" in body and "Enter a subject for the query." in body
    assert 'href="#id_subject"' in body
    huge = client.post(
        url, {"target": "claim", "target_id": claim.pk, "subject": "Why", "body": "y" * 6000}
    ).content.decode()
    assert "at most 5000 characters" in huge
    wrong = client.post(
        url, {"target": "claim", "target_id": 999999, "subject": "Why", "body": "Why?"}
    ).content.decode()
    assert "That item is not in this fund&#x27;s books" in wrong
    assert client.get(url + "?claim=999999").status_code == 404
    assert not FundQuery.objects.exists()
    query = _query(world, claim=claim)
    qs.fund_query_close(actor=world.auditor, query=query)
    client.force_login(world.trustees[2])
    refused = client.post(reverse("funds:query_act", args=[query.pk, "answer"]), {"body": "x"})
    assert refused.status_code == 400
    assert "This query is closed; the auditor can reopen it." in refused.content.decode()
    client.force_login(world.auditor)
    reopened = client.post(reverse("funds:query_act", args=[query.pk, "reopen"]), {"body": ""})
    assert reopened.status_code == 302
    empty = client.post(reverse("funds:query_act", args=[query.pk, "reply"]), {"body": " "})
    assert empty.status_code == 400
    assert "Write the reply." in empty.content.decode()
    assert list(query.messages.values_list("kind", flat=True)) == [
        "question",
        "closed",
        "reopened",
    ]


def test_raise_links_register_and_trustee_to_do(client, world):
    claim = _claim(world)
    client.force_login(world.auditor)
    workspace = client.get(reverse("funds:audit", args=[world.fund.pk])).content.decode()
    new_url = reverse("funds:query_new", args=[world.fund.pk])
    assert f"{new_url}?claim={claim.pk}" in workspace
    assert f"{new_url}?grant={claim.grant_id}" in workspace
    entries = client.get(reverse("funds:audit_entries", args=[world.fund.pk, "received"]))
    entry = JournalEntry.objects.filter(fund=world.fund).first()
    assert f"{new_url}?entry={entry.pk}" in entries.content.decode()
    assert (
        f"{new_url}?claim={claim.pk}"
        in client.get(reverse("funds:claim", args=[claim.pk])).content.decode()
    )
    assert (
        f"{new_url}?grant={claim.grant_id}"
        in client.get(reverse("funds:grant", args=[claim.grant_id])).content.decode()
    )
    # raise two queries through the page; close the first: the open one is listed first
    for subject in ("First", "Second"):
        response = client.post(
            new_url,
            {"target": "entry", "target_id": entry.pk, "subject": subject, "body": "Why?"},
        )
        assert response.status_code == 302
    first = FundQuery.objects.get(subject="First")
    second = FundQuery.objects.get(subject="Second")
    assert first.entry_id == entry.pk
    client.post(reverse("funds:query_act", args=[first.pk, "close"]), {"body": ""})
    workspace = client.get(reverse("funds:audit", args=[world.fund.pk])).content.decode()
    assert workspace.index(f'data-query="{second.pk}"') < workspace.index(
        f'data-query="{first.pk}"'
    )
    client.force_login(world.trustees[2])
    todo = client.get(reverse("funds:todo", args=[world.fund.pk])).content.decode()
    assert reverse("funds:query", args=[second.pk]) in todo
    assert reverse("funds:query", args=[first.pk]) not in todo
    thread = client.get(reverse("funds:query", args=[second.pk])).content.decode()
    assert "Send the answer" in thread and "Close the query" not in thread
