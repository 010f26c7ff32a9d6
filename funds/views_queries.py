"""Pages of the auditors' queries: raise one on an entry, grant or claim; read and answer the
thread. Thin: parse, call one service (funds.services.queries), render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from communities.permissions import TRUSTEE_ROLES, ensure_powers
from config.errors import ApplicationError, ForbiddenError

from . import permissions as perms
from .forms import QueryForm, QueryMessageForm
from .models import Claim, Fund, FundQuery, FundQueryMessage, Grant, JournalEntry
from .services import queries as query_services

TARGETS = {"entry": JournalEntry, "grant": Grant, "claim": Claim}


def _target(fund: Fund, kind: str, pk: int):
    """The entry, grant or claim of this fund, or None (never another fund's)."""
    model = TARGETS.get(kind)
    if model is None:
        return None
    if model is Claim:
        return Claim.objects.select_related("grant").filter(pk=pk, grant__fund=fund).first()
    return model.objects.filter(pk=pk, fund=fund).first()


def _target_label(kind: str, target) -> str:
    if kind == "entry":
        return f"ledger entry {target.seq} ({target.get_kind_display().lower()})"
    if kind == "grant":
        return f"the grant “{target.title}”"
    return f"claim {target.pk} on “{target.grant.title}”"


def query_new(request: HttpRequest, pk: int) -> HttpResponse:
    """A funder auditor raises a query on one entry, grant or claim of the fund."""
    fund = get_object_or_404(Fund.objects.select_related("neighbourhood"), pk=pk)
    ensure_powers(request.user, fund.neighbourhood, perms.AUDITOR, action="raise a query")
    source = request.POST if request.method == "POST" else request.GET
    kind = next((k for k in TARGETS if source.get("target") == k or k in source), "")
    raw_id = source.get("target_id") or source.get(kind, "")
    target = _target(fund, kind, int(raw_id)) if raw_id.isdigit() else None
    if request.method == "POST":
        form = QueryForm(request.POST)
        if form.is_valid():
            if target is None:
                form.add_error(None, "That item is not in this fund's books. Go back and use "
                               "the “Raise a query” link beside it.")  # fmt: skip
            else:
                try:
                    query = query_services.fund_query_raise(
                        actor=request.user,
                        fund=fund,
                        subject=form.cleaned_data["subject"],
                        body=form.cleaned_data["body"],
                        **{kind: target},
                    )
                except ForbiddenError:
                    raise
                except ApplicationError as exc:
                    form.add_error(None, exc.message)
                else:
                    messages.success(request, "Your query is raised; the trustees are told.")
                    return redirect("funds:query", pk=query.pk)
    else:
        if target is None:
            raise Http404("Raise a query from the “Raise a query” link beside an item.")
        form = QueryForm(initial={"target": kind, "target_id": target.pk})
    return render(
        request,
        "funds/queries/new.html",
        {
            "fund": fund,
            "form": form,
            "target_label": _target_label(kind, target) if target else "",
        },
    )


def _query(pk: int) -> FundQuery:
    return get_object_or_404(
        FundQuery.objects.select_related(
            "fund__neighbourhood", "entry__grant", "grant", "claim__grant", "raised_by"
        ),
        pk=pk,
    )


def query_detail(request: HttpRequest, pk: int, form: QueryMessageForm | None = None):
    """The whole thread of one query, oldest first, with what this person may do next."""
    query = _query(pk)
    if not perms.can_view_query(request.user, query):
        ensure_powers(
            request.user,
            query.fund.neighbourhood,
            (*TRUSTEE_ROLES, *perms.AUDITOR),
            action="read this query",
        )
        raise ForbiddenError("You cannot read this query.")
    thread = list(
        FundQueryMessage.objects.filter(query=query).select_related("author").order_by("pk")
    )
    user = request.user
    return render(
        request,
        "funds/queries/detail.html",
        {
            "query": query,
            "fund": query.fund,
            "thread": thread,
            "form": form or QueryMessageForm(),
            "can_answer": perms.can_answer_query(user, query),
            "can_reply": perms.can_reply_query(user, query),
            "can_close": perms.can_close_query(user, query),
            "can_reopen": perms.can_reopen_query(user, query),
        },
        status=400 if form is not None else 200,
    )


ACTIONS = {
    "answer": (query_services.fund_query_answer, "body", "Your answer is added."),
    "reply": (query_services.fund_query_reply, "body", "Your reply is added."),
    "close": (query_services.fund_query_close, "note", "The query is closed."),
    "reopen": (query_services.fund_query_reopen, "note", "The query is open again."),
}


@require_POST
def query_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """Answer (a trustee), reply, close or reopen (an auditor): one step of the thread."""
    if action not in ACTIONS:
        raise Http404("There is no such action.")
    query = _query(pk)
    service, argument, done = ACTIONS[action]
    form = QueryMessageForm(request.POST)
    if not form.is_valid():
        return query_detail(request, pk, form=form)
    try:
        service(actor=request.user, query=query, **{argument: form.cleaned_data["body"]})
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        form.add_error("body", exc.message)
        return query_detail(request, pk, form=form)
    messages.success(request, done)
    return redirect("funds:query", pk=query.pk)
