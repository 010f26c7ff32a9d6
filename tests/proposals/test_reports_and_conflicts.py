"""Reports and moderation: hidden content is never quoted back, conflicted trustees stand aside.

Regression tests from the review probes (report page leaking hidden text; a trustee who
proposed something hiding criticism of it or dismissing reports about it).
"""

from __future__ import annotations

import pytest

from config.errors import ForbiddenError
from proposals import permissions as perms
from proposals import services
from proposals.models import Proposal, Report
from tests.factories import NeighbourhoodFactory, ProposalFactory, UserFactory, trustee
from tests.proposals.factories import CommentFactory

pytestmark = pytest.mark.django_db
S = Proposal.Status


def test_report_page_of_a_hidden_comment_is_not_found_and_does_not_quote_it(client):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n)
    c = CommentFactory(proposal=p, body="SECRET-HIDDEN-BODY", is_hidden=True, hidden_reason="abuse")
    client.force_login(UserFactory())
    r = client.get(f"/proposals/{n.slug}/{p.pk}/comments/{c.pk}/report/")
    assert r.status_code == 404
    assert b"SECRET-HIDDEN-BODY" not in r.content
    r = client.post(f"/proposals/{n.slug}/{p.pk}/comments/{c.pk}/report/", {"reason": "x"})
    assert r.status_code == 404
    assert not Report.objects.exists()


def test_report_page_of_a_hidden_proposal_is_not_found(client):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, summary="HIDDEN-SUMMARY", is_hidden=True)
    client.force_login(UserFactory())
    r = client.get(f"/proposals/{n.slug}/{p.pk}/report/")
    assert r.status_code == 404
    assert b"HIDDEN-SUMMARY" not in r.content


def test_report_page_of_visible_content_still_works(client):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, status=S.SHORTLISTED)
    c = CommentFactory(proposal=p, body="VISIBLE-BODY")
    client.force_login(UserFactory())
    r = client.get(f"/proposals/{n.slug}/{p.pk}/comments/{c.pk}/report/")
    assert r.status_code == 200
    assert b"VISIBLE-BODY" in r.content


def _conflicted_trustee_setup():
    n = NeighbourhoodFactory()
    t = trustee(n)
    p = ProposalFactory(neighbourhood=n, proposer=t, status=S.SHORTLISTED)
    c = CommentFactory(proposal=p, body="This is a bad idea")
    return n, t, p, c


def test_a_conflicted_trustee_may_not_moderate_comments_on_the_proposal(client):
    n, t, p, c = _conflicted_trustee_setup()
    assert not perms.can_moderate_comment(t, c)
    assert perms.can_moderate_comment(trustee(n), c)
    with pytest.raises(ForbiddenError):
        services.comment_hide(comment=c, actor=t, reason="meh")
    client.force_login(t)
    client.post(f"/proposals/{n.slug}/{p.pk}/comments/{c.pk}/moderate/", {"reason": "meh"})
    c.refresh_from_db()
    assert not c.is_hidden


def test_a_conflicted_trustee_may_not_dismiss_reports_on_the_proposal(client):
    n, t, p, c = _conflicted_trustee_setup()
    rep = Report.objects.create(reporter=UserFactory(), neighbourhood=n, proposal=p, reason="bad")
    on_comment = Report.objects.create(
        reporter=UserFactory(), neighbourhood=n, comment=c, reason="bad"
    )
    with pytest.raises(ForbiddenError):
        services.report_dismiss(report=on_comment, actor=t)
    client.force_login(t)
    client.post(f"/proposals/{n.slug}/reports/", {"report": rep.pk})
    rep.refresh_from_db()
    assert rep.resolved_at is None
    # another trustee may
    services.report_dismiss(report=rep, actor=trustee(n))
    rep.refresh_from_db()
    assert rep.resolved_at is not None


def test_a_trustee_may_not_dismiss_a_report_on_their_own_comment():
    n = NeighbourhoodFactory()
    t = trustee(n)
    p = ProposalFactory(neighbourhood=n, status=S.SHORTLISTED)
    c = CommentFactory(proposal=p, author=t)
    rep = Report.objects.create(reporter=UserFactory(), neighbourhood=n, comment=c, reason="rude")
    with pytest.raises(ForbiddenError):
        services.report_dismiss(report=rep, actor=t)
    rep.refresh_from_db()
    assert rep.resolved_at is None


@pytest.mark.parametrize("value", ["abc", "", str(10**30), "-1", "0", "999999"])
def test_a_bad_report_id_in_the_queue_is_a_clear_message_not_a_500(client, value):
    n = NeighbourhoodFactory()
    client.force_login(trustee(n))
    response = client.post(f"/proposals/{n.slug}/reports/", {"report": value}, follow=True)
    assert response.status_code == 200
    assert "That report could not be found" in response.content.decode()
