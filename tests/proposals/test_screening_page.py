"""The screening page shows the proposal being screened (issue 13): title, summary, cost and
a thumbnail of its photo, with a link to the full proposal."""

from __future__ import annotations

import pytest
from django.urls import reverse

from proposals import services
from proposals.models import Proposal
from tests.factories import NeighbourhoodFactory, healthy_partnership, resident, trustee

from .factories import DraftFactory, jpeg_bytes, upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def submitted(django_capture_on_commit_callbacks):
    n = NeighbourhoodFactory()
    healthy_partnership(n)
    draft = DraftFactory(neighbourhood=n, proposer=resident(n), summary="Benches by the pond.")
    with django_capture_on_commit_callbacks(execute=True):
        image = services.proposal_image_add(
            proposal=draft, actor=draft.proposer, file=upload(jpeg_bytes()), alt_text="The pond"
        )
        services.proposal_submit(proposal=draft, actor=draft.proposer)
    draft.refresh_from_db()
    assert draft.status == Proposal.Status.SUBMITTED
    return draft, image


@pytest.mark.parametrize("start_screening", [False, True])
def test_screening_page_shows_title_summary_cost_and_photo(submitted, client, start_screening):
    proposal, image = submitted
    chair = trustee(proposal.neighbourhood)
    if start_screening:
        services.proposal_start_screening(proposal=proposal, actor=chair)
    client.force_login(chair)
    page = client.get(
        reverse("proposals:screen", args=[proposal.neighbourhood.slug, proposal.pk])
    ).content.decode()
    summary = page[page.index('aria-labelledby="screened-title"') :]
    summary = summary[: summary.index("</section>")]
    assert proposal.title in summary and "Benches by the pond." in summary
    assert "Total asked for: <strong>£" in summary
    image.refresh_from_db()
    assert f'src="{image.display_320.url}" alt="The pond"' in summary
    assert reverse("proposals:detail", args=[proposal.neighbourhood.slug, proposal.pk]) in summary
