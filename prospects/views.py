"""The public prospects page, its CSV download, and the survey forms."""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from communities.models import Membership
from communities.permissions import active_membership
from communities.selectors import neighbourhood_get
from config.errors import ApplicationError, ForbiddenError
from proposals.models import Theme

from . import services
from .charts import Line, bar_chart, line_chart
from .forms import SurveyForm
from .models import QUESTIONS, SurveyParticipation, SurveyWave
from .permissions import can_enter_paper_survey, can_open_survey_wave
from .selectors import neighbourhood_prospects

THEMES = {**dict(Theme.choices), "running_costs": "Running costs", "other": "Other"}


def _pounds(pence: int) -> str:
    return f"£{pence / 100:,.0f}"


def prospects_detail(request: HttpRequest, slug: str) -> HttpResponse:
    nb = neighbourhood_get(user=request.user, slug=slug)
    data = neighbourhood_prospects(neighbourhood=nb)
    charts = []
    for item in data.indicators:
        lines = [
            Line(f"{peer.name}", "chart-peer", item.group.get(peer.code, {}))
            for peer in data.comparisons
        ]
        lines += [
            Line("Comparison group (mean)", "chart-group", item.group_mean),
            Line(nb.name, "chart-area", item.area),
        ]
        svg = line_chart(
            title=f"{item.indicator.name}: {nb.name} against its comparison group",
            lines=[line for line in lines if line.points],
            baseline=data.baseline,
        )
        charts.append({"item": item, "svg": mark_safe(svg)})  # noqa: S308 - built with escape()
    survey_charts = []
    shown = [w for w in data.survey if not w["suppressed"]]
    for field, question in QUESTIONS:
        points = {
            w["year"]: q["high_percent"]
            for w in shown
            for q in w["questions"]
            if q["field"] == field
        }
        if points:
            svg = line_chart(
                title=f"{question} Share answering 4 or 5, by wave",
                lines=[Line("Share answering 4 or 5 (%)", "chart-area", points)],
            )
            survey_charts.append({"question": question, "svg": mark_safe(svg)})  # noqa: S308
    years = sorted({year for year, _, _ in data.spend})
    spend_rows = [
        {
            "year": year,
            "themes": [(THEMES.get(t, t), p) for y, t, p in data.spend if y == year],
            "total": sum(p for y, _, p in data.spend if y == year),
        }
        for year in years
    ]
    spend_svg = bar_chart(
        title=f"Paid out from {nb.name}'s fund, by year",
        bars=[(str(r["year"]), r["total"] / 100) for r in spend_rows],
    )
    return render(
        request,
        "prospects/detail.html",
        {
            "nb": nb,
            "data": data,
            "charts": charts,
            "survey_charts": survey_charts,
            "spend_rows": spend_rows,
            "spend_svg": mark_safe(spend_svg),  # noqa: S308 - built with escape()
            "min_group": 10,
        },
    )


class _SafeWriter:
    """csv.writer that defuses text a spreadsheet would run as a formula (a neighbourhood's
    name is typed by its registrant): such a cell gets a leading apostrophe."""

    def __init__(self, stream) -> None:
        self.writer = csv.writer(stream)

    def writerow(self, row: list) -> None:
        self.writer.writerow(
            [
                f"'{cell}" if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@") else cell
                for cell in row
            ]
        )


def prospects_csv(request: HttpRequest, slug: str) -> HttpResponse:
    """Every series on the page, one row per value (long format)."""
    nb = neighbourhood_get(user=request.user, slug=slug)
    data = neighbourhood_prospects(neighbourhood=nb)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="prospects-{nb.slug}.csv"'
    writer = _SafeWriter(response)
    writer.writerow(["section", "series", "area", "area_code", "year", "value", "unit", "note"])
    codes = ",".join(u.code for u in data.units)
    for item in data.indicators:
        ind = item.indicator
        for year, value in item.area.items():
            writer.writerow(["indicator", ind.key, nb.name, codes, year, value, ind.unit, ""])
        for year, value in item.group_mean.items():
            writer.writerow(
                ["indicator", ind.key, "comparison group mean", "", year, value, ind.unit, ""]
            )
        for peer in data.comparisons:
            for year, value in sorted(item.group.get(peer.code, {}).items()):
                writer.writerow(
                    ["indicator", ind.key, peer.name, peer.code, year, value, ind.unit, ""]
                )
        if item.did:
            d = item.did
            writer.writerow(
                [
                    "difference_in_differences",
                    ind.key,
                    nb.name,
                    codes,
                    d.after,
                    d.did,
                    ind.unit,
                    f"since {d.baseline}; comparison areas' changes {d.group_low:.4g} to "
                    f"{d.group_high:.4g}",
                ]
            )
    for wave in data.survey:
        if wave["suppressed"]:
            writer.writerow(
                [
                    "survey",
                    "",
                    nb.name,
                    "",
                    wave["year"],
                    "",
                    "",
                    "suppressed: fewer than 10 answers",
                ]
            )
            continue
        writer.writerow(["survey", "answers", nb.name, "", wave["year"], wave["answers"], "", ""])
        for q in wave["questions"]:
            writer.writerow(
                ["survey", f"{q['field']}_mean", nb.name, "", wave["year"], q["mean"], "1 to 5", ""]
            )
            writer.writerow(
                [
                    "survey",
                    f"{q['field']}_4_or_5",
                    nb.name,
                    "",
                    wave["year"],
                    q["high_percent"],
                    "percent",
                    "",
                ]
            )
    for year, theme, pence in data.spend:
        writer.writerow(["spend", theme, nb.name, "", year, pence, "pence", "paid out"])
    return response


def _open_wave(nb) -> SurveyWave | None:
    now = timezone.now()
    return SurveyWave.objects.filter(neighbourhood=nb, opens_at__lte=now, closes_at__gt=now).first()


@login_required
def survey_answer(request: HttpRequest, slug: str) -> HttpResponse:
    nb = neighbourhood_get(user=request.user, slug=slug)
    wave = _open_wave(nb)
    done = (
        wave is not None
        and SurveyParticipation.objects.filter(wave=wave, user=request.user).exists()
    )
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and wave is not None and form.is_valid():
        try:
            services.survey_respond(actor=request.user, wave=wave, answers=form.answers())
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Thank you: your answers are counted.")
            return redirect("prospects:detail", slug=nb.slug)
    return render(
        request,
        "prospects/survey.html",
        {
            "nb": nb,
            "wave": wave,
            "form": form,
            "done": done,
            "member": active_membership(request.user, nb) is not None,
            "can_open": wave is None and can_open_survey_wave(request.user, nb),
            "can_enter_paper": wave is not None and can_enter_paper_survey(request.user, wave),
        },
    )


@login_required
def survey_paper(request: HttpRequest, slug: str) -> HttpResponse:
    nb = neighbourhood_get(user=request.user, slug=slug)
    wave = _open_wave(nb)
    if wave is None or not can_enter_paper_survey(request.user, wave):
        raise ForbiddenError("Only a trustee may enter paper survey forms while a survey is open.")
    members = (
        get_user_model()
        .objects.filter(
            pk__in=Membership.objects.active().filter(neighbourhood=nb).values("user_id")
        )
        .order_by("pk")
    )
    form = SurveyForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_paper_enter(
                actor=request.user,
                wave=wave,
                member=form.cleaned_data["member"],
                answers=form.answers(),
            )
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Paper form entered.")
            return redirect("prospects:survey_paper", slug=nb.slug)
    return render(
        request,
        "prospects/survey.html",
        {"nb": nb, "wave": wave, "form": form, "paper": True, "member": True},
    )


SURVEY_WEEKS = 8


@require_POST
@login_required
def survey_open(request: HttpRequest, slug: str) -> HttpResponse:
    """A trustee opens this year's wave, for SURVEY_WEEKS weeks from now."""
    nb = neighbourhood_get(user=request.user, slug=slug)
    now = timezone.now()
    try:
        services.survey_wave_open(
            actor=request.user,
            neighbourhood=nb,
            year=now.year,
            opens_at=now,
            closes_at=now + timezone.timedelta(weeks=SURVEY_WEEKS),
        )
    except ApplicationError as exc:
        if isinstance(exc, ForbiddenError):
            raise
        messages.error(request, exc.message)
    else:
        messages.success(request, f"The {now.year} survey is open for {SURVEY_WEEKS} weeks.")
    return redirect("prospects:survey", slug=nb.slug)
