"""Pages for voting without an account: polling cards and kiosks, and the trustees' pages that
issue cards and open and close kiosks (issue 16). Each view parses input, calls services, renders.

A voter's progress (card, eligibility answers, choices) is kept on the server in a visit keyed
by a nonce that travels in the forms, never in a cookie or the URL, and is dropped at the cast.
"""

from __future__ import annotations

from types import SimpleNamespace

from allauth.core.internal.ratelimit import get_ip
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from communities.identity import keyed_hash
from communities.services.access_codes import normalise_access_code
from config.errors import ApplicationError, ForbiddenError, NotFoundError

from . import selectors
from .cards_pdf import polling_cards_pdf
from .forms import (
    BallotForm,
    CardCodeForm,
    CardIssueForm,
    KioskOpenForm,
    KioskStartForm,
    VoterIdentityForm,
)
from .models import BallotMethod, Channel, Kiosk, PollingCard, VoteRound
from .permissions import can_manage_rounds
from .services import cards as card_services
from .services import kiosks as kiosk_services
from .views import domain_errors

KIOSK_COOKIE = "cp_kiosk"
MAX_FAILED_PER_IP = 30  # wrong or refused codes per address per hour
MAX_FAILED_PER_CODE = 10  # wrong attempts at one code per hour (the card's owner still can)
RATE_WINDOW = 3600


# Rate limits: the login throttle's cache pattern. The cache is fail-soft (a Redis outage reads
# as "no attempts yet"), so an outage never blocks a voter; codes are unguessable (27^10) anyway.
def _rate_keys(request, code: str) -> list[tuple[str, int]]:
    keys = [(f"cp:card-ip:{get_ip(request)}", MAX_FAILED_PER_IP)]
    value = normalise_access_code(code)
    if value:
        keys.append((f"cp:card-code:{keyed_hash('voting.card-rate', value)}", MAX_FAILED_PER_CODE))
    return keys


def _rate_limited(request, code: str) -> bool:
    try:
        return any((cache.get(key) or 0) >= limit for key, limit in _rate_keys(request, code))
    except Exception:  # noqa: BLE001 - fail soft: a broken cache never blocks a vote
        return False


def _rate_count(request, code: str) -> None:
    for key, _ in _rate_keys(request, code):
        try:
            cache.add(key, 0, timeout=RATE_WINDOW)
            cache.incr(key)
        except Exception:  # noqa: BLE001, S112 - fail soft, as above
            continue


# The voter's pages, shared by the card page and the kiosk ----------------------------------


def _ballot_forms(round: VoteRound, visit, data=None):
    # The proposals' order is random per voter and stable between this voter's pages: seeded
    # by the visit, as an account's ballot is seeded by the user.
    voter = SimpleNamespace(pk=f"visit{visit.pk}")
    forms = []
    for pot in round.pots.all():
        items = selectors.ballot_items(pot=pot, user=voter)
        form = BallotForm(data, round=round, items=items, prefix=f"pot{pot.pk}")
        forms.append((pot, form, list(form.rows())))
    return forms


def _review(round: VoteRound, choices: dict[str, object]) -> list[tuple[object, list[str]]]:
    """Each pot with the voter's choices in words, for the review page."""
    out = []
    for pot in round.pots.all():
        titles = {i.proposal_id: i.proposal.title for i in pot.items.select_related("proposal")}
        chosen = choices.get(str(pot.pk))
        if round.ballot_method == BallotMethod.CUMULATIVE:
            lines = [f"{titles[int(k)]}: {v} points" for k, v in dict(chosen).items() if int(v)]
        elif round.ballot_method == BallotMethod.RANKING:
            lines = [f"{n}. {titles[int(p)]}" for n, p in enumerate(chosen, 1)]
        else:
            lines = [titles[int(p)] for p in chosen]
        out.append((pot, lines))
    return out


def _page(request, context: dict, *, kiosk: Kiosk | None, status: int = 200):
    context = {
        "kiosk": kiosk,
        "action": reverse("voting:kiosk") if kiosk else reverse("voting:card"),
        **context,
    }
    return render(request, "voting/inperson.html", context, status=status)


def _voter_flow(request, *, kiosk: Kiosk | None):
    """One step of the voter's pages: start (code) -> eligibility -> ballots -> review -> cast."""
    channel = Channel.KIOSK if kiosk else Channel.CARD
    nonce = request.POST.get("visit", "") if request.method == "POST" else ""
    visit = kiosk_services.visit_get(nonce=nonce, kiosk=kiosk) if nonce else None
    start_form_class = KioskStartForm if kiosk else CardCodeForm
    if visit is None:
        notice = (
            "The last voter's session was cleared. You are starting afresh."
            if nonce and kiosk
            else (
                "Your session timed out, so nothing was kept. Please start again." if nonce else ""
            )
        )
        form = start_form_class(request.POST if request.method == "POST" and not nonce else None)
        if form.is_bound and form.is_valid():
            code = form.cleaned_data.get("code", "")
            try:
                if code and _rate_limited(request, code):
                    raise ApplicationError(
                        "Too many attempts. Wait an hour, or ask a trustee for help.",
                        extra={"field": "code"},
                    )
                card = (
                    card_services.card_check(code=code, round=kiosk.round if kiosk else None)
                    if code
                    else None
                )
            except ApplicationError as exc:
                _rate_count(request, code)
                form.add_error("code" if "code" in form.fields else None, exc.message)
            else:
                round = card.round if card else kiosk.round
                nonce = kiosk_services.visit_start(
                    kiosk=kiosk,
                    data={"step": "identity", "card": card.pk if card else None, "round": round.pk},
                )
                return _page(
                    request,
                    {
                        "step": "identity",
                        "visit": nonce,
                        "round": round,
                        "form": VoterIdentityForm(),
                    },
                    kiosk=kiosk,
                )
        return _page(
            request,
            {
                "step": "start",
                "form": form,
                "notice": notice,
                "round": kiosk.round if kiosk else None,
            },
            kiosk=kiosk,
        )

    data = visit.data
    round = get_object_or_404(VoteRound.objects.select_related("neighbourhood"), pk=data["round"])
    base = {"visit": nonce, "round": round}
    step = data["step"]
    if step == "identity":
        form = VoterIdentityForm(request.POST)
        if form.is_valid():
            try:
                card_services.voter_identity_check(round=round, **form.cleaned_data)
            except ApplicationError as exc:
                form.add_error(exc.extra.get("field") if exc.extra else None, exc.message)
            else:
                kiosk_services.visit_save(visit, step="ballot", identity=form.cleaned_data)
                return _page(
                    request,
                    {**base, "step": "ballot", "ballots": _ballot_forms(round, visit)},
                    kiosk=kiosk,
                )
        return _page(request, {**base, "step": "identity", "form": form}, kiosk=kiosk)
    if step == "ballot" or (step == "review" and "change" in request.POST):
        ballots = _ballot_forms(round, visit, request.POST if step == "ballot" else None)
        if step == "ballot" and all(form.is_valid() for _, form, _ in ballots):
            choices = {}
            for pot, form, _ in ballots:
                try:
                    choices[str(pot.pk)] = card_services.validate_choices(
                        round=round, pot=pot, choices=form.choices()
                    )
                except ApplicationError as exc:
                    form.add_error(None, exc.message)
            if len(choices) == len(ballots):
                kiosk_services.visit_save(visit, step="review", choices=choices)
                return _page(
                    request,
                    {**base, "step": "review", "review": _review(round, choices)},
                    kiosk=kiosk,
                )
        kiosk_services.visit_save(visit, step="ballot")
        return _page(request, {**base, "step": "ballot", "ballots": ballots}, kiosk=kiosk)
    # step == "review": cast
    identity = card_services.VoterIdentity(
        keys=[], member_ids=[], **{k: data["identity"][k] for k in VoterIdentityForm.base_fields}
    )
    try:
        results = card_services.inperson_ballot_cast(
            round=round,
            identity=identity,
            choices={int(k): v for k, v in data["choices"].items()},
            channel=channel,
            card_id=data.get("card"),
            kiosk=kiosk,
        )
    except ApplicationError as exc:
        kiosk_services.visit_drop(nonce=nonce)
        return _page(
            request,
            {"step": "refused", "message": exc.message, "round": round},
            kiosk=kiosk,
            status=exc.status_code,
        )
    kiosk_services.visit_drop(nonce=nonce)
    # Rendered, not redirected: the receipt codes are never put in a URL, a cookie or a row.
    return render(
        request,
        "voting/inperson_receipt.html",
        {"results": results, "round": round, "kiosk": kiosk},
    )


@never_cache
@sensitive_post_parameters("code", "name", "house", "postcode")
@domain_errors
def card(request):
    """/votes/card/: vote with a polling card code, no account needed."""
    return _voter_flow(request, kiosk=None)


# Kiosk device pages --------------------------------------------------------------------------


def _device_kiosk(request) -> Kiosk:
    return kiosk_services.kiosk_for_token(request.COOKIES.get(KIOSK_COOKIE, ""))


# No CSRF cookie on the shared device (nothing may carry over between voters): the kiosk cookie
# is SameSite=Strict and every step needs the voter's unguessable nonce, which does the same job.
@csrf_exempt
@never_cache
@sensitive_post_parameters("code", "name", "house", "postcode")
@domain_errors
def kiosk(request):
    """/votes/kiosk/: the shared device's voting page."""
    device = _device_kiosk(request)
    refusal = kiosk_services.kiosk_refusal(device)
    if refusal:
        return _page(
            request, {"step": "closed", "message": refusal, "round": device.round}, kiosk=device
        )
    return _voter_flow(request, kiosk=device)


@csrf_exempt
@require_POST
@domain_errors
def kiosk_finish(request):
    """The "Finish" button: drop this voter's visit; the next voter starts clean."""
    _device_kiosk(request)
    kiosk_services.visit_drop(nonce=request.POST.get("visit", ""))
    return redirect("voting:kiosk")


# Trustees' pages ------------------------------------------------------------------------------


def _managed_round(request, pk) -> VoteRound:
    round = selectors.round_get(pk=pk, user=request.user)
    if not can_manage_rounds(request.user, round.neighbourhood):
        raise ForbiddenError("Only the neighbourhood's trustees can do that.")
    return round


@never_cache
@login_required
@domain_errors
def cards_issue(request, pk):
    """Issue polling cards; the PDF is the answer to the form, the only time the codes exist."""
    round = _managed_round(request, pk)
    form = CardIssueForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = card_services.card_batch_issue(
                actor=request.user, round=round, **form.cleaned_data
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            form.add_error(exc.extra.get("field") if exc.extra else None, exc.message)
        else:
            card_services.card_downloaded(actor=request.user, batch=issued.batch)
            url = request.build_absolute_uri(reverse("voting:card"))
            response = HttpResponse(
                polling_cards_pdf(batch=issued.batch, codes=issued.codes, url=url),
                content_type="application/pdf",
            )
            response["Content-Disposition"] = (
                f'attachment; filename="polling-cards-round{round.pk}-{issued.batch.pk}.pdf"'
            )
            return response
    # Codes members asked for by text have a one-card batch each: counted, not listed.
    batches = round.card_batches.filter(created_by__isnull=False)
    used = PollingCard.objects.filter(round=round, used_at__isnull=False).count()
    texted = PollingCard.objects.filter(round=round, issued_by_text=True, sent_at__isnull=False)
    return render(
        request,
        "voting/cards.html",
        {
            "round": round,
            "form": form,
            "batches": batches,
            "used": used,
            "texted": texted.count(),
        },
    )


@never_cache
@login_required
@domain_errors
def kiosks(request, pk):
    """The round's kiosks: open one on this device, or close any from here."""
    round = _managed_round(request, pk)
    form = KioskOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device, token = kiosk_services.kiosk_open(
                actor=request.user, round=round, **form.cleaned_data
            )
        except ForbiddenError:
            raise
        except ApplicationError as exc:
            form.add_error(exc.extra.get("field") if exc.extra else None, exc.message)
        else:
            # The trustee's sign-in must not stay on a shared device: sign out here; the
            # kiosk cookie is the only thing the device keeps.
            logout(request)
            response = redirect("voting:kiosk")
            response.set_cookie(
                KIOSK_COOKIE,
                token,
                expires=device.closes_at,
                httponly=True,
                samesite="Strict",
                secure=settings.SESSION_COOKIE_SECURE,
            )
            return response
    return render(
        request,
        "voting/kiosks.html",
        {"round": round, "form": form, "kiosks": round.kiosks.select_related("opened_by")},
    )


@require_POST
@login_required
@domain_errors
def kiosk_close(request, pk):
    device = get_object_or_404(Kiosk.objects.select_related("round"), pk=pk)
    if not can_manage_rounds(request.user, device.round.neighbourhood):
        raise NotFoundError("There is no such kiosk.")
    kiosk_services.kiosk_close(actor=request.user, kiosk=device)
    messages.success(request, f"The kiosk “{device.label}” is closed. It takes no more votes.")
    return redirect("voting:kiosks", pk=device.round_id)
