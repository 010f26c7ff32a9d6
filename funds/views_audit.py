"""The funder's audit workspace (per fund) and the public spend pages (per neighbourhood).

The workspace is for the fund's funder auditors and the neighbourhood's trustees: the
statement with charts, the registers, the audit trail and the log of receipt views, with
drill-down from each total to its ledger entries and from each entry to its receipts. The
public page is for anyone: totals, grants, progress and spend by theme, nothing private.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.safestring import mark_safe

from communities.models import Neighbourhood
from communities.permissions import TRUSTEE_ROLES, ensure_powers
from config.pagination import other_params, paginate
from prospects.charts import bar_chart

from . import permissions as perms
from . import selectors, selectors_audit, selectors_pages, selectors_queries
from .models import ExportJob, Fund

# The public spend page cuts its funds and its grants into pages of this size (issue 17).
PUBLIC_PER_PAGE = 20


def _audited_fund(request: HttpRequest, pk: int) -> Fund:
    fund = get_object_or_404(
        Fund.objects.select_related("neighbourhood", "funder", "holder"), pk=pk
    )
    ensure_powers(
        request.user, fund.neighbourhood, (*TRUSTEE_ROLES, *perms.AUDITOR), action="audit a fund"
    )
    return fund


REGISTER_PAGE = 25


def _page(request: HttpRequest, queryset, name: str):
    """One page of a register; each register pages on its own parameter (?grants=2)."""
    return Paginator(queryset, REGISTER_PAGE).get_page(request.GET.get(name))


def workspace(request: HttpRequest, pk: int) -> HttpResponse:
    """The fund's audit workspace: statement, charts, registers, queries, trail, receipt
    views. Every figure comes from index seeks (running balances), the yearly summary or
    a page of a register, so the query count does not grow with the ledger."""
    fund = _audited_fund(request, pk)
    tranches = selectors_pages.fund_tranches(fund=fund)
    charts = selectors_audit.fund_charts(fund=fund, tranches=tranches)
    item_ids = selectors_audit._item_ids(fund)
    figures = selectors.fund_figures(fund=fund)
    totals = [
        (key, label, getattr(figures, key))
        for key, (label, _accounts, _sign) in selectors_audit.DRILLS.items()
    ]
    grants = _page(request, selectors_pages.fund_grants_queryset(fund=fund), "grants")
    claims = _page(request, selectors_audit.claims_queryset(fund=fund), "claims")
    decisions = _page(request, selectors_audit.decisions_register(fund=fund), "decisions")
    queries = _page(request, selectors_queries.queries_register(fund=fund), "queries")
    return render(
        request,
        "funds/audit/workspace.html",
        {
            "fund": fund,
            "figures": figures,
            "totals": totals,
            "charts": {k: mark_safe(v) for k, v in charts.items()},  # noqa: S308 - escaped
            "tranches": tranches,
            "grants_page": grants,
            "grants": selectors_pages.fund_grants(fund=fund, grants=grants.object_list),
            "claims_page": claims,
            "claims": selectors_audit.claims_register(fund=fund, claims=claims.object_list),
            "decisions_page": decisions,
            "queries_page": queries,
            "can_raise_query": perms.can_raise_query(request.user, fund),
            "export_kinds": ExportJob.Kind.choices,
            "trail": selectors_audit.audit_trail(fund=fund, item_ids=item_ids),
            "views": selectors_audit.receipt_views(fund=fund, item_ids=item_ids),
        },
    )


def entries(request: HttpRequest, pk: int, drill: str) -> HttpResponse:
    """The ledger entries behind one total, a page at a time (newest first), each linked
    to its claim and receipts."""
    fund = _audited_fund(request, pk)
    if drill not in selectors_audit.DRILLS:
        raise Http404("There is no such total.")
    before = request.GET.get("before", "")
    before_seq = int(before) if before.isdigit() else None
    label = selectors_audit.DRILLS[drill][0]
    rows, next_before = selectors_audit.entries_behind(fund=fund, drill=drill, before=before_seq)
    return render(
        request,
        "funds/audit/entries.html",
        {
            "fund": fund,
            "drill": drill,
            "label": label,
            "entries": rows,
            "total": getattr(selectors.fund_figures(fund=fund), drill),
            "next_before": next_before,
            "first_page": before_seq is None,
            "can_raise_query": perms.can_raise_query(request.user, fund),
        },
    )


def public_spend(request: HttpRequest, slug: str) -> HttpResponse:
    """Where the neighbourhood's money went, for anyone: no receipts, no personal data.

    A fixed number of queries however many funds and grants (issue 17): the funds and the
    grants are each cut into pages, the page's funds' figures are one grouped query, and the
    page's grants' figures and accepted reports two and one."""
    neighbourhood = get_object_or_404(Neighbourhood, slug=slug)
    funds = paginate(
        request,
        selectors_audit.public_funds_queryset(neighbourhood=neighbourhood),
        PUBLIC_PER_PAGE,
        param="funds",
    )
    figures = selectors.funds_figures(funds=funds.object_list)
    for fund in funds.object_list:
        fund.public_figures = figures[fund.pk]
    grants = paginate(
        request,
        selectors_audit.public_grants(neighbourhood=neighbourhood),
        PUBLIC_PER_PAGE,
        param="grants",
    )
    grants.object_list = selectors_pages.attach_grant_figures(list(grants.object_list))
    reports = selectors_audit.accepted_reports(grants=grants.object_list)
    for grant in grants.object_list:
        grant.accepted_reports = reports.get(grant.pk, 0)
    themes = selectors_audit.spend_by_theme(
        funds=selectors_audit.public_funds_queryset(neighbourhood=neighbourhood).values("pk")
    )
    chart = bar_chart(
        title="Spend by theme, in pounds", bars=[(label, p / 100) for label, p in themes]
    )
    return render(
        request,
        "funds/public_spend.html",
        {
            "neighbourhood": neighbourhood,
            "funds": funds,
            "funds_query": other_params(request, "funds"),
            "grants": grants,
            "grants_query": other_params(request, "grants"),
            "themes": themes,
            "chart": mark_safe(chart),  # noqa: S308 - built with escape()
        },
    )
