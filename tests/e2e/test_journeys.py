"""The journeys of issue 13 in a real browser (Chromium through Playwright) against a live
server with the demo data. Run with `make e2e`; the tests run in file order and build on each
other (journey 2 screens the proposals journey 1 submitted), like one afternoon on the site.

1. A new resident signs up with a public name, verifies their email, finds their
   neighbourhood by postcode, joins, and submits a proposal with a photo: with the mouse,
   with JavaScript off, and with the keyboard only.
2. Trustees screen and shortlist the proposals, set up and open a round; residents vote on a
   knapsack ballot (over budget is refused with a clear message) with the mouse, with
   JavaScript off and with the keyboard only; the round closes, two trustees certify, and the
   results are published with a chart.
3. Trustees decide a grant, the finance officer pays, the grantee claims with a receipt, a
   trustee approves; the funder auditor follows the money to the receipt.
"""

from __future__ import annotations

import re
import uuid

import pytest

from . import checks, money
from .browser import png
from .steps import Person

pytestmark = pytest.mark.browser

NEIGHBOURHOOD = "Hollin Bank"
PASSWORD = "Hollin-Bank-2026!"
MODES = ["mouse", "nojs", "keyboard"]
# Each journey-1 resident lives at a demo postcode in Hollin Bank (communities/sample_data).
POSTCODES = {"mouse": "ZZ1 1AJ", "nojs": "ZZ1 2AA", "keyboard": "ZZ1 1AH"}


def _confirmation_link(server, email: str) -> str:
    for message in reversed(server.emails()):
        if f"To: {email}" in message:
            match = re.search(r"https?://\S+/accounts/confirm-email/\S+/", message)
            if match:
                return match.group(0)
    raise AssertionError(f"no confirmation email to {email} among {len(server.emails())}")


@pytest.mark.parametrize("mode", MODES)
def test_journey_1_new_resident_joins_and_proposes(mode, server, new_context, people):
    person = Person(new_context(javascript=mode != "nojs"), server.url, mode)
    tag = uuid.uuid4().hex[:6]
    email = f"new-{mode}-{tag}@example.net"
    public_name = f"Sam {mode.capitalize()}"
    title = f"Benches on the green ({mode})"

    # signs up, with the name to show publicly
    person.go("/")
    person.follow(re.compile("Create an account", re.I))
    person.fill("input[name=email]", email)
    for name in ("display_name", "public_name", "name"):
        if person.page.locator(f"main input[name={name}]").count():
            person.fill(f"main input[name={name}]", public_name)
            break
    person.fill("input[name=password1]", PASSWORD)
    person.fill("input[name=password2]", PASSWORD)
    person.press(re.compile("sign up|create", re.I))
    assert "/accounts/confirm-email/" in person.url, person.text()

    # verifies the email: the link from the message the site sent
    person.go(_confirmation_link(server, email))
    person.press(re.compile("confirm", re.I))
    assert "/accounts/" not in person.url or "login" not in person.url, person.text()

    # finds the neighbourhood by postcode, and joins
    person.go("/neighbourhoods/")
    person.fill("input[name=q]", POSTCODES[mode])
    person.press(re.compile("search", re.I))
    person.follow(NEIGHBOURHOOD)
    person.follow(re.compile("join", re.I))
    person.tick("input[name=connection][value=lives]")
    person.choose("select[name=age_band]", "35 to 49")
    person.fill("input[name=postcode]", POSTCODES[mode])
    person.fill("input[name=private_name]", f"Sam {mode} {tag}")
    person.fill("input[name=private_house]", "12")
    person.fill("input[name=private_postcode]", POSTCODES[mode])
    person.press(re.compile("continue", re.I))
    person.press("Check my postcode")
    person.sees("verified member")

    # submits a proposal with a photo
    person.go("/proposals/hollin-bank/")
    person.follow(re.compile("Propose an idea", re.I))
    person.fill("input[name=title]", title)
    person.fill("input[name=summary]", "Three benches by the bus stop, so older people can rest.")
    person.fill("textarea[name=description]", "Benches made locally, fixed to the ground.")
    person.fill("input[name=location]", "The green by the bus stop")
    person.fill("input[name=lines-0-description]", "Three benches, fitted")
    person.fill("input[name=lines-0-amount]", "1,500")
    person.press(re.compile("save", re.I))
    person.sees(title)
    person.follow(re.compile("photo", re.I))
    person.attach(
        "input[type=file]",
        [{"name": "benches.png", "mimeType": "image/png", "buffer": png((640, 480))}],
    )
    if person.page.locator("main input[name=alt_text]").count():
        person.fill("main input[name=alt_text]", "The green, where the benches would go")
    person.press(re.compile("upload|add", re.I))
    person.sees("The green, where the benches would go")
    person.go(person.url.split("/photos/")[0] + "/")
    person.press(re.compile("submit", re.I))
    if person.has_button(re.compile("submit", re.I)):  # a confirmation step
        person.press(re.compile("submit", re.I))
    person.sees("Submitted")
    people[mode] = {"email": email, "title": title, "person": person, "name": public_name}


ROUND = "Benches vote"


def _trustee(server, new_context, email: str, step_offset: int = 0) -> Person:
    from demo.users import DEMO_PASSWORD

    person = Person(new_context(), server.url)
    person.sign_in(email, DEMO_PASSWORD, step_offset=step_offset)
    return person


def test_journey_2_screen_vote_certify_publish(server, new_context, people):
    assert set(people) == set(MODES), "journey 1 did not finish in every mode"
    titles = [people[mode]["title"] for mode in MODES]
    chair = _trustee(server, new_context, "trustee@example.org")
    people["chair"] = chair

    # the trustees screen the three proposals and shortlist them
    for title in titles:
        chair.go("/proposals/hollin-bank/reports/")
        chair.follow(title)
        chair.follow("Screen this proposal")
        chair.press("Start screening")
        chair.tick("input[name=decision][value=shortlist]")
        chair.fill("textarea[name=notes]", "Eligible. Quote checked against two suppliers.")
        chair.press("Record the screening")
        chair.sees("Shortlisted")

    # they set up a knapsack vote with a £3,000 pot over the three £1,500 proposals, and open it
    chair.go("/votes/hollin-bank/")
    chair.follow("Set up a vote")
    chair.fill("input[name=title]", ROUND)
    chair.fill("textarea[name=description]", "Which benches should we buy first?")
    chair.choose("select[name=ballot_method]", "Choose proposals within the pot's budget")
    chair.fill("input[name=pot_amount]", "3000")
    for title in titles:
        chair.tick(f"main label:has-text('{title}') input[name=proposals]")
    chair.press("Save as draft")
    chair.press("Publish the vote")
    chair.press("Open the vote now")
    chair.press("Yes, open the vote now")
    chair.sees("Open")
    round_url = chair.url

    # residents vote: with the mouse, without JavaScript, and with the keyboard only
    for mode in MODES:
        voter: Person = people[mode]["person"]
        voter.go(round_url)
        voter.follow(re.compile("Vote in"))
        boxes = [
            "main input[name=choice][id="
            + voter.page.locator(f"main label:has-text('{t}')").get_attribute("for")
            + "]"
            for t in titles
        ]
        # all three cost £4,500: more than the pot, which the page refuses, saying so
        for box in boxes:
            voter.tick(box)
        voter.press(re.compile("Review|Cast"))
        voter.sees("more than")
        assert voter.page.locator(".error-summary").count() == 1
        # without the third it fits: review, then cast
        for box in boxes:
            voter.tick(box, on=box != boxes[2])
        voter.press(re.compile("Review|Cast"))
        if voter.has_button("Cast my vote"):
            voter.sees(titles[0], titles[1])
            voter.press("Cast my vote")
        voter.sees("receipt")

    # the vote closes; it is counted; two trustees certify it; the results are published
    chair.go(round_url)
    chair.press("Close the vote now")
    chair.press("Yes, close the vote now")
    chair.press("Count the votes")
    chair.press("Certify the count")
    second = _trustee(server, new_context, "trustee2@example.org")
    second.go(round_url)
    second.press("Certify the count")
    second.press("Publish the results")
    second.follow("See the results")
    assert second.page.locator("main svg.chart rect").count() == 3
    second.sees(titles[0], titles[1], titles[2])
    people["second"] = second


def test_journey_3_grant_payment_claim_and_the_auditors_trail(server, new_context, people):
    from demo.users import DEMO_PASSWORD

    assert "second" in people, "journey 2 did not finish"
    base = server.url
    chair: Person = people["chair"]
    approver: Person = people["second"]
    grantee: Person = people["mouse"]["person"]
    title = people["mouse"]["title"]
    finance = Person(new_context(), base)
    finance.sign_in("finance@example.org", DEMO_PASSWORD)

    # the trustees decide a grant to the proposer, paid as claims are approved
    chair.go("/funds/")
    chair.follow("Your to-do as a trustee")
    fund_pk = int(re.search(r"/funds/(\d+)/", chair.url).group(1))
    money.decide_grant(
        chair.page,
        base,
        fund_pk,
        title,
        amount="1,500",
        recipient=f"The proposer as an individual ({people['mouse']['name']})",
        payment_mode="reimbursement",
        arrived=checks.inspect,
    )
    chair.sees("Passed")

    # the finance officer issues the agreement and starts the grant
    money.start_grant(finance.page, base, fund_pk, title, arrived=checks.inspect)

    # the grantee claims for the benches, with the receipt
    grantee.go("/funds/")
    grantee.follow(title)
    claim_url = money.claim_with_receipt(
        grantee.page, grantee.url, "Three benches, fitted", "1,480.00", arrived=checks.inspect
    )

    # a trustee approves the claim, and the finance officer pays it
    money.approve_claim(approver.page, claim_url, arrived=checks.inspect)
    money.pay_claim(finance.page, claim_url, "£1,480.00", arrived=checks.inspect)

    # the funder's auditor follows the money from the fund to the receipt
    auditor = Person(new_context(), base)
    auditor.sign_in("funder@example.org", DEMO_PASSWORD)
    auditor.go(f"/funds/{fund_pk}/")
    auditor.follow("Audit workspace")
    auditor.page.locator("td[data-figure=paid] a").first.click()
    auditor.page.wait_for_load_state()
    checks.inspect(auditor.page)
    auditor.sees("Paid to grantees", title)
    receipt = auditor.page.locator("main tr", has_text=title).locator("a:has-text('receipt:')")
    with auditor.page.expect_navigation() as nav:
        receipt.first.click()
    assert nav.value.status == 200
    assert nav.value.headers["content-type"] == "image/png"


def test_every_page_visited_passes_axe(server):
    """Zero WCAG 2.0/2.1/2.2 A and AA violations on every page the journeys visited."""
    assert checks.REPORT.axe, "no page was scanned: the journeys did not run"
    failing = {key: r.count for key, r in checks.REPORT.axe.items() if r.count}
    assert not failing, f"axe violations (see the report below): {failing}"


def test_no_request_leaves_the_site(server):
    assert checks.REPORT.pages, "no page was visited: the journeys did not run"
    assert checks.REPORT.outside == []


def test_every_page_is_within_its_weight_budget(server):
    """Weighed as the journeys went (checks.inspect): under 100 KB first, 20 KB again."""
    assert checks.REPORT.weights, "no page was weighed: the journeys did not run"
    over = [
        (w.path, w.first, w.repeat)
        for w in checks.REPORT.weights
        if w.first >= checks.FIRST_LOAD_BUDGET or w.repeat >= checks.REPEAT_BUDGET
    ]
    assert not over, f"pages over budget (see the table below): {over}"
