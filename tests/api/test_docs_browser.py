"""Acceptance 4 of the API issue, in a real browser: `/api/docs/` renders in Debian's Chromium
with no request leaving the site, and its content-security policy refuses nothing the page
needs. Runs only with COMMONPURSE_BROWSER_TESTS=1 (see tests/funds/test_browser_acceptance)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.funds.test_browser_acceptance import (  # noqa: F401 - fixtures used by name
    browser,
    browser_enabled,
    site,
)


@pytest.mark.browser
def test_api_docs_render_from_this_site_alone(site, browser):  # noqa: F811
    origin = urlsplit(site)
    context = browser.new_context()
    page = context.new_page()
    requests: list[str] = []
    console: list[str] = []
    failed: list[str] = []
    refused_by_server: list[str] = []
    # Every request of the page and of its workers (Redoc's search runs in a blob: worker).
    context.on("request", lambda request: requests.append(request.url))
    context.on("requestfailed", lambda request: failed.append(request.url))
    context.on(
        "response",
        lambda response: (
            response.status >= 400 and refused_by_server.append(f"{response.status} {response.url}")
        ),
    )
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))

    response = page.goto(f"{site}/api/docs/", wait_until="networkidle")
    assert response.status == 200
    # Redoc has fetched the schema and drawn the operations, with their documented refusals.
    page.locator("h2", has_text="rounds_ballot_cast").first.wait_for(timeout=20_000)
    page.wait_for_load_state("networkidle")
    text = page.locator("#redoc-container").inner_text()
    assert "/api/v1/rounds/{id}/ballot/" in text
    assert "Cast (or, with the receipt code, change) your ballot" in text

    assert f"{site}/api/schema/" in requests
    outside = [
        url
        for url in requests
        if not url.startswith(("data:", "blob:"))
        and (urlsplit(url).scheme, urlsplit(url).netloc) != (origin.scheme, origin.netloc)
    ]
    assert outside == [], f"requests left the site: {outside}"
    assert failed == [], f"requests failed: {failed}"
    assert refused_by_server == []
    refused = [line for line in console if "Content Security Policy" in line]
    assert refused == [], refused
    errors = [line for line in console if line.startswith(("error", "pageerror"))]
    assert errors == [], errors
    context.close()
