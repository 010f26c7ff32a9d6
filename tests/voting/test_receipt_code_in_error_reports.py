"""A receipt code never reaches an error report (issue 9 point 6: nothing the server or its
providers keep links a ballot to its voter). Django's error reports (the admins' email, an
error tracker) carry the request's POST data, the stack's local variables and the signed-in
user: a code posted to change a ballot or to look one up is masked in all of them."""

from __future__ import annotations

import sys

import pytest
from django.core.signals import got_request_exception
from django.test import Client
from django.urls import reverse
from django.views.debug import ExceptionReporter
from django.views.decorators.debug import sensitive_variables

from tests.factories import resident
from tests.voting.factories import proposal_ids, round_with_pot

pytestmark = pytest.mark.django_db

# Built, not written out whole: the report quotes source lines near the failing call.
CODE = "-".join(["ABCD", "EFGH", "JKLM", "NPQR"])


@sensitive_variables()  # the stand-in for a failing database call hides its own arguments
def _database_went_away(*args, **kwargs):
    raise RuntimeError("the database went away")


def _error_report(monkeypatch, *, user, url: str, data: dict, fails: str) -> str:
    """POST, with `fails` raising deep inside the service; the report Django would send."""
    monkeypatch.setattr(fails, _database_went_away)
    seen = []

    def keep(sender, request, **kwargs):
        seen.append((request, sys.exc_info()))

    got_request_exception.connect(keep)
    try:
        client = Client(raise_request_exception=False)
        if user is not None:
            client.force_login(user)
        response = client.post(url, data)
    finally:
        got_request_exception.disconnect(keep)
    assert response.status_code == 500 and seen
    request, exc_info = seen[0]
    reporter = ExceptionReporter(request, *exc_info)
    return reporter.get_traceback_text() + reporter.get_traceback_html()


def _codes(code: str) -> list[str]:
    return [code, code.replace("-", "")]


def test_a_code_posted_to_change_a_ballot_is_masked_in_error_reports(monkeypatch):
    round, pot = round_with_pot()
    voter = resident(round.neighbourhood)
    report = _error_report(
        monkeypatch,
        user=voter,
        url=reverse("voting:ballot", args=[pot.pk]),
        data={"choice": [proposal_ids(pot)[0]], "receipt_code": CODE},
        fails="voting.services.ballots.active_membership",
    )
    assert "the database went away" in report
    assert not any(code in report for code in _codes(CODE))


def test_a_code_posted_to_the_receipt_lookup_is_masked_in_error_reports(monkeypatch):
    report = _error_report(
        monkeypatch,
        user=None,
        url=reverse("voting:receipt"),
        data={"code": CODE},
        fails="voting.services.ballots.receipt_hashes",
    )
    assert "the database went away" in report
    assert not any(code in report for code in _codes(CODE))
