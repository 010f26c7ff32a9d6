"""Shared Playwright helpers for every real-browser test: the journeys in tests/e2e and the
funds acceptance tests. Playwright for Python drives Debian's Chromium at /usr/bin/chromium
(`make browser-deps`), never a browser download."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    # Nothing leaves the machine: no component updates, safe-browsing lists or sync.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-domain-reliability",
    "--no-first-run",
    "--no-default-browser-check",
]


def browser_gate(environ, chromium: str = CHROMIUM) -> None:
    """Skip without COMMONPURSE_BROWSER_TESTS=1; with it, fail when Chromium is missing."""
    if environ.get("COMMONPURSE_BROWSER_TESTS") != "1":
        pytest.skip(
            "browser tests run only with COMMONPURSE_BROWSER_TESTS=1 (.ci/run's PostgreSQL pass)"
        )
    if not Path(chromium).exists():
        pytest.fail(
            f"COMMONPURSE_BROWSER_TESTS=1 but {chromium} is missing: run `make browser-deps`."
        )


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def png(size: tuple[int, int] = (200, 120)) -> bytes:
    """A small real PNG, as a phone camera's photo would arrive (re-encoded by the site)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (230, 230, 220)).save(buffer, "PNG")
    return buffer.getvalue()


def submit(page, selector: str) -> None:
    """Click a button or link and wait for the page it leads to."""
    with page.expect_navigation():
        page.locator(selector).first.click()


def totp_code(step_offset: int = 0) -> str:
    """The demo role holders' current two-factor code (their published demo secret); the
    site accepts one 30-second step either side, so a second sign-in by the same person in
    the same step can use the next step's code rather than wait."""
    import time

    from communities.demo import DEMO_TOTP_SECRET
    from communities.management.commands.demo_totp import current_code

    return current_code(DEMO_TOTP_SECRET, at=time.time() + 30 * step_offset)


def sign_in(page, base: str, email: str, *, password: str | None = None, step_offset: int = 0):
    """Sign in through the real login page; role holders then give their TOTP code."""
    from demo.users import DEMO_PASSWORD

    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password or DEMO_PASSWORD)
    submit(page, "main form button[type=submit]")
    if "/2fa/authenticate" in page.url:
        page.fill("input[name=code]", totp_code(step_offset))
        submit(page, "main form button[type=submit]")
    assert "/accounts/login" not in page.url and "/2fa/" not in page.url, page.url
    return page
