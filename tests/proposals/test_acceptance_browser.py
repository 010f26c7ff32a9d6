"""Acceptance 1: draft, submit, screen and shortlist through plain form posts (no JavaScript)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from audit.models import AuditEvent
from proposals.models import Proposal
from tests.factories import NeighbourhoodFactory, resident, trustee

from .factories import jpeg_bytes, upload

pytestmark = pytest.mark.django_db


def test_resident_drafts_submits_and_trustee_screens_and_shortlists(
    client, django_capture_on_commit_callbacks
):
    # given a neighbourhood with a resident and a trustee (with two-factor)
    n = NeighbourhoodFactory()
    rita = resident(n)
    tariq = trustee(n)

    # when the resident drafts a proposal with two cost lines
    client.force_login(rita)
    page = client.get(reverse("proposals:create", args=[n.slug]))
    assert page.status_code == 200
    assert b"<script" not in page.content
    response = client.post(
        reverse("proposals:create", args=[n.slug]),
        {
            "title": "Reopen the community cafe",
            "summary": "A warm place to meet, run by volunteers.",
            "description": "We will **reopen** the cafe on Mill Street.",
            "theme": "places_to_meet",
            "location": "Mill Street",
            "organisation": "",
            "trustee_links": "",
            "lines-TOTAL_FORMS": "3",
            "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0",
            "lines-MAX_NUM_FORMS": "20",
            "lines-0-description": "Kitchen equipment",
            "lines-0-amount": "4,250.50",
            "lines-1-description": "Rent for a year",
            "lines-1-amount": "£9000",
            "lines-2-description": "",
            "lines-2-amount": "",
        },
    )
    proposal = Proposal.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("proposals:detail", args=[n.slug, proposal.pk])
    assert proposal.status == Proposal.Status.DRAFT
    assert proposal.total_pence == 425050 + 900000
    assert (
        proposal.description_html
        == "<p>We will <strong>reopen</strong> the cafe on Mill Street.</p>"
    )

    # and adds a photo
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("proposals:images", args=[n.slug, proposal.pk]),
            {"image": upload(jpeg_bytes(gps=True)), "alt_text": "The cafe's shuttered front"},
        )
    assert response.status_code == 302

    # and submits it
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("proposals:submit", args=[n.slug, proposal.pk]))
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SUBMITTED
    assert any(tariq.email in m.to for m in mail.outbox)

    # then a trustee takes it into screening and shortlists it with a revised cost
    client.force_login(tariq)
    screen = reverse("proposals:screen", args=[n.slug, proposal.pk])
    assert client.get(screen).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(screen).status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SCREENING
    page = client.get(screen)
    assert b'name="decision"' in page.content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            screen,
            {"decision": "shortlist", "notes": "Eligible. Rent checked.", "revised_cost": "13000"},
        )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.SHORTLISTED
    assert proposal.screened_cost_pence == 1_300_000
    assert proposal.shortlisted_at is not None

    # and every transition is in the audit trail, in order, with who did it
    events = list(
        AuditEvent.objects.filter(object_type="proposals.proposal", object_id=str(proposal.pk))
        .order_by("seq")
        .values_list("action", "actor_id", "actor_role")
    )
    assert events == [
        ("proposals.drafted", rita.pk, "resident"),
        ("proposals.submitted", rita.pk, "proposer"),
        ("proposals.screening_started", tariq.pk, "trustee"),
        ("proposals.shortlisted", tariq.pk, "trustee"),
    ]
    # the proposer was emailed at each status change
    to_rita = [m.subject for m in mail.outbox if rita.email in m.to]
    assert to_rita == [
        "Your proposal is now: Submitted",
        "Your proposal is now: Being screened",
        "Your proposal is now: Shortlisted",
    ]
    # and the public page shows the full history and the processed photo
    client.logout()
    page = client.get(reverse("proposals:detail", args=[n.slug, proposal.pk])).content.decode()
    for label in ("Submitted", "Being screened", "Shortlisted", "Eligible. Rent checked."):
        assert label in page
    assert 'alt="The cafe&#x27;s shuttered front"' in page
    assert len(page.encode()) < 100_000
