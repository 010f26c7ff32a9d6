"""Background exports of a fund's books: start a job, run it once, fail in plain English.

`export_job_start` writes an ExportJob and queues it through the outbox (after commit).
The worker's `export_job_run` claims the job with one conditional UPDATE (queued -> running),
so a duplicate delivery finds it running or done and does nothing. It writes the file chunk
by chunk to a temporary file, saving `done` every PROGRESS_EVERY rows (outside any
transaction, so the page sees it move), then hands the file to private storage through the
storage API (funds.storage.export_storage: disk today, S3 when STORAGES["private"] says so).
"""

from __future__ import annotations

import logging
import tempfile
import uuid
from collections.abc import Callable, Iterable, Iterator

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from audit.services import audit_record, neighbourhood_stream
from config.errors import ApplicationError
from outbox.jobs import job_claim, job_fail, job_progress
from outbox.services import outbox_enqueue

from ..exports import permissions as export_perms
from ..models import ExportJob, Fund, JournalLeg
from ..storage import export_storage
from ._common import require

logger = logging.getLogger(__name__)

START_TASK = "funds.tasks.export_job_start_task"
PROGRESS_EVERY = 5000
EXTENSIONS = {
    ExportJob.Kind.G360_JSON: "json",
    ExportJob.Kind.G360_CSV: "csv",
    ExportJob.Kind.LEDGER_CSV: "csv",
    ExportJob.Kind.STATEMENT_CSV: "csv",
    ExportJob.Kind.STATEMENT_PDF: "pdf",
    ExportJob.Kind.AUDIT_JSONL: "jsonl",
}
CONTENT_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "jsonl": "application/x-ndjson; charset=utf-8",
}


class ExportFailed(Exception):
    """An export that cannot succeed as asked; its message is shown to the requester."""


@transaction.atomic
def export_job_start(*, actor, fund: Fund, kind: str) -> ExportJob:
    """Queue a background export of this fund for someone who may download it."""
    if kind not in ExportJob.Kind.values:
        raise ApplicationError("There is no such export.")
    require(
        export_perms.can_start_export(actor, fund, kind),
        "Only the fund's trustees, finance officers and funder auditors can export its books.",
    )
    job = ExportJob.objects.create(kind=kind, fund=fund, requester=actor)
    audit_record(
        action="funds.export_requested",
        actor=actor,
        obj=job,
        changes={"fund": fund.pk, "kind": kind},
        stream=neighbourhood_stream(fund.neighbourhood_id),
    )
    outbox_enqueue(START_TASK, job.pk)
    return job


def export_job_claim(*, job_id: int) -> bool:
    """queued -> running, once: False when another delivery already has (or had) it."""
    return job_claim(ExportJob, job_id=job_id)


def export_job_requeue(*, job_id: int) -> None:
    """A transient failure (the database went away): back to queued for the retry."""
    ExportJob.objects.filter(pk=job_id, state=ExportJob.State.RUNNING).update(
        state=ExportJob.State.QUEUED
    )


def export_job_fail(*, job_id: int, message: str) -> None:
    job_fail(ExportJob, job_id=job_id, message=message)


def _chunks(job: ExportJob) -> tuple[Iterable[str | bytes], int]:
    """The file's chunks (a row, a grant, an event each) and how many to expect (0 when
    counting would cost as much as the export)."""
    from ..exports import threesixtygiving as g360
    from ..exports.audit import audit_lines
    from ..exports.csvstream import csv_chunks
    from ..exports.ledger import ledger_rows
    from ..exports.statement import statement_for, statement_pdf, statement_rows

    fund, kind = job.fund, job.kind
    if kind in (ExportJob.Kind.G360_JSON, ExportJob.Kind.G360_CSV):
        if not g360.funds_for_export([fund.pk]).exists():
            raise ExportFailed(
                "This fund has no agreement yet, so it has no grants to publish in 360Giving."
            )
        grants = g360.iter_grants([fund.pk])
        if kind == ExportJob.Kind.G360_JSON:
            return g360.package_chunks(grants), 0
        return csv_chunks(g360.csv_rows(list(grants))), 0
    if kind == ExportJob.Kind.LEDGER_CSV:
        total = JournalLeg.objects.filter(fund=fund).count() + 1
        return csv_chunks(ledger_rows(fund_id=fund.pk)), total
    if kind == ExportJob.Kind.STATEMENT_CSV:
        rows = list(statement_rows(statement_for(fund=fund, start=None, end=None)))
        return csv_chunks(rows), len(rows)
    if kind == ExportJob.Kind.STATEMENT_PDF:
        return [statement_pdf(statement_for(fund=fund, start=None, end=None))], 1
    return audit_lines(fund=fund), 0


def _write(chunks: Iterable[str | bytes], handle, on_progress: Callable[[int], None]) -> int:
    count = 0
    for chunk in chunks:
        handle.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
        count += 1
        if count % PROGRESS_EVERY == 0:
            on_progress(count)
    return count


def export_job_run(*, job_id: int) -> bool:
    """Run one export job, once. Returns True when this call produced the file.

    Raises only for failures worth a retry (the database); anything the export itself
    refuses ends the job as failed, with a message the requester can act on."""
    if not export_job_claim(job_id=job_id):
        return False  # running elsewhere, done, or failed: a duplicate delivery
    job = ExportJob.objects.select_related("fund__neighbourhood", "fund__funder").get(pk=job_id)
    try:
        chunks, total = _chunks(job)
        ExportJob.objects.filter(pk=job.pk).update(total=total)

        def progress(done: int) -> None:
            job_progress(ExportJob, job_id=job.pk, done=done)

        with tempfile.TemporaryFile() as handle:
            count = _write(chunks, handle, progress)
            handle.seek(0)
            extension = EXTENSIONS[job.kind]
            name = f"exports/fund-{job.fund_id}/{job.kind}-{job.pk}-{uuid.uuid4().hex}.{extension}"
            name = export_storage().save(name, File(handle, name=name))
    except (ExportFailed, ApplicationError) as exc:
        export_job_fail(job_id=job.pk, message=str(exc))
        return False
    ExportJob.objects.filter(pk=job.pk, state=ExportJob.State.RUNNING).update(
        state=ExportJob.State.DONE,
        file_name=name,
        done=count,
        total=max(total, count),
        finished_at=timezone.now(),
    )
    return True


def export_file_chunks(job: ExportJob, *, size: int = 64 * 1024) -> Iterator[bytes]:
    """The finished file, read from storage a block at a time (for a streamed download)."""
    with export_storage().open(job.file_name, "rb") as handle:
        while block := handle.read(size):
            yield block


def export_download_name(job: ExportJob) -> str:
    return f"{job.kind}-fund-{job.fund_id}.{EXTENSIONS[job.kind]}"
