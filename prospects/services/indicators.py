"""Importing indicator declarations and values (the documented long format, docs/prospects.md).

The values file streams row by row into a staging table (bounded memory whatever its size),
then three set-based statements apply it: for every (indicator, year) the file contains, the
file's rows replace what was there (new rows inserted, changed rows updated, rows the file
no longer has deleted). Rows that did not change are not touched, so importing the same file
again changes nothing. One transaction: a bad line anywhere raises an error naming the line
and nothing is changed (the same rule as the postcode import).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import BinaryIO

from django.db import connection, transaction

from audit.services import audit_record
from communities.models import Neighbourhood
from communities.permissions import can_use_admin_powers
from communities.services.reference import (
    UNIT_CODE_RE,
    YEAR_RE,
    ImportFileError,
    Progress,
    _cell,
    _reader,
    _rows,
    _tell,
)
from config.errors import ApplicationError, ForbiddenError

from ..models import Indicator, IndicatorRelease, IndicatorValue, UnitShare

VALUE_COLUMNS = {
    "code": re.compile(r"code|geography_code|area_code|geography code"),
    "indicator": re.compile(r"indicator|measure"),
    "period": re.compile(r"period|year|date"),
    "value": re.compile(r"value|obs_value"),
    "denominator": re.compile(r"denominator"),
    "source": re.compile(r"source"),
    "licence": re.compile(r"licen[cs]e"),
}
VALUE_REQUIRED = ("code", "indicator", "period", "value")

DECLARATION_COLUMNS = {
    "key": re.compile(r"key|indicator"),
    "name": re.compile(r"name"),
    "unit": re.compile(r"unit"),
    "higher_is_better": re.compile(r"higher_is_better"),
    "matching": re.compile(r"matching"),
    "source": re.compile(r"source"),
    "licence": re.compile(r"licen[cs]e"),
}
DECLARATION_REQUIRED = ("key", "name", "unit", "higher_is_better", "source", "licence")
KEY_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,59}")
YES = {"1", "true", "yes", "y", "t"}
NO = {"0", "false", "no", "n", "f", ""}
STAGE = "cp_indicator_load"


@dataclass
class IndicatorImportResult:
    rows: int
    created: int
    updated: int
    deleted: int
    unchanged: int
    periods: int

    @property
    def changed(self) -> int:
        return self.created + self.updated + self.deleted


def _flag(line: int, value: str, column: str) -> bool:
    value = value.lower()
    if value not in YES | NO:
        raise ImportFileError(f"Line {line}: {column} '{value}' is not yes or no.")
    return value in YES


@transaction.atomic
def indicator_declarations_import(*, stream: BinaryIO, actor=None) -> int:
    """Declare indicators (key, name, unit, higher_is_better, matching, source, licence):
    a new key adds one, a known key updates its text. Small files; all or nothing."""
    reader, columns = _reader(stream, DECLARATION_COLUMNS, "indicator declarations")
    missing = [c for c in DECLARATION_REQUIRED if c not in columns]
    if missing:
        raise ImportFileError(
            f"The indicator declarations file has no {', '.join(missing)} column. The first "
            f"line must name the columns: {', '.join(DECLARATION_COLUMNS)}."
        )
    count = 0
    for line, row in _rows(reader, "indicator declarations"):
        key = _cell(row, columns, "key").lower()
        if not KEY_RE.fullmatch(key):
            raise ImportFileError(
                f"Line {line}: '{key}' is not an indicator key (lower case letters, digits, "
                "_ and -)."
            )
        fields = {f: _cell(row, columns, f) for f in ("name", "unit", "source", "licence")}
        for field, value in fields.items():
            if not value:
                raise ImportFileError(f"Line {line}: the {field} of '{key}' is missing.")
        Indicator.objects.update_or_create(
            key=key,
            defaults={
                **{f: v[:300] for f, v in fields.items()},
                "name": fields["name"][:200],
                "unit": fields["unit"][:60],
                "higher_is_better": _flag(
                    line, _cell(row, columns, "higher_is_better"), "higher_is_better"
                ),
                "matching": _flag(line, _cell(row, columns, "matching"), "matching"),
                "position": count,
            },
        )
        count += 1
    audit_record(
        action="prospects.indicators_declared",
        actor=actor,
        object_type="prospects.indicator",
        changes={"rows": count},
    )
    return count


def _number(line: int, raw: str, column: str, *, optional: bool = False) -> float | None:
    if not raw and optional:
        return None
    try:
        number = float(raw.replace(",", ""))
    except ValueError:
        raise ImportFileError(f"Line {line}: {column} '{raw}' is not a number.") from None
    if not math.isfinite(number):
        raise ImportFileError(f"Line {line}: {column} '{raw}' is not a finite number.")
    if column == "denominator" and number <= 0:
        raise ImportFileError(f"Line {line}: the denominator must be more than 0.")
    return number


def _create_stage(cursor) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
    on_commit = " ON COMMIT DROP" if connection.vendor == "postgresql" else ""
    real = "double precision" if connection.vendor == "postgresql" else "real"
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGE} (indicator_id bigint NOT NULL, period integer NOT "
        f"NULL, code varchar(9) NOT NULL, value {real} NOT NULL, denominator {real} NULL, "
        f"PRIMARY KEY (indicator_id, period, code)){on_commit}"
    )
    if connection.vendor == "postgresql":
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}_batch")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGE}_batch (indicator_id bigint, period integer, "
            f"code varchar(9), value double precision, denominator double precision)"
            f"{on_commit}"
        )


def _stage_flush(items: list[tuple]) -> None:
    upsert = (
        "ON CONFLICT (indicator_id, period, code) DO UPDATE SET value = excluded.value, "
        "denominator = excluded.denominator"
    )
    cols = "indicator_id, period, code, value, denominator"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {STAGE}_batch ({cols}) FROM STDIN") as copy:
                for item in items:
                    copy.write_row(item)
            cursor.execute(f"INSERT INTO {STAGE} SELECT {cols} FROM {STAGE}_batch {upsert}")
            cursor.execute(f"TRUNCATE {STAGE}_batch")
        else:
            cursor.executemany(
                f"INSERT INTO {STAGE} ({cols}) VALUES (%s, %s, %s, %s, %s) {upsert}", items
            )


def _apply(pairs: set[tuple[int, int]]) -> tuple[int, int, int]:
    """Make the values of every (indicator, year) in `pairs` equal to the staged rows; return
    (created, updated, deleted). Unchanged rows are not written."""
    table = IndicatorValue._meta.db_table
    match = "s.indicator_id = v.indicator_id AND s.period = v.period AND s.code = v.code"
    differs = (
        "(s.value <> v.value OR (s.denominator IS NULL) <> (v.denominator IS NULL) "
        "OR s.denominator <> v.denominator)"
    )
    deleted = 0
    with connection.cursor() as cursor:
        for indicator_id, period in sorted(pairs):
            cursor.execute(
                f"DELETE FROM {table} WHERE indicator_id = %s AND period = %s AND NOT EXISTS "
                f"(SELECT 1 FROM {STAGE} s WHERE {match.replace('v.', table + '.')})",
                [indicator_id, period],
            )
            deleted += max(cursor.rowcount, 0)
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} v SET value = s.value, denominator = s.denominator "
                f"FROM {STAGE} s WHERE {match} AND {differs}"
            )
        else:
            cursor.execute(
                f"UPDATE {table} AS v SET (value, denominator) = (SELECT s.value, "
                f"s.denominator FROM {STAGE} s WHERE {match}) WHERE EXISTS (SELECT 1 FROM "
                f"{STAGE} s WHERE {match} AND {differs})"
            )
        updated = max(cursor.rowcount, 0)
        cursor.execute(
            f"INSERT INTO {table} (indicator_id, period, code, value, denominator) "
            f"SELECT s.indicator_id, s.period, s.code, s.value, s.denominator FROM {STAGE} s "
            f"WHERE NOT EXISTS (SELECT 1 FROM {table} v WHERE {match})"
        )
        created = max(cursor.rowcount, 0)
        cursor.execute(f"DROP TABLE IF EXISTS {STAGE}")
        if connection.vendor == "postgresql":
            cursor.execute(f"DROP TABLE IF EXISTS {STAGE}_batch")
    return created, updated, deleted


@transaction.atomic
def indicators_import(
    *,
    stream: BinaryIO,
    actor=None,
    total_bytes: int | None = None,
    progress: Progress | None = None,
    batch_size: int = 5000,
    max_period: int | None = None,
) -> IndicatorImportResult:
    """Load indicator values in the long format (code, indicator, period, value, denominator,
    source, licence). Every (indicator, year) in the file is replaced by the file's rows; a
    row repeated in the file counts once (the last line wins). `max_period` skips later
    years (the demo loads its synthetic series only up to this year)."""
    reader, columns = _reader(stream, VALUE_COLUMNS, "indicators")
    missing = [c for c in VALUE_REQUIRED if c not in columns]
    if missing:
        raise ImportFileError(
            f"The indicators file has no {', '.join(missing)} column. The first line must "
            f"name the columns: {', '.join(VALUE_COLUMNS)}."
        )
    declared = {i.key: i for i in Indicator.objects.all()}
    if not declared:
        raise ImportFileError(
            "No indicators are declared yet. Load the declarations first "
            "(import_indicators --declarations FILE.csv)."
        )
    releases: dict[tuple[int, int], tuple[str, str]] = {}
    batch: dict[tuple, tuple] = {}
    rows = 0
    with connection.cursor() as cursor:
        _create_stage(cursor)
    for line, row in _rows(reader, "indicators"):
        code = _cell(row, columns, "code").upper()
        if not UNIT_CODE_RE.fullmatch(code):
            raise ImportFileError(f"Line {line}: '{code}' is not an ONS code (like E05001234).")
        key = _cell(row, columns, "indicator").lower()
        indicator = declared.get(key)
        if indicator is None:
            raise ImportFileError(
                f"Line {line}: indicator '{key}' is not declared. Declared indicators: "
                f"{', '.join(sorted(declared))}."
            )
        period = _cell(row, columns, "period")
        if not YEAR_RE.fullmatch(period) or not 1990 <= int(period) <= 2100:
            raise ImportFileError(f"Line {line}: period '{period}' is not a year (like 2021).")
        year = int(period)
        value = _number(line, _cell(row, columns, "value"), "value")
        denominator = _number(
            line, _cell(row, columns, "denominator"), "denominator", optional=True
        )
        rows += 1
        if max_period is not None and year > max_period:
            continue
        pair = (indicator.pk, year)
        if pair not in releases:
            releases[pair] = (
                _cell(row, columns, "source")[:300] or indicator.source,
                _cell(row, columns, "licence")[:300] or indicator.licence,
            )
        batch[(indicator.pk, year, code)] = (indicator.pk, year, code, value, denominator)
        if len(batch) >= batch_size:
            _stage_flush(list(batch.values()))
            batch.clear()
            if progress:
                progress(rows, _tell(stream), total_bytes)
    if batch:
        _stage_flush(list(batch.values()))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {STAGE}")
        staged = cursor.fetchone()[0]
    created, updated, deleted = _apply(set(releases))
    for (indicator_id, year), (source, licence) in releases.items():
        release, made = IndicatorRelease.objects.get_or_create(
            indicator_id=indicator_id,
            period=year,
            defaults={"source": source, "licence": licence},
        )
        if not made and (release.source, release.licence) != (source, licence):
            release.source, release.licence = source, licence
            release.save(update_fields=["source", "licence"])
    if progress:
        progress(rows, total_bytes or _tell(stream), total_bytes)
    result = IndicatorImportResult(
        rows=rows,
        created=created,
        updated=updated,
        deleted=deleted,
        unchanged=staged - created - updated,
        periods=len(releases),
    )
    audit_record(
        action="prospects.indicators_imported",
        actor=actor,
        object_type="prospects.indicatorvalue",
        changes={
            "rows": rows,
            "created": created,
            "updated": updated,
            "deleted": deleted,
            "periods": len(releases),
        },
    )
    return result


@transaction.atomic
def unit_share_set(*, actor, neighbourhood: Neighbourhood, code: str, percent: int) -> UnitShare:
    """Record that only `percent` of a unit's population lives inside the neighbourhood (a
    platform admin's job, from the boundary and the ONS population by output area)."""
    if not can_use_admin_powers(actor):
        raise ForbiddenError("Only a platform admin may set the share of a unit inside an area.")
    if not neighbourhood.units.filter(code=code).exists():
        raise ApplicationError(f"{code} is not one of {neighbourhood}'s units.")
    if not 1 <= percent <= 100:
        raise ApplicationError("The share inside the neighbourhood is a percentage from 1 to 100.")
    share, _ = UnitShare.objects.update_or_create(
        neighbourhood=neighbourhood, code=code, defaults={"percent": percent}
    )
    audit_record(
        action="prospects.unit_share_set",
        actor=actor,
        obj=share,
        changes={"code": code, "percent": percent},
    )
    return share
