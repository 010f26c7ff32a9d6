"""Acceptance 1 of the funds issue, in a real browser: Playwright driving Debian's Chromium
against a live server (pytest-django's LiveServer) holding the demo data.

Trustees decide a grant for a selected proposal at a quorate meeting with one conflicted
trustee excluded; the finance officer starts the grant and pays its first tranche; the
grantee submits a claim with a receipt (a generated PNG, uploaded through the form); a trustee
approves it and the finance officer pays it. The fund's balances, read off the fund page, move
by exactly those amounts.

Grants say how they pay (RULINGS, Money): a grant paid in advance pays tranches and its claims
are accepted as spend, not paid; a reimbursement grant pays approved claims. So the new grant
is paid in advance (its first tranche is paid), and the grantee's claim goes on the demo's
reimbursement grant, the warm hub, where the finance officer pays it.

Runs only when COMMONPURSE_BROWSER_TESTS=1 (the PostgreSQL pass of .ci/run); without it the test
is skipped with that reason, and with it but without /usr/bin/chromium it fails.
"""

from __future__ import annotations

import io
import os
import threading

import pytest
from django.core.management import call_command

from tests.e2e import money
from tests.e2e.browser import browser_gate, launch
from tests.e2e.browser import sign_in as _sign_in_page
from tests.e2e.browser import submit as _submit


@pytest.fixture
def browser_enabled():
    browser_gate(os.environ)


@pytest.fixture
def browser(browser_enabled, monkeypatch):
    # Playwright's sync API runs an event loop in this thread; the test's own ORM reads are
    # plain synchronous code between browser steps.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = launch(pw)
        try:
            yield instance
        finally:
            instance.close()
            # Django keeps connections per context, and the test's ORM calls ran in the context
            # Playwright's greenlets gave them: close that connection here, or it outlives the
            # test and blocks dropping the test database.
            from django.db import connections

            connections.close_all()


@pytest.fixture
def site(browser_enabled, transactional_db, settings):
    """A live server with the demo data, over plain HTTP.

    pytest-django's LiveServer, started here rather than through the session-wide
    `live_server` fixture: Django's SecurityMiddleware reads SECURE_SSL_REDIRECT and HSTS when
    the server's handler is built, so the server must start after these test settings apply
    (else every page redirects to https, which the live server does not speak). Tests ask for
    `site` before `browser`, so the browser closes its connections before the server stops."""
    from pytest_django.live_server_helper import LiveServer

    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    settings.DEBUG = True  # seed_demo refuses to run in production
    call_command("seed_demo", stdout=io.StringIO())
    server = LiveServer("127.0.0.1:0")
    try:
        yield server.url
    finally:
        server.stop()
        # Each request thread closes its database connection when its socket closes; wait for
        # them, so the test database is not dropped under an open connection.
        for thread in threading.enumerate():
            if "process_request_thread" in thread.name:
                thread.join(timeout=10)


def _sign_in(browser, base: str, email: str):
    """A new browser context, signed in through the real login page (and its TOTP step)."""
    return _sign_in_page(browser.new_context().new_page(), base, email)


def _figures(page, base: str, fund_pk: int) -> dict[str, int]:
    """The balances as the fund page shows them, back in pence."""
    page.goto(f"{base}/funds/{fund_pk}/")
    figures = {}
    for name in ("received", "committed", "paid", "recovered", "available"):
        text = page.text_content(f"td[data-figure={name}]").strip()
        figures[name] = int(text.replace("£", "").replace(",", "").replace(".", ""))
    return figures


def _moved(before: dict, after: dict) -> dict:
    return {k: after[k] - before[k] for k in before if after[k] != before[k]}


@pytest.mark.browser
def test_decide_pay_claim_approve_pay_in_a_real_browser(site, browser):
    from accounts.models import User
    from communities.services import conflict_declare
    from funds.models import Claim, Fund, Grant, GrantTranche
    from funds.selectors import fund_figures
    from funds.services.decisions import current_trustee_ids
    from proposals.models import Proposal

    base = site
    fund = Fund.objects.get()
    proposal = Proposal.objects.get(title="Youth club Friday nights")
    conflicted = User.objects.get(email="trustee3@example.org")
    conflict_declare(
        actor=conflicted,
        neighbourhood=fund.neighbourhood,
        obj=proposal,
        reason="My daughter runs the youth club.",
    )

    # given: the trustees' chair, the finance officer, the grantee and another trustee
    chair = _sign_in(browser, base, "trustee@example.org")
    finance = _sign_in(browser, base, "finance@example.org")
    grantee = _sign_in(browser, base, "resident@example.org")
    approver = _sign_in(browser, base, "trustee2@example.org")
    start = _figures(chair, base, fund.pk)

    # when: the meeting decides a grant of £17,000 in two tranches
    chair.goto(f"{base}/funds/{fund.pk}/to-do/")
    _submit(chair, "a:has-text('Record the decision on Youth club Friday nights')")
    assert "Excluded from the vote" in chair.content()
    assert "Declared a conflict" in chair.content()
    assert chair.locator(f"input[name=vote_{conflicted.pk}]").count() == 0
    trustees = User.objects.filter(pk__in=current_trustee_ids(fund.neighbourhood)).exclude(
        pk=conflicted.pk
    )
    for n, trustee in enumerate(trustees):
        vote = "against" if n == 0 else ("apologies" if n == 1 else "for")
        chair.check(f"input[name=vote_{trustee.pk}][value={vote}]")
    chair.check(f"input[name=attend_{conflicted.pk}][value=present]")
    chair.fill("input[name=amount]", "17,000")
    chair.select_option("select[name=recipient]", label="St Mark's Play Association")
    chair.check("input[name=payment_mode][value=advance]")
    chair.fill("input[name=tranche_1]", "10,000")
    chair.fill("input[name=tranche_2]", "7,000")
    _submit(chair, "button:has-text('Record the decision')")
    minutes = chair.content()
    assert "/minutes/" in chair.url, minutes
    assert "Declared a conflict" in minutes and "Passed" in minutes
    grant = Grant.objects.get(proposal=proposal)
    decided = _figures(chair, base, fund.pk)
    assert _moved(start, decided) == {"committed": 1_700_000, "available": -1_700_000}

    # the finance officer issues the agreement, starts the grant and pays its first tranche
    finance.goto(f"{base}/funds/{fund.pk}/payments/")
    _submit(finance, "button:has-text('Issue the agreement for Youth club Friday nights')")
    _submit(
        finance, "button:has-text('The signed agreement is back: start Youth club Friday nights')"
    )
    _submit(finance, "button:has-text('Release £10,000.00 for Youth club Friday nights')")
    assert "is paid" in finance.content()
    assert grant.tranches.get(number=1).status == GrantTranche.Status.RELEASED
    paid_tranche = _figures(chair, base, fund.pk)
    assert _moved(decided, paid_tranche) == {"paid": 1_000_000}

    # the grantee claims on their reimbursement grant, with a receipt
    warm = Grant.objects.get(payment_mode=Grant.PaymentMode.REIMBURSEMENT)
    claim_url = money.claim_with_receipt(
        grantee, f"{base}/funds/grants/{warm.pk}/", "Hot-water urn", "123.45"
    )
    claim = Claim.objects.filter(grant=warm).latest("pk")
    assert claim.status == Claim.Status.SUBMITTED

    # a trustee approves it; the finance officer pays it
    money.approve_claim(approver, claim_url)
    money.pay_claim(finance, claim_url, "£123.45")

    # then: the balances moved by exactly those amounts, and the books agree
    end = _figures(chair, base, fund.pk)
    assert _moved(paid_tranche, end) == {"paid": 12_345}
    assert _moved(start, end) == {
        "committed": 1_700_000,
        "paid": 1_012_345,
        "available": -1_700_000,
    }
    figures = fund_figures(fund=fund)
    assert (figures.committed, figures.paid, figures.available) == (
        end["committed"],
        end["paid"],
        end["available"],
    )
    call_command("verify_ledger", stdout=io.StringIO())


def test_browser_tests_skip_without_the_switch():
    with pytest.raises(pytest.skip.Exception, match="COMMONPURSE_BROWSER_TESTS=1"):
        browser_gate({})


def test_browser_tests_fail_with_the_switch_and_no_chromium(tmp_path):
    with pytest.raises(pytest.fail.Exception, match="make browser-deps"):
        browser_gate({"COMMONPURSE_BROWSER_TESTS": "1"}, chromium=str(tmp_path / "chromium"))
