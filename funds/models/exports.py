"""Background exports of a fund's books: one row per requested file, with its progress."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from outbox.jobs import BackgroundJob


class ExportJob(BackgroundJob):
    """A long export (360Giving, ledger, statement, audit trail) run by a worker.

    The file goes to private storage (funds.storage.export_storage) under `file_name`; the
    page polls `done`/`total` while it runs. Only the requester and that fund's auditors and
    trustees see it (funds.permissions.can_view_export_job).
    """

    class Kind(models.TextChoices):
        G360_JSON = "360giving-json", "Grants, 360Giving (JSON)"
        G360_CSV = "360giving-csv", "Grants, 360Giving (CSV)"
        LEDGER_CSV = "ledger-csv", "Ledger journal (CSV)"
        STATEMENT_CSV = "statement-csv", "Statement (CSV)"
        STATEMENT_PDF = "statement-pdf", "Statement (PDF)"
        AUDIT_JSONL = "audit-jsonl", "Audit trail with hashes (JSON lines)"

    class State(models.TextChoices):
        QUEUED = "queued", "Waiting to start"
        RUNNING = "running", "Running"
        DONE = "done", "Ready to download"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=20, choices=Kind.choices)
    fund = models.ForeignKey("funds.Fund", on_delete=models.PROTECT, related_name="export_jobs")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    file_name = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="done") | ~Q(file_name=""), name="export_job_done_has_file"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of fund {self.fund_id} ({self.state})"
