"""Acceptance 1 of the audit workspace, in a real browser: the demo funder auditor goes from
the fund total to one receipt in at most four clicks, and that view shows in the workspace's
log of receipt views. Runs only with COMMONPURSE_BROWSER_TESTS=1 (see test_browser_acceptance)."""

from __future__ import annotations

import pytest

from .test_browser_acceptance import (  # noqa: F401 - fixtures used by name
    _sign_in,
    browser,
    browser_enabled,
    site,
)


@pytest.mark.browser
def test_funder_auditor_reaches_a_receipt_in_four_clicks_and_it_is_logged(
    site,  # noqa: F811
    browser,  # noqa: F811
):
    from audit.models import AuditEvent
    from funds.models import Fund

    base = site
    fund = Fund.objects.get()
    page = _sign_in(browser, base, "funder@example.org")
    page.goto(f"{base}/funds/{fund.pk}/")
    assert page.text_content("td[data-figure=paid]").strip().startswith("£")
    clicks = 0

    def click(selector: str):
        nonlocal clicks
        clicks += 1
        with page.expect_navigation():
            page.locator(selector).first.click()

    click("a:has-text('Audit workspace')")
    click("td[data-figure=paid] a")
    assert "Paid to grantees" in page.content()
    receipt_link = page.locator("a:has-text('receipt:')").first
    href = receipt_link.get_attribute("href")
    item_pk = href.rstrip("/").rsplit("/", 1)[-1]
    with page.expect_navigation() as nav:
        clicks += 1
        receipt_link.click()
    response = nav.value
    assert response.status == 200
    assert response.headers["content-type"] in ("image/png", "image/jpeg", "application/pdf")
    assert clicks <= 4

    assert AuditEvent.objects.filter(action="funds.receipt_viewed", object_id=item_pk).exists()
    page.goto(f"{base}/funds/{fund.pk}/audit/")
    row = page.locator(f"tr[data-receipt-view='{item_pk}']")
    assert row.count() >= 1
    assert "Receipt" in row.first.text_content()
