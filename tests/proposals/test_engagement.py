"""Supports, comments (one level), reports and moderation with notices."""

from __future__ import annotations

import pytest
from django.core import mail

from audit.models import AuditEvent
from config.errors import ApplicationError, ForbiddenError, StateError
from proposals import services
from proposals.models import Comment, Proposal, Report
from tests.factories import NeighbourhoodFactory, ProposalFactory, UserFactory, resident, trustee

pytestmark = pytest.mark.django_db
S = Proposal.Status


@pytest.fixture
def p():
    n = NeighbourhoodFactory()
    return ProposalFactory(neighbourhood=n, proposer=resident(n), status=S.SHORTLISTED)


def test_one_support_each_and_it_can_be_withdrawn(p, client):
    r = resident(p.neighbourhood)
    services.support_add(proposal=p, user=r)
    with pytest.raises(StateError):
        services.support_add(proposal=p, user=r)
    p.refresh_from_db()
    assert p.support_count == 1
    services.support_withdraw(proposal=p, user=r)
    p.refresh_from_db()
    assert p.support_count == 0
    with pytest.raises(StateError):
        services.support_withdraw(proposal=p, user=r)
    # and through the page, without JavaScript
    client.force_login(r)
    client.post(f"/proposals/{p.neighbourhood.slug}/{p.pk}/support/", {"action": "add"})
    p.refresh_from_db()
    assert p.support_count == 1


@pytest.mark.parametrize("state", [S.DRAFT, S.INELIGIBLE, S.WITHDRAWN, S.SELECTED])
def test_supports_only_while_open(state):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, status=state)
    with pytest.raises(ForbiddenError):
        services.support_add(proposal=p, user=resident(n))


def test_non_residents_cannot_support_or_comment(p):
    outsider = resident(NeighbourhoodFactory())
    with pytest.raises(ForbiddenError):
        services.support_add(proposal=p, user=outsider)
    with pytest.raises(ForbiddenError):
        services.comment_create(proposal=p, author=outsider, body="Hi")


def test_comments_are_plain_text_threaded_one_level_and_the_proposer_is_told(
    p, client, django_capture_on_commit_callbacks
):
    r = resident(p.neighbourhood)
    with django_capture_on_commit_callbacks(execute=True):
        top = services.comment_create(proposal=p, author=r, body="<b>Great</b> <script>x</script>")
        reply = services.comment_create(proposal=p, author=p.proposer, body="Thanks", parent=top)
        deeper = services.comment_create(proposal=p, author=r, body="Welcome", parent=reply)
    assert reply.parent == top and deeper.parent == top  # one level only
    # told of the two comments by others, not of their own reply
    assert [m.to for m in mail.outbox] == [[p.proposer.email], [p.proposer.email]]
    page = client.get(f"/proposals/{p.neighbourhood.slug}/{p.pk}/").content.decode()
    assert "&lt;b&gt;Great&lt;/b&gt; &lt;script&gt;" in page
    with pytest.raises(ApplicationError):
        services.comment_create(proposal=p, author=r, body="   ")
    with pytest.raises(ApplicationError):
        services.comment_create(proposal=p, author=r, body="x" * 2001)


def test_report_then_hide_shows_a_notice_tells_the_author_and_restore_brings_it_back(
    p, client, django_capture_on_commit_callbacks
):
    n = p.neighbourhood
    author = resident(n)
    comment = services.comment_create(proposal=p, author=author, body="Rude words")
    reporter = UserFactory()  # anyone signed in
    services.report_create(reporter=reporter, reason="Abusive", comment=comment)
    services.report_create(reporter=reporter, reason="Spam", proposal=p)
    assert Report.objects.filter(resolved_at__isnull=True).count() == 2
    t = trustee(n)
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_hide(comment=comment, actor=t, reason="Personal abuse")
    comment.refresh_from_db()
    assert comment.is_hidden and Comment.objects.filter(pk=comment.pk).exists()
    assert mail.outbox[-1].to == [author.email]
    assert "Personal abuse" in mail.outbox[-1].body
    page = client.get(f"/proposals/{n.slug}/{p.pk}/").content.decode()
    assert "Trustees hid this comment: Personal abuse" in page
    assert "Rude words" not in page
    assert Report.objects.filter(resolved_at__isnull=True).count() == 1
    with pytest.raises(StateError):
        services.comment_hide(comment=comment, actor=t, reason="again")
    services.comment_restore(comment=comment, actor=t, reason="On appeal")
    comment.refresh_from_db()
    assert not comment.is_hidden
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "proposals.comment_hidden" in actions and "proposals.comment_restored" in actions


def test_hiding_a_proposal_keeps_it_listed_behind_a_notice(
    p, client, django_capture_on_commit_callbacks
):
    n = p.neighbourhood
    t = trustee(n)
    with pytest.raises(ApplicationError):
        services.proposal_hide(proposal=p, actor=t, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_hide(proposal=p, actor=t, reason="Names a private person")
    assert mail.outbox[-1].to == [p.proposer.email]
    listing = client.get(f"/proposals/{n.slug}/").content.decode()
    assert "Trustees hid this proposal: Names a private person" in listing
    assert p.title not in listing
    page = client.get(f"/proposals/{n.slug}/{p.pk}/").content.decode()
    assert "Names a private person" in page and p.summary not in page


def test_moderation_is_for_unconflicted_trustees_only(p):
    n = p.neighbourhood
    with pytest.raises(ForbiddenError):
        services.proposal_hide(proposal=p, actor=resident(n), reason="x")
    linked = trustee(n)
    p.linked_trustees.add(linked)
    with pytest.raises(ForbiddenError):
        services.proposal_hide(proposal=p, actor=linked, reason="x")
    t = trustee(n)
    own = services.comment_create(proposal=p, author=t, body="Mine")
    with pytest.raises(ForbiddenError):
        services.comment_hide(comment=own, actor=t, reason="x")


def test_reports_need_a_reason_and_a_signed_in_user(p):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(ForbiddenError):
        services.report_create(reporter=AnonymousUser(), reason="x", proposal=p)
    with pytest.raises(ApplicationError):
        services.report_create(reporter=UserFactory(), reason=" ", proposal=p)
    assert not Report.objects.exists()


def test_trustee_queue_page_lists_reports_and_can_dismiss(p, client):
    services.report_create(reporter=UserFactory(), reason="Looks like spam", proposal=p)
    t = trustee(p.neighbourhood)
    client.force_login(t)
    page = client.get(f"/proposals/{p.neighbourhood.slug}/reports/")
    assert "Looks like spam" in page.content.decode()
    report = Report.objects.get()
    client.post(f"/proposals/{p.neighbourhood.slug}/reports/", {"report": report.pk})
    report.refresh_from_db()
    assert report.resolved_by == t


def test_an_absurd_reply_parent_id_is_refused_without_storing_anything(client):
    n = NeighbourhoodFactory()
    proposal = ProposalFactory(neighbourhood=n)
    client.force_login(resident(n))

    response = client.post(
        f"/proposals/{n.slug}/{proposal.pk}/comments/", {"body": "hi", "parent": str(10**30)}
    )

    # back to the comments (with a message), nothing stored
    assert response.status_code == 302
    assert response["Location"] == f"/proposals/{n.slug}/{proposal.pk}/#comments"
    assert not Comment.objects.exists()
