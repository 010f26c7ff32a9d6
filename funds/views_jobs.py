"""Background exports: start one, watch its progress (a page, and JSON for the small script),
download the file. Thin: the rules are in funds.services.exports and funds.permissions."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from communities.permissions import ensure_powers
from config.errors import ForbiddenError, StateError

from . import permissions as perms
from .exports import permissions as export_perms
from .models import ExportJob, Fund
from .services import exports as export_services
from .tasks import EXPORT_HARD_LIMIT


@require_POST
def export_start(request: HttpRequest, pk: int) -> HttpResponse:
    """Start a background export of the fund; the job page shows its progress."""
    fund = get_object_or_404(Fund.objects.select_related("neighbourhood"), pk=pk)
    kind = request.POST.get("kind", "")
    if kind not in ExportJob.Kind.values:
        raise Http404("There is no such export.")
    if not export_perms.can_start_export(request.user, fund, kind):
        ensure_powers(
            request.user, fund.neighbourhood, export_perms.BOOKS_ROLES, action="export the books"
        )
    job = export_services.export_job_start(actor=request.user, fund=fund, kind=kind)
    return redirect("funds:export_job", pk=job.pk)


def _job(request: HttpRequest, pk: int) -> ExportJob:
    job = get_object_or_404(
        ExportJob.objects.select_related("fund__neighbourhood", "requester"), pk=pk
    )
    if not perms.can_view_export_job(request.user, job):
        ensure_powers(
            request.user, job.fund.neighbourhood, export_perms.BOOKS_ROLES, action="see exports"
        )
        raise ForbiddenError("Only whoever asked for this export, and the fund's auditors and "
                             "trustees, can see it.")  # fmt: skip
    return job


def _stalled(job: ExportJob) -> bool:
    """Running for longer than a worker may run it: the worker was stopped (a restart)."""
    return job.stalled(hard_limit_seconds=EXPORT_HARD_LIMIT)


def _status(job: ExportJob) -> dict:
    stalled = _stalled(job)
    state = ExportJob.State.FAILED if stalled else job.state
    return {
        "id": job.pk,
        "state": state,
        "state_label": ExportJob.State(state).label,
        "done": job.done,
        "total": job.total,
        "percent": job.percent,
        "error": "The export stopped without finishing." if stalled else job.error,
        "download_url": (
            reverse("funds:export_download", args=[job.pk])
            if job.state == ExportJob.State.DONE
            else ""
        ),
    }


@require_GET
def export_job(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's state with a <progress> bar; a Refresh link works without JavaScript."""
    job = _job(request, pk)
    response = render(
        request, "funds/exports/job.html", {"job": job, "fund": job.fund, "status": _status(job)}
    )
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def export_job_status(request: HttpRequest, pk: int) -> JsonResponse:
    """The same state as JSON, for static/js/export-progress.js."""
    response = JsonResponse(_status(_job(request, pk)))
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def export_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The finished file, streamed from private storage to someone who may see it."""
    job = _job(request, pk)
    if job.state != ExportJob.State.DONE:
        raise StateError("This export is not ready yet; refresh its page to see how far it is.")
    extension = export_services.EXTENSIONS[job.kind]
    response = StreamingHttpResponse(
        export_services.export_file_chunks(job),
        content_type=export_services.CONTENT_TYPES[extension],
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{export_services.export_download_name(job)}"'
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_POST
def export_retry(request: HttpRequest, pk: int) -> HttpResponse:
    """Try a failed export again: a new job of the same kind."""
    job = _job(request, pk)
    if job.state != ExportJob.State.FAILED and not _stalled(job):
        return redirect("funds:export_job", pk=job.pk)
    new = export_services.export_job_start(actor=request.user, fund=job.fund, kind=job.kind)
    return redirect("funds:export_job", pk=new.pk)
