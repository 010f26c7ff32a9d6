"""Writes of the prospects app (indicators, unit shares, the member survey)."""

from .indicators import (
    IndicatorImportResult,
    indicator_declarations_import,
    indicators_import,
    unit_share_set,
)
from .survey import survey_paper_enter, survey_respond, survey_wave_open

__all__ = [
    "IndicatorImportResult",
    "indicator_declarations_import",
    "indicators_import",
    "survey_paper_enter",
    "survey_respond",
    "survey_wave_open",
    "unit_share_set",
]
