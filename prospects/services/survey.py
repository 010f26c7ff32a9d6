"""The yearly residents' survey: opening a wave, answering online, entering paper forms.

One response per member per wave: SurveyParticipation's UniqueConstraint refuses a second,
also when two arrive at once (the loser's insert fails and is turned into a plain message).
No audit event names the member next to an answer (the participation row is the record, as
for ballots); paper entry records which trustee typed it in.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from audit.services import audit_record
from communities.models import Neighbourhood
from communities.permissions import active_membership
from config.errors import ApplicationError, ForbiddenError, StateError

from ..models import QUESTIONS, SurveyParticipation, SurveyResponse, SurveyWave
from ..permissions import (
    can_answer_survey,
    can_enter_paper_survey,
    can_open_survey_wave,
    wave_is_open,
)


class AlreadyAnsweredError(StateError):
    """The member already answered this wave."""


def _checked(answers: dict[str, int]) -> dict[str, int]:
    clean = {}
    for field, question in QUESTIONS:
        value = answers.get(field)
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise ApplicationError(
                f"Answer every question: '{question}' has no answer.", extra={"field": field}
            ) from None
        if not 1 <= number <= 5:
            raise ApplicationError(
                f"'{question}': choose one of the five answers.", extra={"field": field}
            )
        clean[field] = number
    return clean


@transaction.atomic
def survey_wave_open(
    *, actor, neighbourhood: Neighbourhood, year: int, opens_at: dt.datetime, closes_at: dt.datetime
) -> SurveyWave:
    """A trustee opens this year's wave (one per neighbourhood per year)."""
    if not can_open_survey_wave(actor, neighbourhood):
        raise ForbiddenError("Only a trustee may open a survey wave.")
    if opens_at >= closes_at:
        raise ApplicationError("A survey wave must close after it opens.")
    if SurveyWave.objects.filter(neighbourhood=neighbourhood, year=year).exists():
        raise StateError(f"{neighbourhood} already has a {year} survey.")
    wave = SurveyWave.objects.create(
        neighbourhood=neighbourhood, year=year, opens_at=opens_at, closes_at=closes_at
    )
    audit_record(action="prospects.survey_wave_opened", actor=actor, obj=wave)
    return wave


def _record(*, wave: SurveyWave, user, answers: dict[str, int], channel: str, entered_by=None):
    clean = _checked(answers)
    try:
        with transaction.atomic():
            SurveyParticipation.objects.create(
                wave=wave, user=user, channel=channel, entered_by=entered_by
            )
    except IntegrityError:
        raise AlreadyAnsweredError(
            f"This member has already answered the {wave.year} survey: one response each."
        ) from None
    return SurveyResponse.objects.create(wave=wave, **clean)


@transaction.atomic
def survey_respond(*, actor, wave: SurveyWave, answers: dict[str, int]) -> SurveyResponse:
    """A member answers the wave online, once."""
    if not can_answer_survey(actor, wave):
        if not wave_is_open(wave):
            raise StateError("This survey is not open.")
        raise ForbiddenError(f"Only members of {wave.neighbourhood} answer its survey.")
    return _record(wave=wave, user=actor, answers=answers, channel="online")


@transaction.atomic
def survey_paper_enter(
    *, actor, wave: SurveyWave, member, answers: dict[str, int]
) -> SurveyResponse:
    """A trustee types in a member's paper form (the member must be a current member and not
    have answered already)."""
    if not can_enter_paper_survey(actor, wave):
        raise ForbiddenError("Only a trustee may enter paper survey forms while it is open.")
    if active_membership(member, wave.neighbourhood) is None:
        raise ApplicationError(f"That person is not a current member of {wave.neighbourhood}.")
    response = _record(wave=wave, user=member, answers=answers, channel="paper", entered_by=actor)
    audit_record(
        action="prospects.survey_paper_entered",
        actor=actor,
        obj=wave,
        changes={"year": wave.year},
    )
    return response
