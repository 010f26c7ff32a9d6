"""When the journeys run: only under `make e2e`; and a missing axe-core fails, not skips."""

from __future__ import annotations

import pytest

from . import checks
from .conftest import e2e_gate


def test_journeys_skip_outside_make_e2e():
    with pytest.raises(pytest.skip.Exception, match="make e2e"):
        e2e_gate({"COMMONPURSE_BROWSER_TESTS": "1"})


def test_journeys_fail_without_axe_core(monkeypatch, tmp_path):
    monkeypatch.setattr(checks, "AXE_JS", tmp_path / "axe.min.js")
    monkeypatch.setattr("tests.e2e.conftest.browser_gate", lambda environ: None)
    with pytest.raises(pytest.fail.Exception, match="make axe-deps"):
        e2e_gate({"COMMONPURSE_E2E": "1", "COMMONPURSE_BROWSER_TESTS": "1"})


def test_page_key_ignores_ids_and_signed_keys():
    class Page:
        url = "http://127.0.0.1:1/accounts/confirm-email/MTM:1xZ1kA:_fg6PSmjcr2A75ImPyA2YA3JT/"

        class _H1:
            def count(self):
                return 0

        def locator(self, selector):
            return self._H1()

    assert checks.page_key(Page()).startswith("/accounts/confirm-email/KEY/")
