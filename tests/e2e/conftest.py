"""Fixtures for the journeys: one live server with the demo data for the whole run, one
Chromium, and the report printed at the end (axe, page weight, readability).

The journeys run with `make e2e` (COMMONPURSE_E2E=1 and COMMONPURSE_BROWSER_TESTS=1); in any
other run they are skipped with that reason. They are black-box: they talk to the server only
as a browser does, and read the emails it writes to files.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from . import checks
from .browser import browser_gate, launch


def e2e_gate(environ) -> None:
    if environ.get("COMMONPURSE_E2E") != "1":
        pytest.skip("the browser journeys run with `make e2e` (COMMONPURSE_E2E=1)")
    browser_gate(environ)
    if not checks.AXE_JS.exists():
        pytest.fail(f"{checks.AXE_JS} is missing: run `make axe-deps`.")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    e2e_gate(os.environ)
    from .server import Server

    if os.environ.get("E2E_SERVER_DIR"):
        # Developing a journey: reuse a server started by `python -m tests.e2e.server DIR`.
        live = Server(Path(os.environ["E2E_SERVER_DIR"]))
    else:
        live = Server(tmp_path_factory.mktemp("e2e"))
        live.prepare()
        live.start()
    checks.REPORT.base = live.url
    try:
        yield live
    finally:
        live.stop()


@pytest.fixture(scope="session")
def chromium(server):
    # Playwright's sync API runs an event loop in this thread; Django's ORM is not used here,
    # but Django's async-safety check would still trip on the settings-backed TOTP helper.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = launch(pw)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def people():
    """Who the journeys made, by role: journey 2 votes with journey 1's residents."""
    return {}


@pytest.fixture(scope="session")
def new_context(server, chromium):
    """new_context(javascript=True, width=1280): a fresh browser context, as a new visitor,
    kept for the whole run (journey 2 votes as journey 1's residents). axe's script is
    injected into pages, so contexts with JavaScript bypass the page's CSP."""
    made = []

    def _make(*, javascript: bool = True, width: int = 1280):
        context = chromium.new_context(
            java_script_enabled=javascript,
            bypass_csp=javascript,
            viewport={"width": width, "height": 900},
        )
        context.set_default_timeout(15_000)
        checks.watch_requests(context, server.url)
        made.append(context)
        return context

    yield _make
    for context in made:
        context.close()


def pytest_terminal_summary(terminalreporter):
    if checks.REPORT.axe or checks.REPORT.weights or checks.REPORT.readability:
        checks.print_report(terminalreporter.write_line)
