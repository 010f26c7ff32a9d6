"""Reads of prospects: a neighbourhood's indicators against its matched comparison group, the
survey's aggregates (groups under 10 suppressed) and spend by theme, as one bundle for the
page and the CSV download."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Avg, Case, Count, IntegerField, Sum, When

from communities.models import AreaUnit, GeographyUnit, Neighbourhood
from funds.models import Fund
from funds.selectors import spend_by_theme_and_year

from .analysis import DiD, difference_in_differences, nearest, unit_type_of, weighted_mean
from .models import (
    POPULATION_KEY,
    QUESTIONS,
    Indicator,
    IndicatorRelease,
    IndicatorValue,
    SurveyResponse,
    UnitShare,
)

DEFAULT_K = 5
MIN_SURVEY_GROUP = 10  # fewer answers than this are never shown (page or CSV)
CAUTION = (
    "This is a comparison, not proof of cause. The comparison areas were like this "
    "neighbourhood when its fund started, but other things differ too, and small areas' "
    "figures move from year to year by chance."
)


@dataclass(frozen=True)
class UnitWeight:
    code: str
    percent: int  # share of the unit's population inside the neighbourhood

    @property
    def partly(self) -> bool:
        return self.percent < 100


@dataclass
class IndicatorProspect:
    indicator: Indicator
    area: dict[int, float]
    group_mean: dict[int, float]
    group: dict[str, dict[int, float]]
    did: DiD | None
    sources: list[IndicatorRelease] = field(default_factory=list)


@dataclass
class Comparison:
    code: str
    name: str
    distance: float


@dataclass
class Prospects:
    neighbourhood: Neighbourhood
    start_year: int | None
    start_reason: str
    baseline: int | None
    unit_type: str | None
    units: list[UnitWeight]
    equal_weights: bool  # some unit had no population figure: units weighted equally
    k: int
    matching: list[Indicator]
    comparisons: list[Comparison]
    indicators: list[IndicatorProspect]
    survey: list[dict]
    spend: list[tuple[int, str, int]]
    caution: str = CAUTION


def _start(neighbourhood: Neighbourhood) -> tuple[int | None, str]:
    """The fund's start year (the earliest fund), or the year residents started deciding."""
    fund = Fund.objects.filter(neighbourhood=neighbourhood).order_by("starts_on").first()
    if fund is not None:
        return fund.starts_on.year, f"{fund.name} started on {fund.starts_on:%-d %B %Y}"
    when = neighbourhood.activated_at or neighbourhood.verified_at
    if when is not None:
        return when.year, f"{neighbourhood.name} was verified in {when.year} (no fund yet)"
    return None, "no fund yet"


def _aggregate(
    values: dict[str, dict[int, float]],
    population: dict[str, dict[int, float]],
    units: list[UnitWeight],
    equal: bool,
) -> dict[int, float]:
    """Population-weighted mean per year of the units' values (population x share inside)."""
    years = sorted({year for code in values for year in values[code]})
    series = {}
    for year in years:
        pairs = []
        for unit in units:
            if year not in values.get(unit.code, {}):
                continue
            if equal:
                weight = 1.0
            else:
                pops = population.get(unit.code, {})
                # This year's population, else the nearest year's.
                near = min(pops, key=lambda y: (abs(y - year), y))
                weight = pops[near]
            pairs.append((values[unit.code][year], weight * unit.percent / 100))
        if len(pairs) == len(units):
            mean = weighted_mean(pairs)
            if mean is not None:
                series[year] = mean
    return series


def neighbourhood_prospects(*, neighbourhood: Neighbourhood, k: int = DEFAULT_K) -> Prospects:
    """Everything the prospects page shows. The comparison group: k areas of the same unit
    type, not inside this neighbourhood and not inside any funded one, nearest on the
    standardised baseline of the matching indicators; the baseline year is the last year with
    figures before the fund's start year. Reproducible: same data, same group."""
    start_year, start_reason = _start(neighbourhood)
    area_units = list(AreaUnit.objects.filter(neighbourhood=neighbourhood).order_by("code"))
    shares = dict(
        UnitShare.objects.filter(neighbourhood=neighbourhood).values_list("code", "percent")
    )
    units = [UnitWeight(u.code, shares.get(u.code, 100)) for u in area_units]
    codes = [u.code for u in units]
    unit_type = unit_type_of(codes[0]) if codes else None
    indicators = list(Indicator.objects.all())
    by_id = {i.pk: i for i in indicators}

    own: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    for ind_id, code, year, value in IndicatorValue.objects.filter(code__in=codes).values_list(
        "indicator_id", "code", "period", "value"
    ):
        own[by_id[ind_id].key][code][year] = value
    population = own.get(POPULATION_KEY, {})
    equal = any(not population.get(code) for code in codes)
    area = {
        i.key: _aggregate(own.get(i.key, {}), population, units, equal)
        for i in indicators
        if i.key != POPULATION_KEY
    }

    matching = [i for i in indicators if i.matching]
    baseline = None
    if start_year is not None:
        years = {y for i in matching for y in area.get(i.key, {}) if y < start_year}
        baseline = max(years) if years else None

    comparisons: list[Comparison] = []
    group_values: dict[str, dict[str, dict[int, float]]] = defaultdict(lambda: defaultdict(dict))
    if baseline is not None and matching:
        target = {i.key: area[i.key][baseline] for i in matching if baseline in area[i.key]}
        funded = set(
            AreaUnit.objects.filter(neighbourhood__funds__isnull=False).values_list(
                "code", flat=True
            )
        )
        excluded = funded | set(codes)
        candidates: dict[str, dict[str, float]] = defaultdict(dict)
        rows = IndicatorValue.objects.filter(
            indicator__in=[i for i in matching if i.key in target],
            period=baseline,
        ).values_list("indicator_id", "code", "value")
        for ind_id, code, value in rows:
            if code not in excluded and unit_type_of(code) == unit_type:
                candidates[code][by_id[ind_id].key] = value
        chosen = nearest(target, candidates, k=k)
        names = dict(
            GeographyUnit.objects.filter(code__in=[c for c, _ in chosen])
            .order_by("code", "vintage")
            .values_list("code", "name")
        )
        comparisons = [Comparison(c, names.get(c, c), d) for c, d in chosen]
        for ind_id, code, year, value in IndicatorValue.objects.filter(
            code__in=[c.code for c in comparisons]
        ).values_list("indicator_id", "code", "period", "value"):
            group_values[by_id[ind_id].key][code][year] = value

    releases = defaultdict(list)
    for release in IndicatorRelease.objects.order_by("indicator_id", "period"):
        releases[release.indicator_id].append(release)

    prospects = []
    for indicator in indicators:
        if indicator.key == POPULATION_KEY:
            continue
        series = area[indicator.key]
        group = {c.code: dict(group_values[indicator.key].get(c.code, {})) for c in comparisons}
        group_mean = {}
        if group:
            shared = set.intersection(*(set(s) for s in group.values()))
            group_mean = {y: sum(s[y] for s in group.values()) / len(group) for y in shared}
        did = None
        if baseline is not None and group_mean:
            before = [y for y in series if y <= baseline and y in group_mean]
            after = [y for y in series if y > baseline and y in group_mean]
            if before and after:
                did = difference_in_differences(
                    series, group, baseline=max(before), after=max(after)
                )
        prospects.append(
            IndicatorProspect(
                indicator=indicator,
                area=dict(sorted(series.items())),
                group_mean=dict(sorted(group_mean.items())),
                group=group,
                did=did,
                sources=releases.get(indicator.pk, []),
            )
        )
    return Prospects(
        neighbourhood=neighbourhood,
        start_year=start_year,
        start_reason=start_reason,
        baseline=baseline,
        unit_type=unit_type,
        units=units,
        equal_weights=equal,
        k=k,
        matching=matching,
        comparisons=comparisons,
        indicators=prospects,
        survey=survey_summary(neighbourhood=neighbourhood),
        spend=spend_by_theme_and_year(neighbourhood=neighbourhood),
    )


def survey_summary(*, neighbourhood: Neighbourhood) -> list[dict]:
    """Per wave: the number of answers and, per question, the mean (1-5) and the share
    answering 4 or 5. A wave with fewer than MIN_SURVEY_GROUP answers shows neither its
    figures nor its count ("suppressed")."""
    aggregates = {}
    for field_name, _ in QUESTIONS:
        aggregates[f"{field_name}_mean"] = Avg(field_name)
        aggregates[f"{field_name}_high"] = Sum(
            Case(When(**{f"{field_name}__gte": 4}, then=1), default=0, output_field=IntegerField())
        )
    rows = (
        SurveyResponse.objects.filter(wave__neighbourhood=neighbourhood)
        .values("wave__year")
        .annotate(answers=Count("id"), **aggregates)
        .order_by("wave__year")
    )
    waves = []
    for row in rows:
        n = row["answers"]
        if n < MIN_SURVEY_GROUP:
            waves.append({"year": row["wave__year"], "suppressed": True})
            continue
        waves.append(
            {
                "year": row["wave__year"],
                "suppressed": False,
                "answers": n,
                "questions": [
                    {
                        "field": f,
                        "question": q,
                        "mean": float(row[f"{f}_mean"]),
                        "high_percent": 100 * row[f"{f}_high"] / n,
                    }
                    for f, q in QUESTIONS
                ],
            }
        )
    return waves
