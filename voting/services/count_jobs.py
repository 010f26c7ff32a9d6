"""Counting in the background: a trustee asks, a worker counts pot by pot, pages show how far.

`round_count_request` (the trustee's POST) locks the round, refuses what `round_count` would
refuse, and writes a CountJob queued through the outbox, or returns the job already waiting
or running: pressing twice, or two trustees at once, queues one count. The worker's
`count_job_run` counts each pot outside any transaction (saving "pot 2 of 3" as it goes),
then writes every result and "counted" in one transaction under the round's lock, guarded
by the job row: a second run of the same job (a worker killed mid-count, a duplicate
delivery) finds it done and writes nothing, so there is one result set. Anything that makes
the count impossible ends the job as failed, in plain English, with a retry on the page.
In the embedded default (tasks inline) the whole count runs when the request commits.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from audit.services import audit_record
from config.errors import ApplicationError
from outbox.jobs import ACTIVE_STATES, job_claim, job_fail, job_progress
from outbox.services import outbox_enqueue

from ..models import Ballot, CountJob, VoteRound
from ._common import lock_round
from .results import ensure_countable, ensure_may_count, pot_count_fields, round_count_write

logger = logging.getLogger(__name__)

START_TASK = "voting.tasks.round_count_start_task"
# A worker may count for this long (voting.tasks); a job running longer was stopped.
COUNT_SOFT_LIMIT = 25 * 60
COUNT_HARD_LIMIT = 30 * 60


def count_job_current(round: VoteRound) -> CountJob | None:
    """The round's latest count job (what its page shows), or None."""
    return round.count_jobs.order_by("-created_at", "-pk").first()


def _stalled(job: CountJob) -> bool:
    return job.stalled(hard_limit_seconds=COUNT_HARD_LIMIT)


@transaction.atomic
def round_count_request(*, actor, round: VoteRound) -> CountJob:
    """Ask for a count of a closed (or counted, not yet certified) round.

    Trustees only, never a conflicted one; refused while paper batches are not agreed, as a
    count here and now would be. Idempotent: a job already waiting or running is returned
    as it is (under the round's lock, so two trustees at once get the same job). A job left
    running by a stopped worker is marked failed and replaced.
    """
    round = lock_round(round)
    ensure_may_count(actor, round)
    active = round.count_jobs.filter(state__in=ACTIVE_STATES).first()
    if active is not None and not _stalled(active):
        return active
    ensure_countable(round)
    if active is not None:
        job_fail(CountJob, job_id=active.pk, message="The count stopped without finishing.")
    job = CountJob.objects.create(round=round, requester=actor, total=round.pots.count())
    audit_record(
        action="voting.count_requested",
        actor=actor,
        obj=round,
        actor_role="trustee",
        changes={"count_job": job.pk},
    )
    outbox_enqueue(START_TASK, job.pk)
    return job


def _ballots_per_pot(round: VoteRound) -> dict[int, int]:
    return dict(
        Ballot.objects.filter(pot__round=round)
        .values("pot")
        .annotate(n=Count("id"))
        .values_list("pot", "n")
    )


def count_job_fail(*, job_id: int, message: str) -> None:
    job_fail(CountJob, job_id=job_id, message=message)


def count_job_run(*, job_id: int) -> bool:
    """Run one count job. Returns True when this call wrote the round's results.

    Claims the job (queued, or running after a worker was stopped mid-count: the re-run);
    a job done or failed is left alone. Raises only for failures worth a retry (the
    database); a count refused in the meantime (a paper batch reopened, the round annulled)
    ends the job as failed with the reason.
    """
    if not job_claim(CountJob, job_id=job_id, states=ACTIVE_STATES):
        return False
    job = CountJob.objects.select_related("round", "requester").get(pk=job_id)
    round = job.round
    try:
        ballots = _ballots_per_pot(round)
        results = {}
        for number, pot in enumerate(round.pots.order_by("pk"), start=1):
            results[pot.pk] = pot_count_fields(pot)
            job_progress(CountJob, job_id=job.pk, done=number)
        with transaction.atomic():
            round = lock_round(round)
            current = CountJob.objects.select_for_update().get(pk=job.pk)
            if current.state != CountJob.State.RUNNING:
                return False  # another run of this job finished first: its results stand
            ensure_countable(round)
            if _ballots_per_pot(round) != ballots:
                raise ApplicationError(
                    "Ballots were added while the votes were being counted (a paper batch "
                    "agreed meanwhile). Count again to include them."
                )
            if set(results) != set(round.pots.values_list("pk", flat=True)):
                raise ApplicationError("The vote's pots changed while it was being counted.")
            round_count_write(actor=job.requester, round=round, results=results)
            CountJob.objects.filter(pk=job.pk).update(
                state=CountJob.State.DONE, done=len(results), finished_at=timezone.now()
            )
    except ApplicationError as exc:
        count_job_fail(job_id=job.pk, message=exc.message)
        return False
    return True
