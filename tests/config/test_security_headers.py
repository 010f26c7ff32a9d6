"""Security headers (issue 9, point 4): a Content-Security-Policy without inline script and a
Permissions-Policy on every response; ballot and receipt pages are never stored."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.urls import reverse

from tests.factories import resident
from tests.voting.factories import proposal_ids, round_with_pot

ROOT = Path(__file__).resolve().parents[2]


def _directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/about/", "/accounts/login/", "/healthz", "/no-such-page/"])
def test_every_response_has_a_csp_without_inline_script_and_a_permissions_policy(client, path):
    response = client.get(path)
    directives = _directives(response)
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


@pytest.mark.django_db
def test_signed_in_pages_and_the_admin_have_the_headers(client):
    from tests.factories import UserFactory

    client.force_login(UserFactory(is_staff=True, is_superuser=True, mfa=True))
    for path in ("/accounts/preferences/", "/admin/", "/accounts/2fa/"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert _directives(response)["script-src"] == ["'self'"], path
        assert "Permissions-Policy" in response


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
EVENT_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.I)


def test_templates_have_no_inline_script_event_handlers_or_style_attributes():
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, STYLE_ATTRIBUTE):
            found += [
                f"{path.relative_to(ROOT)}: {m.group(0)}"
                for m in pattern.finditer(text)
                # the API docs' start-up script runs by its page's nonce (RULINGS)
                if not (path.parent.name == "api" and 'nonce="{{ nonce }}"' in m.group(0))
            ]
    assert found == []


@pytest.mark.django_db
def test_ballot_receipt_and_receipt_lookup_pages_are_not_stored(client):
    round, pot = round_with_pot()
    a, *_ = proposal_ids(pot)
    client.force_login(resident(round.neighbourhood))
    url = reverse("voting:ballot", args=[pot.pk])
    ballot = client.get(url)
    receipt = client.post(url, {"choice": [a]})
    assert ballot.status_code == 200 and receipt.status_code == 200
    lookup_page = client.get(reverse("voting:receipt"))
    lookup = client.post(reverse("voting:receipt"), {"code": "ZZZZ-ZZZZ-ZZZZ-ZZZZ"})
    for response in (ballot, receipt, lookup_page, lookup):
        assert "no-store" in response["Cache-Control"]
    # other pages are left to the usual caching rules
    assert "no-store" not in client.get("/about/").get("Cache-Control", "")


@pytest.mark.django_db
def test_the_api_docs_page_has_its_own_policy_and_only_a_nonced_inline_script(client):
    # RULINGS: the docs' start-up script runs by the policy's nonce, nothing else inline.
    response = client.get("/api/docs/")
    assert response.status_code == 200
    script_src = _directives(response)["script-src"]
    assert "'unsafe-inline'" not in script_src
    nonce = next(s for s in script_src if s.startswith("'nonce-"))[7:-1]
    inline = INLINE_SCRIPT.findall(response.content.decode())
    assert inline and all(f'nonce="{nonce}"' in tag for tag in inline)


@pytest.mark.django_db
def test_paper_desk_and_batch_pages_are_not_stored(client):
    # The desk shows voters' private names and addresses; a batch shows paper ballots.
    from tests.factories import trustee
    from voting.services import paper_batch_create

    round, pot = round_with_pot(channel_paper=True)
    chair = trustee(round.neighbourhood)
    batch = paper_batch_create(actor=chair, round=round, pot=pot, event="Fair", declared_count=1)
    client.force_login(chair)
    desk = client.get(reverse("voting:paper", args=[round.pk]))
    batch_page = client.get(reverse("voting:batch", args=[batch.pk]))
    for response in (desk, batch_page):
        assert response.status_code == 200
        assert "no-store" in response["Cache-Control"]
