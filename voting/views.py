"""Pages of the voting app: each view parses input, calls one service or selector, renders."""

from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from communities.middleware import MfaPromptMiddleware
from communities.models import Membership, Neighbourhood
from config.errors import ApplicationError, ForbiddenError, NotFoundError
from config.pagination import other_params, paginate

from . import selectors, services
from .counting_adapter import recount_note
from .forms import (
    AnnulForm,
    BallotForm,
    BatchForm,
    EntryForm,
    PaperVoterForm,
    PotForm,
    PrintPapersForm,
    PrintRegisterForm,
    ReceiptForm,
    RoundForm,
    VolunteerForm,
    pence,
)
from .models import BallotMethod, Channel, CountJob, PaperBatch, VoteRound, pounds_display
from .permissions import (
    can_annul_round,
    can_certify_round,
    can_close_round_now,
    can_confirm_annulment,
    can_count_round,
    can_enter_paper_ballots,
    can_export_round,
    can_issue_polling_cards,
    can_manage_rounds,
    can_open_round_now,
    can_publish_results,
    can_run_kiosks,
    can_view_results,
    ensure_paper_keyer,
    pb_withheld_reason,
    voter_ineligibility,
)
from .services.paper import NearMatchError
from .turnout import round_turnout


def domain_errors(view):
    """Render domain errors the way the site's middleware does, even where it is not installed."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ApplicationError as exc:
            return MfaPromptMiddleware(None).process_exception(request, exc)

    return wrapper


BATCHES_PER_PAGE = 25


def _neighbourhood(slug: str) -> Neighbourhood:
    return get_object_or_404(Neighbourhood, slug=slug)


def _back(round: VoteRound):
    return redirect("voting:round_detail", pk=round.pk)


@domain_errors
def round_list(request, slug):
    neighbourhood = _neighbourhood(slug)
    rounds = paginate(
        request, selectors.round_list(neighbourhood=neighbourhood, user=request.user), 20
    )
    for round in rounds.object_list:
        services.round_advance_if_due(round=round)
    return render(
        request,
        "voting/round_list.html",
        {
            "neighbourhood": neighbourhood,
            "rounds": rounds,
            "can_manage": can_manage_rounds(request.user, neighbourhood),
        },
    )


@login_required
@domain_errors
def round_create(request, slug):
    neighbourhood = _neighbourhood(slug)
    if not can_manage_rounds(request.user, neighbourhood):
        # ensure_powers says whether two-factor is what is missing.
        from communities.permissions import TRUSTEE_ROLES, ensure_powers

        ensure_powers(request.user, neighbourhood, TRUSTEE_ROLES, action="set up a vote")
    form = RoundForm(request.POST or None, neighbourhood=neighbourhood)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            round = services.round_create(
                actor=request.user,
                neighbourhood=neighbourhood,
                pots=[
                    services.PotSpec(
                        name=data["pot_name"],
                        amount_pence=pence(data["pot_amount"]),
                        proposals=list(data["proposals"]),
                    )
                ],
                **form.service_kwargs(),
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "The vote is saved as a draft. Check it, then publish it.")
            return _back(round)
    return render(request, "voting/round_form.html", {"form": form, "neighbourhood": neighbourhood})


def _count_progress(round: VoteRound) -> dict | None:
    """The latest count of a closed or counted round, as its page shows it: waiting, "pot 2
    of 3", or failed with the reason (a count left running by a stopped worker is failed)."""
    if round.status not in (VoteRound.Status.CLOSED, VoteRound.Status.COUNTED):
        return None
    job = services.count_job_current(round)
    if job is None or job.state == CountJob.State.DONE:
        return None
    if (
        job.state == CountJob.State.FAILED
        and round.counted_at
        and round.counted_at > job.created_at
    ):
        return None  # counted since (from the shell): the failure is history
    stalled = job.stalled(hard_limit_seconds=services.count_jobs.COUNT_HARD_LIMIT)
    failed = stalled or job.state == CountJob.State.FAILED
    return {
        "job": job,
        "active": not failed,
        "failed": failed,
        "error": "The count stopped without finishing." if stalled else job.error,
        "pot": min(job.done + 1, job.total),
    }


@domain_errors
def round_detail(request, pk):
    round = selectors.round_get(pk=pk, user=request.user)
    services.round_advance_if_due(round=round)
    user = request.user
    manage = can_manage_rounds(user, round.neighbourhood)
    return render(
        request,
        "voting/round_detail.html",
        {
            "round": round,
            "pots": round.pots.all(),
            "rule_name": selectors.rule_name(round),
            "can_manage": manage,
            "can_certify": can_certify_round(user, round),
            "can_open_now": manage and can_open_round_now(user, round),
            "can_close_now": manage and can_close_round_now(user, round),
            "can_paper": round.channel_paper and can_enter_paper_ballots(user, round),
            "can_results": can_view_results(user, round),
            "not_eligible": voter_ineligibility(user, round)
            if round.status == VoteRound.Status.OPEN
            else None,
            "certifications": round.certifications.select_related("trustee"),
            "annul_form": AnnulForm() if manage else None,
            "can_count": can_count_round(user, round),
            "count": _count_progress(round) if manage else None,
            "can_publish_results": can_publish_results(user, round),
            "can_annul": can_annul_round(user, round),
            "annulment_request": round.annulment_requests.filter(
                confirmed_at__isnull=True, withdrawn_at__isnull=True
            )
            .select_related("requested_by")
            .first()
            if round.status == VoteRound.Status.CERTIFIED
            else None,
            "can_confirm_annulment": can_confirm_annulment(user, round),
            "can_issue_cards": can_issue_polling_cards(user, round),
            "can_run_kiosks": can_run_kiosks(user, round),
            "turnout": round_turnout(round)
            if manage and round.status != VoteRound.Status.DRAFT
            else None,
        },
    )


@login_required
@domain_errors
def pot_add(request, pk):
    round = selectors.round_get(pk=pk, user=request.user)
    form = PotForm(request.POST or None, neighbourhood=round.neighbourhood)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.pot_add(
                actor=request.user,
                round=round,
                spec=services.PotSpec(
                    name=data["pot_name"],
                    amount_pence=pence(data["pot_amount"]),
                    proposals=list(data["proposals"]),
                ),
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Pot added.")
            return _back(round)
    return render(request, "voting/pot_form.html", {"form": form, "round": round})


def _action(service, success: str, **extra):
    """A POST-only button on the round page that calls one service."""

    @login_required
    @require_POST
    @domain_errors
    def view(request, pk):
        round = selectors.round_get(pk=pk, user=request.user)
        kwargs = {}
        if "reason" in extra:
            form = AnnulForm(request.POST)
            if not form.is_valid():
                messages.error(request, "Give the reason the vote is annulled.")
                return _back(round)
            kwargs["reason"] = form.cleaned_data["reason"]
        try:
            service(actor=request.user, round=round, **kwargs)
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            round.refresh_from_db()
            messages.success(request, success(round) if callable(success) else success)
        return _back(round)

    return view


round_publish = _action(services.round_publish, "The vote is published.")


@login_required
@require_POST
@domain_errors
def round_count(request, pk):
    """Ask for the count: a worker counts (inline in the embedded default) and the round page
    shows how far it is, then what to do next."""
    round = selectors.round_get(pk=pk, user=request.user)
    try:
        job = services.round_count_request(actor=request.user, round=round)
    except ForbiddenError:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _back(round)
    job.refresh_from_db()
    # A failed count gets no message here: the round page explains it and offers a retry.
    if job.state == CountJob.State.DONE:
        messages.success(request, "The vote is counted. Two trustees now certify it.")
    elif job.state != CountJob.State.FAILED:
        messages.success(request, "The count has started. This page shows how far it is.")
    return _back(round)


round_certify = _action(services.round_certify, "Your certification is recorded.")
round_publish_results = _action(services.round_publish_results, "The results are published.")
round_annul = _action(
    services.round_annul,
    lambda r: (
        "The vote is annulled."
        if r.status == VoteRound.Status.ANNULLED
        else "Your request to annul is recorded. A second trustee must confirm it."
    ),
    reason=True,
)
round_annul_confirm = _action(services.round_annul_confirm, "The vote is annulled.")
round_annul_withdraw = _action(services.round_annul_withdraw, "The request to annul is withdrawn.")


def _timing_action(service, *, title: str, explain: str, button: str, success: str):
    """Open now / close now: the round page's button posts here, this page asks to confirm,
    and the confirmed post calls the service."""

    @login_required
    @require_POST
    @domain_errors
    def view(request, pk):
        round = selectors.round_get(pk=pk, user=request.user)
        if request.POST.get("confirm") != "yes":
            return render(
                request,
                "voting/round_confirm.html",
                {
                    "round": round,
                    "title": title,
                    "explain": explain.format(
                        opens=date_format(localtime(round.opens_at), "j F Y, H:i"),
                        closes=date_format(localtime(round.closes_at), "j F Y, H:i"),
                    ),
                    "button": button,
                    "action": request.path,
                },
            )
        try:
            service(actor=request.user, round=round)
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, success)
        return _back(round)

    return view


round_open_now = _timing_action(
    services.round_open_now,
    title="Open the vote now?",
    explain=(
        "The vote is due to open on {opens}. If you open it now, members can vote from now "
        "until it closes on {closes}. This is recorded in the audit trail with your name."
    ),
    button="Yes, open the vote now",
    success="The vote is open.",
)
round_close_now = _timing_action(
    services.round_close_now,
    title="Close the vote now?",
    explain=(
        "The vote is due to close on {closes}. If you close it now, nobody can vote after this, "
        "and it cannot be reopened. Ballots already cast are kept and counted. This is recorded "
        "in the audit trail with your name."
    ),
    button="Yes, close the vote now",
    success="The vote is closed. Its ballots are ready to count.",
)


@never_cache  # the ballot, its review and the receipt: no browser or proxy keeps a copy
@sensitive_post_parameters("receipt_code")  # never in an error report, beside the voter's name
@login_required
@domain_errors
def ballot(request, pk):
    """Fill in -> review -> cast, all without JavaScript.

    The ballot form posts `step=review`: the same rule the cast applies (validate_choices)
    checks it, and the review page lists the choices and total with "Change" (back to the
    filled-in form) and "Cast my vote" (`step=cast`). A post without a step casts, as before
    the review step existed, so older forms and scripted clients keep working.

    The ballot paper comes from the cache (selectors.ballot_paper); a cast uses it and renders
    the receipt from what the cast returns, with no further read.
    """
    paper, reason = selectors.ballot_paper_for_voter(pot_id=pk, user=request.user)
    round, pot = paper.round, paper.pot
    if services.round_advance_if_due(round=round):
        paper, reason = selectors.ballot_paper_for_voter(pot_id=pk, user=request.user)
        round, pot = paper.round, paper.pot
    if reason:
        raise ForbiddenError(reason)
    items = selectors.ballot_items(pot=pot, user=request.user, paper=paper)
    step = request.POST.get("step", "cast") if request.method == "POST" else ""
    cast_error = None
    if step == "cast":
        # Whether this member voted already is not read before a cast: the insert finds out
        # (services.ballot_cast). The receipt code field is there when the form sent it.
        form = BallotForm(
            request.POST, round=round, items=items, show_code="receipt_code" in request.POST
        )
        if form.is_valid():
            try:
                result = services.ballot_cast(
                    actor=request.user,
                    pot=pot,
                    choices=form.choices(),
                    receipt_code=form.cleaned_data.get("receipt_code", ""),
                    paper=paper,
                )
            except ForbiddenError:
                raise
            except ApplicationError as exc:
                cast_error = exc.message
            else:
                # Rendered, not redirected: the code is never put in a URL or the session.
                return render(request, "voting/receipt.html", {"result": result})
    voted = selectors.voter_participation(user=request.user, pot=pot)
    if voted and (not round.allow_change or voted.channel != Channel.ONLINE):
        return render(request, "voting/already_voted.html", {"round": round, "pot": pot})
    if request.method != "POST":
        form = BallotForm(None, round=round, items=items, show_code=bool(voted))
    elif step != "cast":
        form = BallotForm(request.POST, round=round, items=items, show_code=bool(voted))
        if step == "review" and form.is_valid():
            try:
                # The cast's own rule, on the items already loaded: no query, no lock.
                stored = services.validate_choices(
                    round=round,
                    pot=pot,
                    choices=form.choices(),
                    items={i.proposal_id: i for i in items},
                    voter=request.user,
                )
            except ForbiddenError:
                raise
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                return render(
                    request,
                    "voting/ballot_review.html",
                    {
                        "round": round,
                        "pot": pot,
                        "voted": voted,
                        "review": selectors.ballot_review(
                            round=round, pot=pot, items=items, stored=stored
                        ),
                        "carry": form.carried_fields(),
                    },
                )
    elif voted and "receipt_code" not in request.POST:
        # Voted already: the page asks for the receipt code to change the ballot.
        form = BallotForm(request.POST, round=round, items=items, show_code=True)
        form.is_valid()
    if cast_error:
        form.add_error(None, cast_error)
    rows = list(form.rows())
    is_knapsack = round.ballot_method == BallotMethod.KNAPSACK
    chosen_pence = sum(item.cost_pence for item, _, checked in rows if checked)
    return render(
        request,
        "voting/ballot.html",
        {
            "round": round,
            "pot": pot,
            "form": form,
            "rows": rows,
            "voted": voted,
            "is_choice": round.ballot_method in (BallotMethod.K_APPROVAL, BallotMethod.KNAPSACK),
            "is_knapsack": is_knapsack,
            # Without JavaScript the server's total shows (after "Change" or an error); with
            # it, static/js/ballot.js keeps it up to date as boxes are ticked.
            "chosen_total": pounds_display(chosen_pence),
            "over_by": (
                pounds_display(chosen_pence - pot.amount_pence)
                if is_knapsack and chosen_pence > pot.amount_pence
                else ""
            ),
            "ranking_points": (
                selectors.ranking_points_text(round)
                if round.ballot_method == BallotMethod.RANKING
                else ""
            ),
        },
    )


@never_cache
@sensitive_post_parameters("code")
def receipt_lookup(request):
    form = ReceiptForm(request.POST or None)
    status = None
    looked_up = False
    if request.method == "POST" and form.is_valid():
        looked_up = True
        status = services.receipt_lookup(code=form.cleaned_data["code"])
    return render(
        request,
        "voting/receipt_lookup.html",
        {"form": form, "status": status, "looked_up": looked_up},
    )


@domain_errors
def results(request, pk):
    round = selectors.round_get(pk=pk, user=request.user)
    services.round_advance_if_due(round=round)
    if not can_view_results(request.user, round):
        raise NotFoundError("The results of this vote are not published yet.")
    return render(
        request,
        "voting/results.html",
        {
            "round": round,
            "pots": selectors.round_results(round=round),
            "rule_name": selectors.rule_name(round),
            "rule_summary": selectors.rule_summary(round),
            "explanation": selectors.rule_explanation(round),
            "recount_note": recount_note(round),
            "can_export": can_export_round(request.user, round),
            "certifications": round.certifications.select_related("trustee"),
            "turnout": round_turnout(round),
        },
    )


@domain_errors
def export_pb(request, pk, pot_pk):
    round = selectors.round_get(pk=pk, user=request.user)
    if not can_export_round(request.user, round):
        raise NotFoundError("The ballots of this vote are not published yet.")
    pot = get_object_or_404(round.pots.select_related("result"), pk=pot_pk)
    result = getattr(pot, "result", None)
    withheld = pb_withheld_reason(result.ballots_counted if result else 0)
    if withheld:
        raise NotFoundError(withheld)
    text = services.round_export_pabulib(round=round, pot=pot)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="commonpurse_round{round.pk}_pot{pot.pk}.pb"'
    )
    return response


def _ensure_paper(request, round):
    ensure_paper_keyer(request.user, round)


@never_cache  # voters' private names and addresses: no browser or proxy keeps a copy
@login_required
@domain_errors
def paper(request, pk):
    """The paper-voting desk: mark voters, open batches, appoint volunteers (trustees)."""
    round = selectors.round_get(pk=pk, user=request.user, with_ballot=False)
    _ensure_paper(request, round)
    voter_form = PaperVoterForm(prefix="voter")
    batch_form = BatchForm(prefix="batch", round=round)
    volunteer_form = VolunteerForm(prefix="vol")
    found = near = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action in ("search", "voter"):
                voter_form = PaperVoterForm(request.POST, prefix="voter")
                if voter_form.is_valid():
                    data = voter_form.cleaned_data
                    if action == "search":
                        found = selectors.paper_register_search(
                            round=round,
                            name=data["name"],
                            house=data["house"],
                            postcode=data["postcode"],
                        )
                    else:
                        mark = services.paper_voter_mark(actor=request.user, round=round, **data)
                        messages.success(request, f"{data['name']}: {mark.message}")
                        return redirect("voting:paper", pk=round.pk)
            elif action == "member":
                membership = get_object_or_404(
                    Membership.objects.select_related("user"),
                    pk=request.POST.get("membership"),
                    neighbourhood=round.neighbourhood,
                )
                mark = services.paper_voter_mark(
                    actor=request.user, round=round, membership=membership
                )
                who = membership.private_name or membership.user.public_name
                messages.success(request, f"{who} is marked as voting on paper. {mark.message}")
                return redirect("voting:paper", pk=round.pk)
            elif action == "batch":
                batch_form = BatchForm(request.POST, prefix="batch", round=round)
                if batch_form.is_valid():
                    data = batch_form.cleaned_data
                    batch = services.paper_batch_create(
                        actor=request.user,
                        round=round,
                        pot=round.pots.get(pk=data["pot"]),
                        event=data["event"],
                        declared_count=data["declared_count"],
                    )
                    messages.success(request, "Batch opened. Key its ballot papers now.")
                    return redirect("voting:batch", pk=batch.pk)
            elif action == "volunteer":
                volunteer_form = VolunteerForm(request.POST, prefix="vol")
                if volunteer_form.is_valid():
                    user = (
                        get_user_model()
                        .objects.filter(email__iexact=volunteer_form.cleaned_data["email"])
                        .first()
                    )
                    if user is None:
                        raise ApplicationError("Nobody has an account with that email address.")
                    services.volunteer_appoint(actor=request.user, round=round, user=user)
                    messages.success(request, f"{user} can now key paper ballots for this vote.")
                    return redirect("voting:paper", pk=round.pk)
        except ForbiddenError:
            raise
        except NearMatchError as exc:
            near = exc
        except ApplicationError as exc:
            form = {"batch": batch_form, "volunteer": volunteer_form}.get(action, voter_form)
            form.add_error(None, exc.message)
    return render(
        request,
        "voting/paper.html",
        {
            "round": round,
            "voter_form": voter_form,
            "batch_form": batch_form,
            "volunteer_form": volunteer_form,
            "found": found,
            "near": near,
            "batches": paginate(request, selectors.paper_batches(round=round), BATCHES_PER_PAGE),
            "query": other_params(request),
            "tally": selectors.paper_tally(round=round),
            "volunteers": round.volunteers.select_related("user"),
            "can_manage": can_manage_rounds(request.user, round.neighbourhood),
        },
    )


@never_cache  # paper ballots as keyed
@login_required
@domain_errors
def batch(request, pk):
    batch = get_object_or_404(
        PaperBatch.objects.select_related("round__neighbourhood", "pot"), pk=pk
    )
    round = batch.round
    _ensure_paper(request, round)
    form = EntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            batch = services.paper_entry_submit(
                actor=request.user, batch=batch, text=form.cleaned_data["text"]
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            form.add_error("text", exc.message)
        else:
            messages.success(request, f"Entry saved. {batch.get_status_display()}.")
            return redirect("voting:batch", pk=batch.pk)
    entries = list(batch.entries.select_related("keyed_by"))
    return render(
        request,
        "voting/batch.html",
        {
            "batch": batch,
            "round": round,
            "form": form,
            "entries": entries,
            "mismatches": services.batch_mismatches(batch),
            "items": batch.pot.items.select_related("proposal"),
            "keyed_by_me": any(e.keyed_by_id == request.user.pk for e in entries),
        },
    )


def _pdf(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache  # numbered papers and (for the register) private names and addresses
@login_required
@domain_errors
def paper_print(request, pk):
    """Numbered ballot papers for a polling event: the form, then the PDF (audited)."""
    round = selectors.round_get(pk=pk, user=request.user)
    _ensure_paper(request, round)
    form = PrintPapersForm(request.POST or None, round=round)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            pdf = services.ballot_papers_print(
                actor=request.user,
                round=round,
                pot=round.pots.get(pk=data["pot"]),
                event=data["event"],
                count=data["count"],
                per_page=data["per_page"],
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return _pdf(pdf, f"ballot-papers-round{round.pk}-pot{data['pot']}.pdf")
    return render(
        request,
        "voting/paper_print.html",
        {
            "round": round,
            "form": form,
            "title": "Print numbered ballot papers",
            "explain": (
                "Print the papers for a polling event. Each paper is numbered (1, 2, 3 and so "
                "on) so you can count the papers handed out and returned, and lists the pot's "
                "proposals with the numbers keyers type. Never write a paper's number next to "
                "a voter's name. The print is recorded in the audit trail."
            ),
            "button": "Download the ballot papers (PDF)",
        },
    )


@never_cache
@login_required
@domain_errors
def paper_register(request, pk):
    """The printed register for the desk (trustees only; audited)."""
    round = selectors.round_get(pk=pk, user=request.user)
    form = PrintRegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pdf = services.paper_register_print(
                actor=request.user, round=round, event=form.cleaned_data["event"]
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            return _pdf(pdf, f"register-round{round.pk}.pdf")
    elif not can_manage_rounds(request.user, round.neighbourhood):
        from communities.permissions import TRUSTEE_ROLES, ensure_powers

        ensure_powers(request.user, round.neighbourhood, TRUSTEE_ROLES, action="print the register")
    return render(
        request,
        "voting/paper_print.html",
        {
            "round": round,
            "form": form,
            "title": "Print the register for the desk",
            "explain": (
                "The register lists the members who may vote, with their name, house and "
                "postcode and a box to tick when they get their papers: nothing else. It holds "
                "private details, so keep it with you at the desk and give it back to a trustee "
                "afterwards. Each print is recorded in the audit trail with your name."
            ),
            "button": "Download the register (PDF)",
        },
    )
