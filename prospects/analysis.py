"""The arithmetic of prospects, with no Django import: population-weighted aggregation,
choosing matched comparison areas (standardised nearest baseline) and difference-in-differences.

Everything is deterministic: ties in distance are broken by the area's code, so the same data
always gives the same comparison group.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# ONS code prefixes by unit type (England, Wales, Scotland, Northern Ireland).
UNIT_PREFIXES = {
    "ward": ("E05", "W05", "S13", "N08"),
    "lsoa": ("E01", "W01", "S01", "N21"),
    "msoa": ("E02", "W02", "S02"),
    "lad": ("E06", "E07", "E08", "E09", "W06", "S12", "N09"),
}


def unit_type_of(code: str) -> str | None:
    for unit_type, prefixes in UNIT_PREFIXES.items():
        if code[:3] in prefixes:
            return unit_type
    return None


def weighted_mean(pairs: Iterable[tuple[float, float]]) -> float | None:
    """The mean of values weighted by weights; None if nothing has weight."""
    total = weight_sum = 0.0
    for value, weight in pairs:
        total += value * weight
        weight_sum += weight
    return total / weight_sum if weight_sum > 0 else None


def nearest(
    target: Mapping[str, float],
    candidates: Mapping[str, Mapping[str, float]],
    *,
    k: int = 5,
) -> list[tuple[str, float]]:
    """The k candidates nearest the target on the indicators in `target`, each standardised
    by the candidates' mean and standard deviation (so a percentage and a count weigh the
    same); Euclidean distance; ties broken by code. Candidates missing any indicator are left
    out; an indicator with no spread among candidates cannot separate them and is skipped."""
    keys = sorted(target)
    complete = {
        code: values for code, values in candidates.items() if all(key in values for key in keys)
    }
    if not complete:
        return []
    scales = {}
    for key in keys:
        column = [values[key] for values in complete.values()]
        mean = sum(column) / len(column)
        sd = math.sqrt(sum((x - mean) ** 2 for x in column) / len(column))
        if sd > 0:
            scales[key] = sd
    distances = []
    for code, values in complete.items():
        squared = sum(((values[key] - target[key]) / sd) ** 2 for key, sd in scales.items())
        distances.append((math.sqrt(squared), code))
    distances.sort()
    return [(code, distance) for distance, code in distances[:k]]


@dataclass(frozen=True)
class DiD:
    """Difference-in-differences between a baseline year and a later year."""

    baseline: int
    after: int
    area_change: float  # the neighbourhood's change
    group_change: float  # the comparison group's mean change
    did: float  # area_change - group_change
    group_low: float  # the smallest and largest change among the comparison areas
    group_high: float
    group_sd: float  # their standard deviation

    @property
    def better(self) -> bool | None:
        return None if self.did == 0 else self.did > 0


def difference_in_differences(
    area: Mapping[int, float],
    group: Mapping[str, Mapping[int, float]],
    *,
    baseline: int,
    after: int,
) -> DiD | None:
    """(area after - area at baseline) - mean over the group of (its after - its baseline).
    None unless the area and every comparison area have both years."""
    if baseline not in area or after not in area or not group:
        return None
    changes = []
    for series in group.values():
        if baseline not in series or after not in series:
            return None
        changes.append(series[after] - series[baseline])
    area_change = area[after] - area[baseline]
    group_change = sum(changes) / len(changes)
    mean = group_change
    sd = math.sqrt(sum((c - mean) ** 2 for c in changes) / len(changes))
    return DiD(
        baseline=baseline,
        after=after,
        area_change=area_change,
        group_change=group_change,
        did=area_change - group_change,
        group_low=min(changes),
        group_high=max(changes),
        group_sd=sd,
    )
