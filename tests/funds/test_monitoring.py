"""Monitoring reports, variations (beyond the threshold only by a decision) and recoveries."""

from __future__ import annotations

import pytest

from config.errors import ApplicationError, ForbiddenError, StateError
from funds import services
from funds.models import Decision, MonitoringReport, Recovery, Variation

from .factories import decide, grant


def test_a_small_variation_is_approved_by_the_finance_officer(world):
    w = world
    g = grant(w, amount_pence=100_000)
    v = services.variation_request(
        actor=w.contact, grant=g, description="Paint instead of tiles", moved_pence=10_000
    )
    services.variation_approve_minor(actor=w.finance, variation=v)
    v.refresh_from_db()
    assert v.status == Variation.Status.APPROVED


def test_a_large_variation_needs_a_decision_of_the_trustees(world):
    w = world
    g = grant(w, amount_pence=100_000)
    v = services.variation_request(
        actor=w.contact, grant=g, description="A different hall", moved_pence=10_001
    )
    with pytest.raises(ApplicationError, match="beyond the threshold"):
        services.variation_approve_minor(actor=w.finance, variation=v)
    decide(w, subject=Decision.Subject.VARIATION, variation=v, amount_pence=0)
    v.refresh_from_db()
    assert v.status == Variation.Status.APPROVED
    with pytest.raises(StateError):
        decide(w, subject=Decision.Subject.VARIATION, variation=v, amount_pence=0)


@pytest.mark.parametrize("amount", [0, -1, 10.5, True])
def test_amounts_that_are_not_positive_whole_pence_are_refused(world, amount):
    g = grant(world)
    with pytest.raises(ApplicationError):
        services.variation_request(
            actor=world.contact, grant=g, description="x", moved_pence=amount
        )


def test_reports_are_reviewed_by_someone_else(world):
    w = world
    g = grant(w)
    report = services.monitoring_report_submit(actor=w.contact, grant=g, body="Going well")
    with pytest.raises(ForbiddenError):
        services.monitoring_report_review(actor=w.contact, report=report, accept=True)
    with pytest.raises(ApplicationError, match="what needs changing"):
        services.monitoring_report_review(actor=w.trustees[2], report=report, accept=False)
    services.monitoring_report_review(
        actor=w.trustees[2], report=report, accept=False, note="Add photos"
    )
    report.refresh_from_db()
    assert report.status == MonitoringReport.Status.RETURNED


def test_a_recovery_needs_a_decision_and_cannot_exceed_what_was_paid(world):
    w = world
    g = grant(w, amount_pence=100_000)
    with pytest.raises(ApplicationError, match="more than this grant has been paid"):
        services.recovery_propose(
            actor=w.trustees[2], grant=g, kind="clawback", amount_pence=1, reason="x"
        )
    services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))
    r = services.recovery_propose(
        actor=w.trustees[2], grant=g, kind="clawback", amount_pence=1_000, reason="Misspent"
    )
    with pytest.raises(StateError, match="after the trustees approved"):
        services.recovery_receive(actor=w.finance, recovery=r)
    votes = dict.fromkeys(w.trustees, "against")
    decide(w, subject=Decision.Subject.RECOVERY, recovery=r, amount_pence=0, votes=votes)
    r.refresh_from_db()
    assert r.status == Recovery.Status.CANCELLED
