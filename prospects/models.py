"""Declared indicators and their values per ONS unit and year, unit shares, the member survey."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

# The declared indicator whose values weight the aggregation of a neighbourhood's units.
POPULATION_KEY = "population"


class Indicator(models.Model):
    """A declared series (data, not code): what it measures, its unit, which way is better."""

    key = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    unit = models.CharField(max_length=60, help_text="e.g. 'percent of residents aged 16-64'")
    higher_is_better = models.BooleanField()
    matching = models.BooleanField(
        default=False, help_text="Used to choose comparison areas (nearest baseline)."
    )
    source = models.CharField(max_length=300)
    licence = models.CharField(max_length=300)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "key"]

    def __str__(self) -> str:
        return self.name


class IndicatorValue(models.Model):
    """One indicator's value for one ONS unit in one year (replaced by a re-import)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    code = models.CharField(max_length=9)
    period = models.PositiveSmallIntegerField(help_text="Year")
    value = models.FloatField()
    denominator = models.FloatField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period", "code"], name="indicator_value_uniq"
            ),
        ]
        indexes = [models.Index(fields=["code", "indicator", "period"], name="indvalue_code_idx")]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.code} {self.period}: {self.value}"


class IndicatorRelease(models.Model):
    """Where one indicator's values for one year came from (the source and licence columns)."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="releases")
    period = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=300)
    licence = models.CharField(max_length=300)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["indicator", "period"]
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period"], name="indicator_release_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.period}: {self.source}"


class UnitShare(models.Model):
    """The share of an ONS unit's population that lives inside a neighbourhood (100 when absent).

    A unit only partly inside counts with that share of its population in the aggregate, and
    the prospects page says so.
    """

    neighbourhood = models.ForeignKey(
        "communities.Neighbourhood", on_delete=models.CASCADE, related_name="unit_shares"
    )
    code = models.CharField(max_length=9)
    percent = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["neighbourhood", "code"], name="unit_share_uniq"),
            models.CheckConstraint(
                condition=Q(percent__gte=1, percent__lte=100), name="unit_share_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.percent}% inside"


class SurveyWave(models.Model):
    """One year's residents' survey in a neighbourhood."""

    neighbourhood = models.ForeignKey(
        "communities.Neighbourhood", on_delete=models.CASCADE, related_name="survey_waves"
    )
    year = models.PositiveSmallIntegerField()
    opens_at = models.DateTimeField()
    closes_at = models.DateTimeField()

    class Meta:
        ordering = ["neighbourhood", "year"]
        constraints = [
            models.UniqueConstraint(fields=["neighbourhood", "year"], name="survey_wave_year_uniq"),
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")), name="survey_wave_window"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.neighbourhood} survey {self.year}"


class SurveyParticipation(models.Model):
    """That a member answered a wave: one per member per wave (the database refuses a second).

    Kept apart from the answers (SurveyResponse has no member), like a ballot and its
    participation row, so the answers are not stored next to a name.
    """

    class Channel(models.TextChoices):
        ONLINE = "online", "Online"
        PAPER = "paper", "Paper, entered by a trustee"

    wave = models.ForeignKey(SurveyWave, on_delete=models.CASCADE, related_name="participations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["wave", "user"], name="survey_one_response_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.wave}: answered ({self.channel})"


# (field, question) in the order asked; every answer is 1 (lowest) to 5 (highest).
QUESTIONS = [
    ("belonging", "How strongly do you feel you belong to this neighbourhood?"),
    ("satisfaction", "How satisfied are you with this neighbourhood as a place to live?"),
    ("influence", "How confident are you that residents can influence decisions here?"),
    ("hope", "How hopeful are you about this neighbourhood's future?"),
    ("places_to_meet", "How often do you use local places to meet other people?"),
]
SCALE = {
    "places_to_meet": [
        (1, "Never"),
        (2, "Less than once a month"),
        (3, "Monthly"),
        (4, "Weekly"),
        (5, "Most days"),
    ],
}
DEFAULT_SCALE = [
    (1, "Not at all"),
    (2, "Not very"),
    (3, "Neither / unsure"),
    (4, "Fairly"),
    (5, "Very"),
]


def _answer() -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField()


class SurveyResponse(models.Model):
    """One member's answers, without the member (see SurveyParticipation)."""

    wave = models.ForeignKey(SurveyWave, on_delete=models.CASCADE, related_name="responses")
    belonging = _answer()
    satisfaction = _answer()
    influence = _answer()
    hope = _answer()
    places_to_meet = _answer()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(**{f"{field}__gte": 1, f"{field}__lte": 5}),
                name=f"survey_{field}_range",
            )
            for field, _ in QUESTIONS
        ]

    def __str__(self) -> str:
        return f"{self.wave}: response {self.pk}"
