"""Rounds open and close on time in every setup: served pages advance a due round, and under
`make run` (no Redis, no beat) an in-process thread runs rounds_advance (issue 9, point 9)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import resident
from tests.voting.factories import round_with_pot
from voting import scheduler
from voting.models import VoteRound
from voting.services import round_advance_if_due

S = VoteRound.Status


def _published(opens_in: timedelta, closes_in: timedelta, **kwargs):
    now = timezone.now()
    return round_with_pot(
        status=S.PUBLISHED, opens_at=now + opens_in, closes_at=now + closes_in, **kwargs
    )


# --- which process runs the thread -----------------------------------------------------------


@pytest.mark.parametrize(
    "argv, environ, eager, expected",
    [
        (["manage.py", "runserver", "127.0.0.1:8000"], {"RUN_MAIN": "true"}, True, True),
        (["manage.py", "runserver", "--noreload"], {}, True, True),
        # the autoreloader's parent only watches files; its child serves and runs the thread
        (["manage.py", "runserver", "127.0.0.1:8000"], {}, True, False),
        # with Redis, beat schedules rounds_advance_task
        (["manage.py", "runserver"], {"RUN_MAIN": "true"}, False, False),
        (["manage.py", "migrate"], {"RUN_MAIN": "true"}, True, False),
        (["manage.py", "shell"], {}, True, False),
        (["/usr/bin/pytest", "tests/voting"], {}, True, False),
        (["gunicorn", "config.wsgi"], {}, False, False),
        (["manage.py"], {}, True, False),
    ],
)
def test_only_the_serving_dev_server_without_redis_runs_the_scheduler(
    argv, environ, eager, expected
):
    assert scheduler.wanted(argv=argv, environ=environ, eager=eager) is expected


def test_the_test_run_started_no_scheduler_thread():
    # VotingConfig.ready() ran when pytest set Django up: not a dev server, so no thread.
    assert "rounds-scheduler" not in [t.name for t in threading.enumerate()]
    assert scheduler.start_if_wanted() is False


def test_the_thread_starts_once_and_ticks_until_stopped(monkeypatch):
    ticks = []
    done = threading.Event()

    def tick():
        ticks.append(1)
        if len(ticks) == 3:
            done.set()

    monkeypatch.setattr(scheduler, "_tick", tick)
    monkeypatch.setattr(scheduler, "FIRST_RUN_AFTER_SECONDS", 0)
    first = scheduler.start(interval=0)
    try:
        assert scheduler.start(interval=0) is first  # a second start is the same thread
        assert first.daemon and first.name == "rounds-scheduler"
        assert done.wait(30)
    finally:
        scheduler.stop()
    assert not first.is_alive()
    assert len(ticks) >= 3


@pytest.mark.django_db
def test_a_tick_opens_and_closes_due_rounds():
    # given a round due to open (its time has come) and an open round whose time is up
    due_open, _ = _published(timedelta(seconds=-1), timedelta(minutes=1))
    due_close, _ = round_with_pot(
        status=S.OPEN,
        opens_at=timezone.now() - timedelta(minutes=2),
        closes_at=timezone.now() - timedelta(seconds=1),
    )
    later, _ = _published(timedelta(minutes=1), timedelta(minutes=2))
    # when the scheduler ticks
    result = scheduler.run_once()
    # then both moved, with system audit events, and the future round did not
    assert result == {"opened": [due_open.pk], "closed": [due_close.pk]}
    assert VoteRound.objects.get(pk=due_open.pk).status == S.OPEN
    assert VoteRound.objects.get(pk=due_close.pk).status == S.CLOSED
    assert VoteRound.objects.get(pk=later.pk).status == S.PUBLISHED
    opened = AuditEvent.objects.get(action="voting.round_opened")
    assert opened.actor is None and opened.actor_role == "system"


@pytest.mark.django_db
def test_a_failing_tick_is_logged_and_the_thread_lives_on(monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr("voting.services.rounds_advance", broken)
    assert scheduler.run_once() == {"opened": [], "closed": []}
    assert "Opening and closing rounds failed" in caplog.text


# --- advancing when a round is looked at -------------------------------------------------------


@pytest.mark.django_db
def test_a_round_that_is_not_due_costs_no_query(django_assert_num_queries):
    round, _ = _published(timedelta(minutes=1), timedelta(minutes=2))
    with django_assert_num_queries(0):
        assert round_advance_if_due(round=round) is False
    open_round, _ = round_with_pot(status=S.OPEN)
    with django_assert_num_queries(0):
        assert round_advance_if_due(round=open_round) is False


@pytest.mark.django_db
def test_advance_if_due_opens_then_closes_at_the_given_time():
    round, _ = _published(timedelta(minutes=1), timedelta(minutes=2))
    assert round_advance_if_due(round=round, now=round.opens_at - timedelta(seconds=1)) is False
    assert round_advance_if_due(round=round, now=round.opens_at) is True
    assert round.status == S.OPEN and round.open_at == round.opens_at
    assert round_advance_if_due(round=round, now=round.opens_at) is False  # a re-run: no-op
    assert round_advance_if_due(round=round, now=round.closes_at) is True
    assert round.status == S.CLOSED and round.closed_at == round.closes_at
    assert VoteRound.objects.get(pk=round.pk).status == S.CLOSED


@pytest.mark.django_db
def test_a_round_whose_whole_window_passed_opens_and_closes_when_looked_at():
    round, _ = _published(timedelta(minutes=1), timedelta(minutes=2))
    assert round_advance_if_due(round=round, now=round.closes_at + timedelta(hours=1)) is True
    assert round.status == S.CLOSED
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert actions.count("voting.round_opened") == 1
    assert actions.count("voting.round_closed") == 1


@pytest.mark.django_db
def test_a_round_annulled_meanwhile_stays_annulled():
    # given a stale copy of a round someone annulled since it was read
    round, _ = _published(timedelta(seconds=-1), timedelta(minutes=1))
    VoteRound.objects.filter(pk=round.pk).update(status=S.ANNULLED)
    # when a page finds it due
    assert round_advance_if_due(round=round) is False
    # then the annulment stands and the copy is refreshed
    assert round.status == S.ANNULLED
    assert VoteRound.objects.get(pk=round.pk).status == S.ANNULLED


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["round_detail", "round_list", "results"])
def test_serving_a_round_page_opens_a_due_round(client, page):
    round, _ = _published(timedelta(seconds=-1), timedelta(minutes=5))
    args = [round.neighbourhood.slug] if page == "round_list" else [round.pk]
    client.get(reverse(f"voting:{page}", args=args))
    assert VoteRound.objects.get(pk=round.pk).status == S.OPEN


@pytest.mark.django_db
def test_the_round_page_shows_a_due_round_as_open_with_its_vote_button(client):
    round, pot = _published(timedelta(seconds=-1), timedelta(minutes=5))
    client.force_login(resident(round.neighbourhood))
    response = client.get(reverse("voting:round_detail", args=[round.pk]))
    assert response.status_code == 200
    assert reverse("voting:ballot", args=[pot.pk]) in response.content.decode()


@pytest.mark.django_db
def test_the_ballot_page_closes_a_round_whose_time_is_up(client):
    now = timezone.now()
    round, pot = round_with_pot(
        status=S.OPEN, opens_at=now - timedelta(days=1), closes_at=now - timedelta(seconds=1)
    )
    client.force_login(resident(round.neighbourhood))
    response = client.get(reverse("voting:ballot", args=[pot.pk]))
    assert response.status_code == 403
    assert VoteRound.objects.get(pk=round.pk).status == S.CLOSED
