"""Counting a round runs as a background job (issue 17): the trustee's press records a count
request (audited, one per round however often it is pressed), the round page shows how far it
is and what to do next, a re-run after a crash leaves one result set, a failure reads in plain
English with a retry, and the result equals a count made here and now."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from communities.models import ConflictDeclaration
from config.errors import ForbiddenError, StateError
from outbox.jobs import job_claim
from outbox.models import OutboxMessage
from tests.factories import NeighbourhoodFactory, healthy_partnership, resident, trustee
from tests.voting.factories import proposal_ids, round_with_pot
from voting.models import CountJob, Pot, PotItem, PotResult, VoteRound
from voting.services import (
    ballot_cast,
    count_jobs,
    round_certify,
    round_count,
    round_count_request,
)

from .shared_pabulib import DATA_DIR, require_data

pytestmark = pytest.mark.django_db

START_TASK = "voting.tasks.round_count_start_task"


@pytest.fixture
def closed():
    """A closed round of two pots with six ballots each, and its chair (a trustee)."""
    place = NeighbourhoodFactory()
    round, pot = round_with_pot(place, costs=(300_000, 400_000, 500_000, 600_000))
    second = Pot.objects.create(round=round, name="Second pot", amount_pence=800_000)
    for number, item in enumerate(pot.items.order_by("number")[:2], start=1):
        PotItem.objects.create(
            pot=second, proposal=item.proposal, number=number, cost_pence=item.cost_pence
        )
    a, b, c, d = proposal_ids(pot)
    for choices in ([a, b], [a, b], [c], [d], [a, c], [b]):
        ballot_cast(actor=resident(place), pot=pot, choices=choices)
    for choices in ([a], [a, b], [b], [a], [b], [a]):
        ballot_cast(actor=resident(place), pot=second, choices=choices)
    round.status = "closed"
    round.save()
    healthy_partnership(place)
    return round, trustee(place)


def _stored(round) -> dict:
    return {
        r.pot.name: (r.winners, r.scores, r.total_cost_pence, r.ballots_counted, r.turnout)
        for r in PotResult.objects.filter(pot__round=round).select_related("pot")
    }


def _by_number(round) -> dict:
    """A one-pot round's stored count with proposals named by their ballot number (two
    imports of one file differ only in their proposal ids)."""
    result = PotResult.objects.get(pot__round=round)
    number = dict(result.pot.items.values_list("proposal_id", "number"))
    return {
        "winners": sorted(number[w] for w in result.winners),
        "scores": {number[int(k)]: v for k, v in result.scores.items()},
        "total": result.total_cost_pence,
        "ballots": result.ballots_counted,
        "turnout": result.turnout,
        "explanation": len(result.explanation),
    }


def _page(client, round) -> str:
    response = client.get(reverse("voting:round_detail", args=[round.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_pressing_count_records_a_request_and_the_page_shows_progress(client, closed):
    round, chair = closed
    client.force_login(chair)

    # when: the trustee presses "count" (the outbox hands the job over after the commit,
    # which a test's transaction never reaches: the job stays queued)
    response = client.post(reverse("voting:round_count", args=[round.pk]))

    # then: a count request, audited and queued once through the outbox; the round is not
    # counted yet and the trustee is sent back to the round page
    assert response.status_code == 302
    assert response.url == reverse("voting:round_detail", args=[round.pk])
    job = CountJob.objects.get(round=round)
    assert (job.state, job.total, job.requester) == ("queued", 2, chair)
    assert AuditEvent.objects.filter(action="voting.count_requested", actor=chair).count() == 1
    assert list(OutboxMessage.objects.filter(task=START_TASK).values_list("args", flat=True)) == [
        [job.pk]
    ]
    round.refresh_from_db()
    assert round.status == "closed"

    page = _page(client, round)
    assert "The count is waiting to start." in page
    assert f'href="{reverse("voting:round_detail", args=[round.pk])}" data-count-refresh' in page
    assert "js/count-progress.js" in page  # a static file: the CSP forbids inline script
    assert "Count the votes</button>" not in page  # no second count while one is waiting

    # a worker counting the second pot of two
    CountJob.objects.filter(pk=job.pk).update(state="running", done=1, started_at=timezone.now())
    page = _page(client, round)
    assert "Counting: pot 2 of 2." in page
    assert '<progress id="count-progress-bar" max="2" value="1">' in page


def test_in_the_embedded_default_the_count_finishes_within_the_request(
    client, closed, django_capture_on_commit_callbacks
):
    round, chair = closed
    client.force_login(chair)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("voting:round_count", args=[round.pk]))
    round.refresh_from_db()
    assert round.status == "counted"
    assert CountJob.objects.get(round=round).state == "done"
    page = _page(client, round)
    assert "Certify the count</button>" in page
    assert "js/count-progress.js" not in page  # nothing left to refresh for
    assert OutboxMessage.objects.get(task=START_TASK).done_at is not None


def test_pressing_twice_or_two_trustees_at_once_queue_one_count(
    client, closed, django_capture_on_commit_callbacks
):
    round, chair = closed
    other = trustee(round.neighbourhood)
    first = round_count_request(actor=chair, round=round)
    again = round_count_request(actor=chair, round=round)
    by_other = round_count_request(actor=other, round=round)
    assert first.pk == again.pk == by_other.pk
    assert CountJob.objects.filter(round=round).count() == 1
    assert OutboxMessage.objects.filter(task=START_TASK).count() == 1
    assert AuditEvent.objects.filter(action="voting.count_requested").count() == 1

    # delivering the one message counts once
    call_command("outbox_drain")
    round.refresh_from_db()
    assert round.status == "counted"
    assert PotResult.objects.filter(pot__round=round).count() == 2
    assert AuditEvent.objects.filter(action="voting.round_counted").count() == 1


def test_a_conflicted_trustee_is_still_refused(client, closed):
    round, _ = closed
    conflicted = trustee(round.neighbourhood)
    ConflictDeclaration.objects.create(
        user=conflicted,
        neighbourhood=round.neighbourhood,
        object_type="proposals.proposal",
        object_id=str(round.pots.first().items.first().proposal_id),
        reason="My sister runs it.",
    )
    with pytest.raises(ForbiddenError, match="conflict of interest"):
        round_count_request(actor=conflicted, round=round)
    client.force_login(conflicted)
    assert client.post(reverse("voting:round_count", args=[round.pk])).status_code == 403
    assert not CountJob.objects.exists()


def test_a_rerun_after_a_worker_was_killed_mid_count_leaves_one_result_set(closed):
    round, chair = closed
    job = round_count_request(actor=chair, round=round)
    # given: a worker claimed the job, counted one pot and was killed (nothing written)
    assert job_claim(CountJob, job_id=job.pk)
    CountJob.objects.filter(pk=job.pk).update(done=1)

    # when: the message is delivered again (acks_late) and then once more (a duplicate)
    assert count_jobs.count_job_run(job_id=job.pk) is True
    assert count_jobs.count_job_run(job_id=job.pk) is False

    # then: one result set, counted once
    job.refresh_from_db()
    assert (job.state, job.done, job.attempts) == ("done", 2, 2)
    assert PotResult.objects.filter(pot__round=round).count() == 2
    assert AuditEvent.objects.filter(action="voting.round_counted").count() == 1


def test_a_duplicate_run_finishing_first_wins_and_the_other_writes_nothing(closed, monkeypatch):
    round, chair = closed
    job = round_count_request(actor=chair, round=round)
    real = count_jobs.pot_count_fields
    state = {"nested": False}

    def duplicate_delivery_meanwhile(pot):
        if not state["nested"]:
            state["nested"] = True
            assert count_jobs.count_job_run(job_id=job.pk) is True  # the other run finishes
        return real(pot)

    monkeypatch.setattr(count_jobs, "pot_count_fields", duplicate_delivery_meanwhile)
    assert count_jobs.count_job_run(job_id=job.pk) is False  # its guard: the job is done
    assert PotResult.objects.filter(pot__round=round).count() == 2
    assert AuditEvent.objects.filter(action="voting.round_counted").count() == 1


def test_a_failing_count_says_so_in_plain_english_and_offers_a_retry(
    client, closed, monkeypatch, django_capture_on_commit_callbacks
):
    round, chair = closed
    client.force_login(chair)

    def broken(pot):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr(count_jobs, "pot_count_fields", broken)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("voting:round_count", args=[round.pk]))

    # then: nothing stored, the job failed, the page explains and offers to try again
    job = CountJob.objects.get(round=round)
    assert job.state == "failed"
    round.refresh_from_db()
    assert round.status == "closed" and not PotResult.objects.filter(pot__round=round).exists()
    page = _page(client, round)
    assert "The count did not finish" in page
    assert "Something went wrong while counting the votes, and nothing was stored." in page
    assert "engine exploded" not in page  # no internals shown to trustees
    assert "Try the count again</button>" in page

    # when: the fault is gone and a trustee tries again
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("voting:round_count", args=[round.pk]))
    round.refresh_from_db()
    assert round.status == "counted"
    assert list(CountJob.objects.filter(round=round).values_list("state", flat=True)) == [
        "done",
        "failed",
    ]
    assert "The count did not finish" not in _page(client, round)


def test_a_count_refused_meanwhile_fails_with_the_reason(closed):
    round, chair = closed
    job = round_count_request(actor=chair, round=round)
    VoteRound.objects.filter(pk=round.pk).update(status="annulled")
    assert count_jobs.count_job_run(job_id=job.pk) is False
    job.refresh_from_db()
    assert job.state == "failed" and job.error
    assert not PotResult.objects.filter(pot__round=round).exists()


def test_a_job_left_running_by_a_stopped_worker_is_shown_failed_and_replaced(client, closed):
    round, chair = closed
    job = round_count_request(actor=chair, round=round)
    long_ago = timezone.now() - timezone.timedelta(seconds=count_jobs.COUNT_HARD_LIMIT + 120)
    CountJob.objects.filter(pk=job.pk).update(state="running", started_at=long_ago)
    client.force_login(chair)
    page = _page(client, round)
    assert "The count stopped without finishing." in page
    assert "Try the count again</button>" in page
    again = round_count_request(actor=chair, round=round)
    assert again.pk != job.pk
    job.refresh_from_db()
    assert job.state == "failed"


def test_certifying_waits_for_a_recount_in_progress(closed):
    round, chair = closed
    round_count(actor=chair, round=round)
    round.refresh_from_db()
    round_count_request(actor=chair, round=round)
    with pytest.raises(StateError, match="being counted again"):
        round_certify(actor=trustee(round.neighbourhood), round=round)


def test_the_background_count_equals_the_count_here_and_now_on_a_shared_election():
    """Assen 2024 (Method of Equal Shares, Add1) through import: the background job stores
    exactly what `round_count` stores, and funds what the city funded (which pabutools'
    recorded outcome matches: tests/voting/test_pabulib_io.py)."""
    require_data()  # skips locally without the files, fails when CI is set
    from voting.counting import parse_pabulib

    name = "Netherlands_Assen_2024.pb"
    rounds = []
    for _ in range(2):
        place = NeighbourhoodFactory()
        call_command("import_pb", str(DATA_DIR / name), "--neighbourhood", place.slug)
        rounds.append((VoteRound.objects.get(neighbourhood=place), trustee(place)))
    (here, chair), (background, other) = rounds

    round_count(actor=chair, round=here)
    job = round_count_request(actor=other, round=background)
    assert count_jobs.count_job_run(job_id=job.pk) is True

    assert _by_number(background) == _by_number(here)
    assert _by_number(here)["ballots"] == 84
    election = parse_pabulib(DATA_DIR / name)
    pot = background.pots.get()
    number_of = {i.proposal_id: i.number for i in pot.items.all()}
    project_ids = list(election.projects)
    won = {project_ids[number_of[w] - 1] for w in pot.result.winners}
    selected = {p.id for p in election.projects.values() if p.extra.get("selected") == "1"}
    assert won == selected


def test_a_failed_count_is_history_once_the_round_is_counted_another_way(client, closed):
    round, chair = closed
    job = round_count_request(actor=chair, round=round)
    count_jobs.count_job_fail(job_id=job.pk, message="The count stopped without finishing.")
    client.force_login(chair)
    assert "The count did not finish" in _page(client, round)
    round_count(actor=chair, round=round)  # from the shell
    page = _page(client, round)
    assert "The count did not finish" not in page
    assert "Count again</button>" in page
