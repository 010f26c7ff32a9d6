"""Titles and summaries are one line: a newline in a title used to break email subjects.

Regression tests from the review probes (hiding a proposal whose title held a newline
raised BadHeaderError after commit; the form and the service accepted such titles).
"""

from __future__ import annotations

import pytest
from django.core import mail

from config.errors import ApplicationError
from proposals import services
from proposals.forms import ProposalForm
from proposals.models import Proposal
from proposals.text import has_control_characters, single_line
from tests.factories import NeighbourhoodFactory, ProposalFactory, resident, trustee

pytestmark = pytest.mark.django_db
S = Proposal.Status


@pytest.mark.parametrize("title", ["A\nB", "A\rB", "A\tB", "A\u2028B", "A\x1bB"])
def test_the_form_refuses_control_characters_in_a_title(title):
    n = NeighbourhoodFactory()
    form = ProposalForm(
        {"title": title, "summary": "s", "description": "d", "theme": "housing"}, neighbourhood=n
    )
    assert not form.is_valid()
    assert "one line" in form.errors["title"][0]


def test_the_page_refuses_a_title_with_a_newline(client):
    n = NeighbourhoodFactory()
    client.force_login(resident(n))
    data = {
        "title": "A\nB",
        "summary": "s",
        "description": "d",
        "theme": "housing",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-description": "x",
        "lines-0-amount": "10",
    }
    response = client.post(f"/proposals/{n.slug}/new/", data)
    assert response.status_code == 200
    assert not Proposal.objects.exists()


@pytest.mark.parametrize("field", ["title", "summary"])
def test_the_service_refuses_control_characters(field):
    n = NeighbourhoodFactory()
    fields = {"title": "T", "summary": "s", field: "one\ntwo"}
    with pytest.raises(ApplicationError, match="one line"):
        services.proposal_create(
            neighbourhood=n,
            proposer=resident(n),
            description="d",
            theme="housing",
            cost_lines=[("x", 1000)],
            **fields,
        )
    assert not Proposal.objects.exists()


def test_an_old_title_with_a_newline_still_gets_a_one_line_subject(
    django_capture_on_commit_callbacks,
):
    n = NeighbourhoodFactory()
    p = ProposalFactory(neighbourhood=n, title="Line one\nLine two", status=S.SHORTLISTED)
    with django_capture_on_commit_callbacks(execute=True):
        services.proposal_hide(proposal=p, actor=trustee(n), reason="x")
    p.refresh_from_db()
    assert p.is_hidden
    assert len(mail.outbox) == 1
    assert "\n" not in mail.outbox[0].subject
    assert "Line one Line two" in mail.outbox[0].subject


def test_text_helpers():
    assert has_control_characters("a\nb") and not has_control_characters("Café – 2")
    assert single_line(" a\r\n\tb\x00c ") == "a b c"
