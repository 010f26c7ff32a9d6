"""Browser steps of the money journey, shared by journey 3 (tests/e2e) and the funds issue's
browser acceptance (tests/funds/test_browser_acceptance.py). Each step takes a Playwright
page already signed in as the person who does it, and calls `arrived(page)` on each page it
reaches (the journeys pass checks.inspect: axe and page weight)."""

from __future__ import annotations

from collections.abc import Callable

from .browser import png
from .browser import submit as _submit


def _nothing(page) -> None:
    pass


Arrived = Callable[[object], None]


def decide_grant(
    page,
    base: str,
    fund_pk: int,
    title: str,
    *,
    amount: str,
    recipient: str,
    payment_mode: str,
    votes: dict[str, str] | None = None,
    tranches: tuple[str, ...] = (),
    arrived: Arrived = _nothing,
) -> None:
    """The chair records a meeting's decision from the fund's to-do list. Every trustee on
    the form votes "for" unless `votes` (radio name -> value) says otherwise."""
    page.goto(f"{base}/funds/{fund_pk}/to-do/")
    arrived(page)
    _submit(page, f"a:has-text('Record the decision on {title}')")
    arrived(page)
    names = page.eval_on_selector_all(
        "main input[type=radio][name^=vote_]", "els => [...new Set(els.map(e => e.name))]"
    )
    for name in names:
        page.check(f"input[name={name}][value={(votes or {}).get(name, 'for')}]")
    page.fill("input[name=amount]", amount)
    page.select_option("select[name=recipient]", label=recipient)
    page.check(f"input[name=payment_mode][value={payment_mode}]")
    for number, value in enumerate(tranches, start=1):
        page.fill(f"input[name=tranche_{number}]", value)
    _submit(page, "button:has-text('Record the decision')")
    arrived(page)
    assert "/minutes/" in page.url, page.inner_text("main")


def start_grant(page, base: str, fund_pk: int, title: str, *, arrived: Arrived = _nothing) -> None:
    """The finance officer issues the agreement and starts the grant once it is signed."""
    page.goto(f"{base}/funds/{fund_pk}/payments/")
    arrived(page)
    _submit(page, f"button:has-text('Issue the agreement for {title}')")
    arrived(page)
    _submit(page, f"button:has-text('The signed agreement is back: start {title}')")
    arrived(page)


def claim_with_receipt(
    page, grant_url: str, description: str, amount: str, *, arrived: Arrived = _nothing
) -> str:
    """The grantee claims one item with a photographed receipt; returns the claim's address."""
    page.goto(grant_url)
    arrived(page)
    _submit(page, "a:has-text('Make a claim')")
    arrived(page)
    page.fill("input[name=description_1]", description)
    page.fill("input[name=amount_1]", amount)
    page.set_input_files(
        "input[name=receipt_1]",
        files=[{"name": "receipt.png", "mimeType": "image/png", "buffer": png()}],
    )
    _submit(page, "button:has-text('Submit the claim')")
    arrived(page)
    assert "Your claim is submitted" in page.content(), page.inner_text("main")
    return page.url


def approve_claim(page, claim_url: str, *, arrived: Arrived = _nothing) -> None:
    page.goto(claim_url)
    arrived(page)
    _submit(page, "button:has-text('Approve the claim')")
    arrived(page)
    assert "The claim is approved" in page.content(), page.inner_text("main")


def pay_claim(page, claim_url: str, amount_display: str, *, arrived: Arrived = _nothing) -> None:
    page.goto(claim_url)
    arrived(page)
    _submit(page, f"button:has-text('Pay {amount_display}')")
    arrived(page)
    assert "The claim is paid" in page.content(), page.inner_text("main")
