"""Who may answer the residents' survey and who may enter paper answers."""

from __future__ import annotations

from django.utils import timezone

from communities.permissions import active_membership, is_trustee

from .models import SurveyWave


def wave_is_open(wave: SurveyWave) -> bool:
    return wave.opens_at <= timezone.now() < wave.closes_at


def can_answer_survey(user, wave: SurveyWave) -> bool:
    """A current member of the neighbourhood, while the wave is open."""
    return wave_is_open(wave) and active_membership(user, wave.neighbourhood) is not None


def can_enter_paper_survey(user, wave: SurveyWave) -> bool:
    """A trustee (with two-factor) types in paper forms while the wave is open."""
    return wave_is_open(wave) and is_trustee(user, wave.neighbourhood)


def can_open_survey_wave(user, neighbourhood) -> bool:
    return is_trustee(user, neighbourhood)
