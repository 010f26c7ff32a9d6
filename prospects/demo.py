"""Demo data: declared indicators, a SYNTHETIC sample series for the demo wards and 16
synthetic comparison wards, and this year's residents' survey in Hollin Bank (answered by its
nine demo members: fewer than 10, so the page shows it suppressed).

The sample file runs to 2035; the demo loads only the years up to this one, so its figures
end where the calendar does. Idempotent: each block runs only if what it makes is missing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.utils import timezone

from communities.models import GeographyUnit, Membership, Neighbourhood
from communities.services import geography_import

from . import services
from .models import Indicator, IndicatorRelease, SurveyWave

SAMPLE_DATA = Path(__file__).resolve().parent / "sample_data"
DECLARATIONS = SAMPLE_DATA / "indicators_declared.csv"
VALUES = SAMPLE_DATA / "indicators_SYNTHETIC_demo.csv"
GEOGRAPHY = SAMPLE_DATA / "geography_SYNTHETIC_comparison_wards.csv"
LAST_SAMPLE_YEAR = 2035


def seed(*, users: dict, stdout=None) -> None:
    write = stdout.write if stdout else (lambda _msg: None)
    admin = users["admin@example.org"]
    trustee = users["trustee@example.org"]
    if not GeographyUnit.objects.filter(code="E05099101").exists():
        with open(GEOGRAPHY, "rb") as f:
            geography_import(stream=f, actor=admin)
    if not Indicator.objects.exists():
        with open(DECLARATIONS, "rb") as f:
            services.indicator_declarations_import(stream=f, actor=admin)
    year = min(timezone.now().year, LAST_SAMPLE_YEAR)
    if not IndicatorRelease.objects.filter(period=year).exists():
        with open(VALUES, "rb") as f:
            result = services.indicators_import(stream=f, actor=admin, max_period=year)
        write(f"  Synthetic indicators: {result.created:,} values up to {year}")

    nb = Neighbourhood.objects.filter(slug="hollin-bank").first()
    if nb is not None and not SurveyWave.objects.filter(neighbourhood=nb).exists():
        now = timezone.now()
        wave = services.survey_wave_open(
            actor=trustee,
            neighbourhood=nb,
            year=now.year,
            opens_at=now - dt.timedelta(days=30),
            closes_at=now + dt.timedelta(days=60),
        )
        members = Membership.objects.active().filter(neighbourhood=nb).select_related("user")
        count = 0
        for i, membership in enumerate(members.order_by("pk")):
            if membership.user == users["resident@example.org"]:
                continue  # left for the resident to answer in the demo
            answer = 2 + (i % 3)
            services.survey_respond(
                actor=membership.user,
                wave=wave,
                answers={
                    "belonging": answer + 1,
                    "satisfaction": answer,
                    "influence": answer,
                    "hope": answer + 1,
                    "places_to_meet": answer - 1,
                },
            )
            count += 1
        write(f"  Hollin Bank {now.year} survey open: {count} answers so far (under 10: hidden)")
