"""Celery tasks of the funds app: thin, take ids, call a service. Queued via the outbox.

The export runs in a task of its own (not inside the outbox delivery's transaction), so its
progress commits as it goes and the page can show it; the outbox task only hands it over.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.mail import send_mail
from django.db import DatabaseError
from django.urls import reverse

from communities.models import RoleAssignment
from communities.permissions import TRUSTEE_ROLES

from .models import FundQueryMessage
from .permissions import AUDITOR
from .services import exports as export_services

logger = logging.getLogger(__name__)

EXPORT_SOFT_LIMIT = 25 * 60
EXPORT_HARD_LIMIT = 30 * 60
EXPORT_RETRIES = 3


@shared_task(ignore_result=True, time_limit=60, soft_time_limit=50)
def export_job_start_task(job_id: int) -> None:
    """From the outbox: hand the job to a worker (inline in the embedded default)."""
    export_job_run_task.apply_async(args=[job_id])


@shared_task(
    bind=True,
    ignore_result=True,
    time_limit=EXPORT_HARD_LIMIT,
    soft_time_limit=EXPORT_SOFT_LIMIT,
    max_retries=EXPORT_RETRIES,
    acks_late=True,
)
def export_job_run_task(self, job_id: int) -> bool:
    """Run one export once; a duplicate delivery finds the job running or done and stops."""
    try:
        return export_services.export_job_run(job_id=job_id)
    except SoftTimeLimitExceeded:
        export_services.export_job_fail(
            job_id=job_id,
            message="The export took longer than the 25 minutes allowed and was stopped.",
        )
        return False
    except DatabaseError as exc:
        if (
            self.request.called_directly
            or self.request.is_eager
            or (self.request.retries >= EXPORT_RETRIES)
        ):
            export_services.export_job_fail(
                job_id=job_id, message="The export stopped because the database was unavailable."
            )
            return False
        export_services.export_job_requeue(job_id=job_id)
        raise self.retry(exc=exc, countdown=30 * (self.request.retries + 1)) from exc
    except Exception:
        logger.exception("Export job %s failed", job_id)
        export_services.export_job_fail(
            job_id=job_id, message="Something went wrong while writing the file."
        )
        return False


def _emails(neighbourhood_id: int, roles) -> list[str]:
    return sorted(
        set(
            RoleAssignment.objects.current()
            .filter(
                neighbourhood_id=neighbourhood_id,
                role__in=roles,
                user__is_active=True,
                user__erased_at=None,
            )
            .exclude(user__email="")
            .values_list("user__email", flat=True)
        )
    )


@shared_task(time_limit=60, soft_time_limit=50)
def fund_query_notice_task(message_id: int) -> int:
    """Tell the other side of a query that it moved: trustees when the auditor wrote,
    the funder auditors when a trustee answered. The email links to the thread and carries
    no more than the subject."""
    message = FundQueryMessage.objects.select_related("query__fund").filter(pk=message_id).first()
    if message is None:
        return 0
    query = message.query
    to_trustees = message.kind != FundQueryMessage.Kind.ANSWER
    roles = TRUSTEE_ROLES if to_trustees else AUDITOR
    to = _emails(query.fund.neighbourhood_id, roles)
    if not to:
        return 0
    link = f"{getattr(settings, 'SITE_URL', '')}{reverse('funds:query', args=[query.pk])}"
    subject = f"Query {query.pk} on {query.fund.name}: {message.get_kind_display().lower()}"
    body = (
        f"The query “{query.subject}” on {query.fund.name} has a new step: "
        f"{message.get_kind_display().lower()}.\n\nRead it and respond here: {link}\n"
    )
    return send_mail(subject.replace("\n", " ")[:150], body, None, to, fail_silently=False)
