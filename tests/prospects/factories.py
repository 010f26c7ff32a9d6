"""Helpers for prospects tests: CSV files in memory, declared indicators, a funded area."""

from __future__ import annotations

import datetime as dt
import io

from funds.models import Fund, Organisation
from prospects.services import indicator_declarations_import, indicators_import

DECLARATIONS = """key,name,unit,higher_is_better,matching,source,licence
population,Residents,people,yes,no,ONS mid-year estimates,OGL v3
employment_rate,Employment rate,percent,yes,yes,ONS APS,OGL v3
claimant_rate,Claimant count,percent,no,yes,ONS claimant count,OGL v3
"""
HEADER = "code,indicator,period,value,denominator,source,licence\n"


def csv_bytes(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def declare() -> None:
    indicator_declarations_import(stream=csv_bytes(DECLARATIONS))


def load(rows: list[tuple], **kwargs):
    """Import rows (code, indicator, period, value[, denominator]) in the long format."""
    lines = [HEADER]
    for row in rows:
        code, key, period, value, *rest = row
        denominator = rest[0] if rest else ""
        lines.append(f"{code},{key},{period},{value},{denominator},Test source,OGL v3\n")
    return indicators_import(stream=csv_bytes("".join(lines)), **kwargs)


def fund_for(neighbourhood, *, starts_on=dt.date(2021, 1, 1)) -> Fund:
    funder, _ = Organisation.objects.get_or_create(
        org_id="GB-CHC-1000001", defaults={"name": "Funder", "kind": "funder"}
    )
    holder, _ = Organisation.objects.get_or_create(
        org_id="GB-CHC-1000002", defaults={"name": "Holder", "kind": "fund_holder"}
    )
    return Fund.objects.create(
        name=f"{neighbourhood.name} fund",
        neighbourhood=neighbourhood,
        funder=funder,
        holder=holder,
        total_committed_pence=100_000_00,
        starts_on=starts_on,
        ends_on=starts_on.replace(year=starts_on.year + 10),
        status=Fund.Status.ACTIVE,
    )
