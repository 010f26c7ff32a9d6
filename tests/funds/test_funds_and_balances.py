"""Funds: lifecycle, tranches received, suspension by the funder auditor, derived balances and
statements, and the fund's total as the proposals' ceiling."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from config.errors import ApplicationError, ForbiddenError, StateError
from funds import services
from funds.models import Fund, JournalEntry
from funds.selectors import fund_figures, fund_statement
from proposals.limits import cost_ceiling_pence

from .factories import TODAY, grant, make_world


def test_a_fund_moves_through_its_states(db):
    w = make_world(status=Fund.Status.PROPOSED, received=0)
    assert w.fund.status == Fund.Status.PROPOSED
    with pytest.raises(StateError):
        services.fund_activate(actor=w.finance, fund=w.fund)
    services.fund_issue_agreement(actor=w.finance, fund=w.fund)
    services.fund_activate(actor=w.finance, fund=w.fund)
    with pytest.raises(ForbiddenError):
        services.fund_suspend(actor=w.finance, fund=w.fund, reason="x")
    with pytest.raises(ApplicationError):
        services.fund_suspend(actor=w.auditor, fund=w.fund, reason=" ")
    services.fund_suspend(actor=w.auditor, fund=w.fund, reason="Awaiting accounts")
    services.fund_resume(actor=w.auditor, fund=w.fund)
    services.fund_start_closing(actor=w.finance, fund=w.fund)
    services.fund_close(actor=w.finance, fund=w.fund)
    w.fund.refresh_from_db()
    assert w.fund.status == Fund.Status.CLOSED and w.fund.closed_at is not None


def test_a_fund_with_money_left_does_not_close_until_it_is_returned(world):
    w = world
    services.fund_start_closing(actor=w.finance, fund=w.fund)
    with pytest.raises(ApplicationError, match="return any uncommitted"):
        services.fund_close(actor=w.finance, fund=w.fund)
    services.fund_return_to_funder(
        actor=w.finance, fund=w.fund, amount_pence=500_000, memo="Fund ended"
    )
    services.fund_close(actor=w.finance, fund=w.fund)
    assert fund_figures(fund=w.fund).returned == 500_000


def test_tranches_must_add_up_and_amounts_be_positive(world):
    w = world
    kwargs = {
        "actor": w.finance,
        "neighbourhood": w.neighbourhood,
        "name": "Second",
        "funder": w.funder,
        "holder": w.holder,
        "starts_on": TODAY,
        "ends_on": TODAY + dt.timedelta(days=365),
    }
    with pytest.raises(ApplicationError, match="add up"):
        services.fund_create(**kwargs, total_pence=100, tranches=[(TODAY, 99)])
    with pytest.raises(ApplicationError, match="more than £0"):
        services.fund_create(**kwargs, total_pence=0, tranches=[(TODAY, 0)])
    with pytest.raises(ApplicationError, match="more than £0"):
        services.fund_create(**kwargs, total_pence=100, tranches=[(TODAY, 150), (TODAY, -50)])
    with pytest.raises(ApplicationError, match="not recorded as a funder"):
        services.fund_create(
            **{**kwargs, "funder": w.grantee}, total_pence=100, tranches=[(TODAY, 100)]
        )


def test_receiving_a_tranche_posts_once(world):
    w = world
    tranche = w.fund.tranches.filter(received_at__isnull=True).get()
    services.fund_tranche_receive(actor=w.finance, tranche=tranche)
    services.fund_tranche_receive(actor=w.finance, tranche=tranche)
    assert JournalEntry.objects.filter(kind=JournalEntry.Kind.TRANCHE_RECEIVED).count() == 2
    assert fund_figures(fund=w.fund).received == 1_000_000
    with pytest.raises(ForbiddenError):
        services.fund_tranche_receive(actor=w.auditor, tranche=tranche)


def test_balances_are_derived_and_available_is_received_less_committed_plus_recovered(world):
    w = world
    g = grant(w, amount_pence=200_000)
    services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))
    recovery = services.recovery_propose(
        actor=w.trustees[2], grant=g, kind="clawback", amount_pence=30_000, reason="Unspent"
    )
    from .factories import decide

    decide(w, subject="recovery", recovery=recovery, amount_pence=0)
    services.recovery_receive(actor=w.finance, recovery=recovery)
    recovery.refresh_from_db()
    assert recovery.entry.reverses.kind == JournalEntry.Kind.TRANCHE_PAID
    f = fund_figures(fund=w.fund)
    assert (f.received, f.committed, f.paid, f.recovered) == (500_000, 200_000, 100_000, 30_000)
    assert f.available == f.received - f.committed + f.recovered == 330_000
    assert f.cash_at_bank == 430_000


def test_a_statement_has_opening_movements_and_closing(world):
    w = world
    cut = timezone.now()
    grant(w, amount_pence=100_000)
    s = fund_statement(fund=w.fund, start=cut, end=timezone.now() + dt.timedelta(seconds=1))
    assert s.opening.received == 500_000 and s.opening.committed == 0
    assert s.movements["committed"] == 100_000 and s.movements["cash"] == -100_000
    assert s.closing.available == 400_000
    whole = fund_statement(fund=w.fund)
    assert whole.closing == s.closing


def test_the_fund_caps_what_a_proposal_may_ask_for(world):
    assert cost_ceiling_pence(world.neighbourhood) == 1_000_000


def test_running_balances_agree_with_summing_every_leg(world):
    from funds.selectors import account_balances, account_balances_summed

    w = world
    g = grant(w, amount_pence=100_000)
    services.grant_tranche_release(actor=w.finance, tranche=g.tranches.get(number=1))
    services.grant_close_early(actor=w.finance, grant=g, reason="Stopped")
    assert account_balances(fund=w.fund) == account_balances_summed(fund=w.fund)
