"""Implementation tracking on granted proposals, shown publicly."""

from __future__ import annotations

import datetime as dt

import pytest

from config.errors import ApplicationError, ForbiddenError
from proposals import services
from proposals.models import Milestone, Proposal, ProposalImage
from tests.factories import NeighbourhoodFactory, ProposalFactory, resident, trustee

from .factories import jpeg_bytes, png_declaring, upload

pytestmark = pytest.mark.django_db
S = Proposal.Status


@pytest.fixture
def granted():
    n = NeighbourhoodFactory()
    return ProposalFactory(neighbourhood=n, proposer=resident(n), status=S.IN_DELIVERY)


def test_proposer_and_trustees_post_progress_with_photos(
    granted, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.milestone_add(
            proposal=granted,
            actor=granted.proposer,
            happened_on=dt.date(2026, 5, 1),
            update="Kitchen fitted",
            progress_percent=40,
            photos=[(upload(jpeg_bytes(gps=True)), "The new kitchen")],
        )
    services.milestone_add(
        proposal=granted,
        actor=trustee(granted.neighbourhood),
        happened_on=dt.date(2026, 6, 1),
        update="Opened",
        progress_percent=100,
    )
    assert Milestone.objects.count() == 2
    assert ProposalImage.objects.get().status == "ready"
    page = client.get(f"/proposals/{granted.neighbourhood.slug}/{granted.pk}/").content.decode()
    assert "Kitchen fitted" in page and "100% done" in page and 'alt="The new kitchen"' in page


def test_progress_is_refused_for_others_before_the_grant_and_with_bad_input(granted):
    with pytest.raises(ForbiddenError):
        services.milestone_add(
            proposal=granted,
            actor=resident(granted.neighbourhood),
            happened_on=dt.date.today(),
            update="x",
            progress_percent=5,
        )
    shortlisted = ProposalFactory(status=S.SHORTLISTED)
    with pytest.raises(ForbiddenError):
        services.milestone_add(
            proposal=shortlisted,
            actor=shortlisted.proposer,
            happened_on=dt.date.today(),
            update="x",
            progress_percent=5,
        )
    with pytest.raises(ApplicationError):
        services.milestone_add(
            proposal=granted,
            actor=granted.proposer,
            happened_on=dt.date.today(),
            update="x",
            progress_percent=101,
        )
    with pytest.raises(ApplicationError, match="too large"):
        services.milestone_add(
            proposal=granted,
            actor=granted.proposer,
            happened_on=dt.date.today(),
            update="x",
            progress_percent=5,
            photos=[(upload(png_declaring(60000, 60000)), "b")],
        )
    assert not Milestone.objects.exists()
