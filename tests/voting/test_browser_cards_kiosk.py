"""Issue 16 acceptance 1 and 3 in a real browser with JavaScript off: Playwright driving Debian's
Chromium against a live server.

1. A resident with no account votes with a polling card code and gets a receipt; the same code
   then fails (the other channels refusing the same person are Django tests in
   test_polling_cards.py and test_kiosk.py).
3. A kiosk carries nothing from one voter to the next: two voters in one browser context, and
   the second's pages and cookies hold no trace of the first.

Runs only when COMMONPURSE_BROWSER_TESTS=1 (the PostgreSQL pass of .ci/run).
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.funds.test_browser_acceptance import (  # noqa: F401 - pytest fixtures
    browser,
    browser_enabled,
)

RITA = {
    "name": "Rita Resident",
    "house": "1 Hope Road",
    "postcode": "hp1 1aa",
    "age_band": "35_49",
    "connection": "lives",
}
OMAR = {
    "name": "Omar Okafor",
    "house": "22 Mill Lane",
    "postcode": "HP1 2BB",
    "age_band": "50_64",
    "connection": "lives",
}


@pytest.fixture
def live(browser_enabled, transactional_db, settings):  # noqa: F811
    """An open round with two pots, and a live server over plain HTTP (see the funds test)."""
    from pytest_django.live_server_helper import LiveServer

    from tests.factories import NeighbourhoodFactory, trustee
    from tests.voting.factories import postcode_in_area, round_with_pot
    from voting.models import Pot, PotItem

    settings.SECURE_SSL_REDIRECT = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "127.0.0.1"]
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place)
    second = Pot.objects.create(round=round, name="Youth pot", amount_pence=500_000)
    first_item = pot.items.first()
    PotItem.objects.create(
        pot=second, proposal=first_item.proposal, number=1, cost_pence=first_item.cost_pence
    )
    postcode_in_area("HP11AA")
    postcode_in_area("HP12BB")
    chair = trustee(place)
    server = LiveServer("127.0.0.1:0")
    try:
        yield server.url, round, chair
    finally:
        server.stop()
        for thread in threading.enumerate():
            if "process_request_thread" in thread.name:
                thread.join(timeout=10)


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def _vote(page, who: dict, code: str = "") -> list[str]:
    """From the start page (card or kiosk) to the receipt; returns the receipt codes."""
    page.fill("input[name=code]", code)
    _submit(page, "main form button[type=submit]")
    assert "Check you can vote" in page.content(), page.content()
    page.fill("input[name=postcode]", who["postcode"])
    page.select_option("select[name=connection]", who["connection"])
    page.select_option("select[name=age_band]", who["age_band"])
    page.fill("input[name=name]", who["name"])
    page.fill("input[name=house]", who["house"])
    _submit(page, "button:has-text('Continue to the ballot')")
    boxes = page.locator("input[type=checkbox]")
    pots_seen = set()
    for i in range(boxes.count()):
        name = boxes.nth(i).get_attribute("name")
        if name not in pots_seen:  # the first proposal in each pot
            boxes.nth(i).check()
            pots_seen.add(name)
    _submit(page, "button:has-text('Review my choices')")
    assert "Check your choices" in page.content()
    _submit(page, "button:has-text('Cast my vote')")
    assert "Thank you for voting" in page.content(), page.content()
    return [c.strip() for c in page.locator(".receipt-code").all_text_contents()]


@pytest.mark.browser
def test_card_vote_without_account_or_javascript(live, browser):  # noqa: F811
    from voting.models import Ballot, Participation
    from voting.services.cards import card_batch_issue

    base, round, chair = live
    code = card_batch_issue(actor=chair, round=round, count=2).codes[0][1]
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{base}/votes/card/")
    # typed the way people type: lower case, spaces instead of the dash
    receipts = _vote(page, RITA, code.lower().replace("-", " "))
    assert len(receipts) == 2
    assert Ballot.objects.filter(round=round).count() == 2
    assert set(Participation.objects.filter(round=round).values_list("channel", flat=True)) == {
        "card"
    }
    # the same code again fails, and nothing changes
    page.goto(f"{base}/votes/card/")
    page.fill("input[name=code]", code)
    _submit(page, "main form button[type=submit]")
    assert "already been used" in page.content()
    assert Ballot.objects.filter(round=round).count() == 2
    context.close()


@pytest.mark.browser
def test_kiosk_carries_nothing_from_one_voter_to_the_next(live, browser):  # noqa: F811
    from voting.services.cards import card_batch_issue
    from voting.services.kiosks import kiosk_open

    base, round, chair = live
    now = timezone.now()
    _, token = kiosk_open(
        actor=chair,
        round=round,
        label="Hollin Bank library",
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=2),
    )
    code = card_batch_issue(actor=chair, round=round, count=1).codes[0][1]
    context = browser.new_context(java_script_enabled=False)
    context.add_cookies([{"name": "cp_kiosk", "value": token, "url": base}])
    page = context.new_page()

    # the first voter uses a card, then presses Finish
    page.goto(f"{base}/votes/kiosk/")
    first = _vote(page, RITA, code)
    _submit(page, "button:has-text('Finish')")
    assert page.url.endswith("/votes/kiosk/")

    # the second voter has no card: name and address
    pages = [page.content()]
    page.fill("input[name=code]", "")
    _submit(page, "main form button[type=submit]")
    pages.append(page.content())
    page.fill("input[name=postcode]", OMAR["postcode"])
    page.select_option("select[name=connection]", OMAR["connection"])
    page.select_option("select[name=age_band]", OMAR["age_band"])
    page.fill("input[name=name]", OMAR["name"])
    page.fill("input[name=house]", OMAR["house"])
    _submit(page, "button:has-text('Continue to the ballot')")
    pages.append(page.content())
    page.locator("input[type=checkbox]").first.check()
    for i in range(page.locator("input[type=checkbox]").count()):
        box = page.locator("input[type=checkbox]").nth(i)
        if box.get_attribute("name") != page.locator("input[type=checkbox]").first.get_attribute(
            "name"
        ):
            box.check()
            break
    _submit(page, "button:has-text('Review my choices')")
    pages.append(page.content())
    _submit(page, "button:has-text('Cast my vote')")
    pages.append(page.content())
    assert "Thank you for voting" in pages[-1], pages[-1]

    for html in pages:
        for trace in [RITA["name"], "Hope Road", code, code.replace("-", ""), *first]:
            assert trace not in html
        # the form fields start empty: no value from the first voter pre-filled
        assert 'value="Rita' not in html
    cookies = context.cookies()
    assert [c["name"] for c in cookies] == ["cp_kiosk"]
    context.close()
