"""The most a proposal may ask for: an absolute cap, lowered to the neighbourhood's fund.

The funds app sits above this one, so it registers a function here (in its AppConfig.ready)
instead of being imported: `register_fund_ceiling(lambda neighbourhood: pence or None)`.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings

# The Community Wealth Fund's upper figure for one neighbourhood over ten years.
DEFAULT_MAX_PENCE = 250_000_000

_fund_ceilings: list[Callable] = []


def register_fund_ceiling(func: Callable) -> None:
    """func(neighbourhood) -> the fund's total in pence, or None when it has no fund yet."""
    if func not in _fund_ceilings:
        _fund_ceilings.append(func)


def cost_ceiling_pence(neighbourhood) -> int:
    ceiling = int(getattr(settings, "COMMONPURSE", {}).get("PROPOSAL_MAX_PENCE", DEFAULT_MAX_PENCE))
    for func in _fund_ceilings:
        value = func(neighbourhood)
        if value is not None:
            ceiling = min(ceiling, int(value))
    return ceiling
