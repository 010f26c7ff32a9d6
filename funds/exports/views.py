"""Download views for the open data and the books: GET only, streamed, permission-checked.

360Giving is public; the ledger, the statement and the audit trail go only to the people
funds.exports.permissions names (the predicate decides; ensure_powers gives someone with the
role but without two-factor the set-up prompt instead of a bare refusal).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.views.decorators.http import require_GET

from communities.permissions import ensure_powers
from config.errors import ApplicationError, NotFoundError

from ..models import Fund
from . import permissions as perms
from . import threesixtygiving as g360
from .audit import audit_lines
from .csvstream import csv_chunks
from .ledger import ledger_rows
from .statement import statement_for, statement_pdf, statement_rows


def _fund(fund_id: int) -> Fund:
    fund = Fund.objects.select_related("neighbourhood", "funder", "holder").filter(pk=fund_id)
    fund = fund.first()
    if fund is None:
        raise NotFoundError("There is no such fund.")
    return fund


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
def threesixtygiving_json(request: HttpRequest, fund_id: int | None = None):
    """Public: every awarded fund's grants (or one fund's) as a 360Giving package."""
    fund_ids = None
    if fund_id is not None:
        if not g360.funds_for_export([fund_id]).exists():
            raise NotFoundError("There is no published fund with that number.")
        fund_ids = [fund_id]
    response = StreamingHttpResponse(
        g360.package_chunks(g360.iter_grants(fund_ids)), content_type="application/json"
    )
    name = f"360giving-fund-{fund_id}.json" if fund_id else "360giving.json"
    return _attachment(response, name)


@require_GET
def threesixtygiving_csv(request: HttpRequest, fund_id: int | None = None):
    """Public: the same grants as the standard's flat CSV."""
    fund_ids = None
    if fund_id is not None:
        if not g360.funds_for_export([fund_id]).exists():
            raise NotFoundError("There is no published fund with that number.")
        fund_ids = [fund_id]
    grants = list(g360.iter_grants(fund_ids))
    response = StreamingHttpResponse(
        csv_chunks(g360.csv_rows(grants)), content_type="text/csv; charset=utf-8"
    )
    name = f"360giving-fund-{fund_id}.csv" if fund_id else "360giving.csv"
    return _attachment(response, name)


def _require_books(request: HttpRequest, fund: Fund) -> None:
    if not perms.can_download_books(request.user, fund):
        ensure_powers(request.user, fund.neighbourhood, perms.BOOKS_ROLES, action="see the books")


@require_GET
def ledger_csv(request: HttpRequest, fund_id: int):
    fund = _fund(fund_id)
    _require_books(request, fund)
    response = StreamingHttpResponse(
        csv_chunks(ledger_rows(fund_id=fund.pk)), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, f"ledger-fund-{fund.pk}.csv")


def _day(request: HttpRequest, name: str) -> dt.date | None:
    value = request.GET.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ApplicationError(f"“{value}” is not a date like 2026-04-01.") from exc


def _statement(request: HttpRequest, fund_id: int):
    fund = _fund(fund_id)
    _require_books(request, fund)
    start, end = _day(request, "from"), _day(request, "to")
    if start and end and start > end:
        raise ApplicationError("The first day of the statement comes after its last day.")
    return fund, statement_for(fund=fund, start=start, end=end)


@require_GET
def statement_csv(request: HttpRequest, fund_id: int):
    fund, export = _statement(request, fund_id)
    response = StreamingHttpResponse(
        csv_chunks(statement_rows(export)), content_type="text/csv; charset=utf-8"
    )
    return _attachment(response, f"statement-fund-{fund.pk}.csv")


@require_GET
def statement_pdf_view(request: HttpRequest, fund_id: int):
    fund, export = _statement(request, fund_id)
    response = HttpResponse(statement_pdf(export), content_type="application/pdf")
    return _attachment(response, f"statement-fund-{fund.pk}.pdf")


@require_GET
def audit_jsonl(request: HttpRequest, fund_id: int):
    fund = _fund(fund_id)
    if not perms.can_download_audit_trail(request.user, fund):
        ensure_powers(
            request.user, fund.neighbourhood, perms.AUDIT_ROLES, action="see the audit trail"
        )
    response = StreamingHttpResponse(
        audit_lines(fund=fund), content_type="application/x-ndjson; charset=utf-8"
    )
    return _attachment(response, f"audit-fund-{fund.pk}.jsonl")
