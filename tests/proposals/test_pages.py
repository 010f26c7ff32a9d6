"""Pages without JavaScript: edit, withdraw, report, moderate, comment and progress forms."""

from __future__ import annotations

import pytest
from django.urls import reverse

from proposals.models import Comment, Proposal, Report
from tests.factories import NeighbourhoodFactory, ProposalFactory, UserFactory, resident, trustee

from .factories import DraftFactory

pytestmark = pytest.mark.django_db
S = Proposal.Status


def test_proposer_edits_a_draft_but_not_after_submission(client):
    n = NeighbourhoodFactory()
    p = DraftFactory(neighbourhood=n, proposer=resident(n))
    client.force_login(p.proposer)
    url = reverse("proposals:edit", args=[n.slug, p.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="1000.00"' in page.content.decode()
    response = client.post(
        url,
        {
            "title": "New title",
            "summary": "s",
            "description": "d",
            "theme": "transport",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "1",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "20",
            "lines-0-description": "Bus",
            "lines-0-amount": "2500",
        },
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.title == "New title" and p.total_pence == 250_000
    Proposal.objects.filter(pk=p.pk).update(status=S.SUBMITTED)
    assert client.get(url).status_code == 403
    client.force_login(resident(n))
    assert client.get(reverse("proposals:detail", args=[n.slug, p.pk])).status_code == 200


def test_others_cannot_see_a_draft(client):
    n = NeighbourhoodFactory()
    p = DraftFactory(neighbourhood=n, proposer=resident(n))
    assert client.get(reverse("proposals:detail", args=[n.slug, p.pk])).status_code == 404
    client.force_login(resident(n))
    assert client.get(reverse("proposals:detail", args=[n.slug, p.pk])).status_code == 404


def test_withdraw_page(client):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, proposer=resident(n), status=S.SUBMITTED)
    client.force_login(p.proposer)
    url = reverse("proposals:withdraw", args=[n.slug, p.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"reason": "Changed my mind"}).status_code == 302
    p.refresh_from_db()
    assert p.status == S.WITHDRAWN
    page = client.get(reverse("proposals:detail", args=[n.slug, p.pk])).content.decode()
    assert "Changed my mind" in page


def test_report_comment_and_moderate_through_pages(client):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, proposer=resident(n), status=S.SHORTLISTED)
    author = resident(n)
    client.force_login(author)
    client.post(reverse("proposals:comment", args=[n.slug, p.pk]), {"body": "Nonsense"})
    comment = Comment.objects.get()
    client.force_login(UserFactory())
    url = reverse("proposals:report_comment", args=[n.slug, p.pk, comment.pk])
    assert client.post(url, {"reason": ""}).status_code == 200  # reason required
    assert client.post(url, {"reason": "Offensive"}).status_code == 302
    assert Report.objects.get().comment == comment
    client.force_login(trustee(n))
    url = reverse("proposals:moderate_comment", args=[n.slug, p.pk, comment.pk])
    assert "Hide this comment" in client.get(url).content.decode()
    assert client.post(url, {"reason": "Offensive to neighbours"}).status_code == 302
    comment.refresh_from_db()
    assert comment.is_hidden
    assert "Restore this comment" in client.get(url).content.decode()


def test_resident_cannot_moderate_and_outsider_cannot_propose(client):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, status=S.SHORTLISTED)
    client.force_login(resident(n))
    assert client.get(reverse("proposals:moderate", args=[n.slug, p.pk])).status_code == 403
    client.force_login(resident(NeighbourhoodFactory()))
    assert client.get(reverse("proposals:create", args=[n.slug])).status_code == 403
    client.logout()
    response = client.get(reverse("proposals:create", args=[n.slug]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_milestone_page_posts_progress(client):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, proposer=resident(n), status=S.GRANTED)
    client.force_login(p.proposer)
    url = reverse("proposals:milestone", args=[n.slug, p.pk])
    response = client.post(
        url, {"happened_on": "2026-01-15", "update": "Contract signed", "progress_percent": "10"}
    )
    assert response.status_code == 302
    page = client.get(reverse("proposals:detail", args=[n.slug, p.pk])).content.decode()
    assert "Contract signed" in page and "10% done" in page


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected"])
def test_proposal_pages_of_an_unpublished_neighbourhood_do_not_leak_its_name(client, status):
    """Review probe: /proposals/<draft slug>/ showed the draft neighbourhood's name."""
    nb = NeighbourhoodFactory(status=status, name="SECRET-DRAFT-NB")
    for url in (f"/proposals/{nb.slug}/", f"/proposals/{nb.slug}/new/"):
        response = client.get(url)
        if url.endswith("/new/"):
            # login comes first, for any slug: the redirect reveals nothing
            assert response.status_code == 302, url
            assert response["Location"].startswith("/accounts/login/"), url
        else:
            assert response.status_code == 404, url
        assert b"SECRET-DRAFT-NB" not in response.content
    # its registrant still sees it
    client.force_login(nb.registrant)
    assert client.get(f"/proposals/{nb.slug}/").status_code == 200
