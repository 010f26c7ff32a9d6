"""Reference data imports: ONS geography units and the postcode to unit lookup.

Both stream the CSV row by row (bounded memory whatever the file size), upsert in batches,
and run in one transaction: a bad line anywhere raises an error naming that line and
nothing is changed. Running the same file twice changes nothing the second time.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from django.db import connection, transaction

from audit.services import audit_record
from config.errors import ApplicationError

from ..models import GeographyUnit, Neighbourhood, Postcode, UnitType
from .postcodes import normalise_postcode

# ASCII digits only ([0-9], used with fullmatch): \d and str.isdigit() also accept '²' and
# other Unicode digits, which int() then refuses or reads differently.
UNIT_CODE_RE = re.compile(r"[EWSN][0-9]{8}")
YEAR_RE = re.compile(r"[0-9]{4}")
DECILE_RE = re.compile(r"[0-9]{1,2}")
TRUE_WORDS = {"1", "true", "yes", "y", "t"}
FALSE_WORDS = {"0", "false", "no", "n", "f", ""}

# A progress callback gets (rows so far, bytes read, total bytes or None).
Progress = Callable[[int, int, int | None], None]


class ImportFileError(ApplicationError):
    """The file cannot be imported; the message names the line."""


@dataclass
class ImportResult:
    rows: int
    created: int
    updated: int


def _decoded_lines(stream: BinaryIO, what: str):
    """Decode line by line, so a bad byte is reported on its own line number."""
    for number, raw in enumerate(stream, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise ImportFileError(
                f"Line {number} of the {what} file is not UTF-8 text. "
                "Save it as CSV (UTF-8) and try again."
            ) from None
        if "\x00" in text:
            raise ImportFileError(
                f"Line {number} of the {what} file contains a NUL character: it is not a "
                "text CSV file. Save it as CSV (UTF-8) and try again."
            )
        yield text.removeprefix("\ufeff") if number == 1 else text


def _reader(stream: BinaryIO, required: dict[str, re.Pattern], what: str):
    """A csv reader over the byte stream, and a header -> column index map.

    `required` maps our column names to a pattern matching accepted header names (so the
    ONS files' own headers, such as pcds or wd23cd, work as well as ours).
    """
    # strict: an unclosed quote is an error naming its line, not a silently merged row.
    reader = csv.reader(_decoded_lines(stream, what), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFileError(f"The {what} file is empty.") from None
    names = [h.strip().lower() for h in header]
    columns: dict[str, int] = {}
    for ours, pattern in required.items():
        for i, name in enumerate(names):
            if pattern.fullmatch(name):
                columns[ours] = i
                break
    return reader, columns


def _rows(reader, what: str):
    """Yield (line number, row), turning decoding and CSV errors into a named-line error."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFileError(f"Line {reader.line_num} of the {what} file: {exc}.") from None
        line = reader.line_num
        if not row or not any(cell.strip() for cell in row):
            continue
        yield line, row


def _cell(row: list[str], columns: dict[str, int], name: str) -> str:
    i = columns.get(name)
    return row[i].strip() if i is not None and i < len(row) else ""


GEOGRAPHY_COLUMNS = {
    "code": re.compile(r"code"),
    "unit_type": re.compile(r"unit_type|type"),
    "vintage": re.compile(r"vintage|year"),
    "name": re.compile(r"name"),
    "local_authority": re.compile(r"local_authority|la_name|lad_name"),
    "imd_decile": re.compile(r"imd_decile"),
    "left_behind": re.compile(r"left_behind"),
}
GEOGRAPHY_REQUIRED = ("code", "unit_type", "vintage", "name")


def _geography_row(line: int, row: list[str], columns: dict[str, int]) -> GeographyUnit:
    code = _cell(row, columns, "code").upper()
    if not UNIT_CODE_RE.fullmatch(code):
        raise ImportFileError(f"Line {line}: '{code}' is not an ONS code (like E05001234).")
    unit_type = _cell(row, columns, "unit_type").lower()
    if unit_type not in UnitType.values:
        raise ImportFileError(
            f"Line {line}: unit type '{unit_type}' is not one of {', '.join(UnitType.values)}."
        )
    vintage = _cell(row, columns, "vintage")
    if not YEAR_RE.fullmatch(vintage) or not 1990 <= int(vintage) <= 2100:
        raise ImportFileError(f"Line {line}: vintage '{vintage}' is not a year.")
    name = _cell(row, columns, "name")
    if not name or len(name) > 200:
        raise ImportFileError(f"Line {line}: the name is missing or longer than 200 characters.")
    decile = _cell(row, columns, "imd_decile")
    if decile and (not DECILE_RE.fullmatch(decile) or not 1 <= int(decile) <= 10):
        raise ImportFileError(f"Line {line}: IMD decile '{decile}' is not a number from 1 to 10.")
    flag = _cell(row, columns, "left_behind").lower()
    if flag not in TRUE_WORDS | FALSE_WORDS:
        raise ImportFileError(f"Line {line}: left_behind '{flag}' is not yes or no.")
    return GeographyUnit(
        code=code,
        unit_type=unit_type,
        vintage=int(vintage),
        name=name,
        local_authority=_cell(row, columns, "local_authority")[:200],
        imd_decile=int(decile) if decile else None,
        left_behind=flag in TRUE_WORDS,
    )


POSTCODE_COLUMNS = {
    "postcode": re.compile(r"postcode|pcds|pcd|pcd7|pcd8"),
    "ward_code": re.compile(r"ward_code|wd[0-9]{2}cd"),
    "lsoa_code": re.compile(r"lsoa_code|lsoa[0-9]{2}cd|lsoa[0-9]{2}"),
    "msoa_code": re.compile(r"msoa_code|msoa[0-9]{2}cd|msoa[0-9]{2}"),
    "lad_code": re.compile(r"lad_code|lad[0-9]{2}cd|oslaua"),
}
UNIT_FIELDS = ("ward_code", "lsoa_code", "msoa_code", "lad_code")


def _postcode_row(line: int, row: list[str], columns: dict[str, int]) -> tuple[str, ...]:
    raw = _cell(row, columns, "postcode")
    try:
        postcode = normalise_postcode(raw)
    except ApplicationError:
        raise ImportFileError(f"Line {line}: '{raw}' is not a UK postcode.") from None
    values = {}
    for field in UNIT_FIELDS:
        value = _cell(row, columns, field).upper()
        if value and not UNIT_CODE_RE.fullmatch(value):
            raise ImportFileError(
                f"Line {line}: {field} '{value}' is not an ONS code (like E05001234)."
            )
        values[field] = value
    if not any(values.values()):
        raise ImportFileError(f"Line {line}: postcode {raw} has no unit codes.")
    return (postcode, *(values[f] for f in UNIT_FIELDS))


def _import(
    *,
    stream: BinaryIO,
    what: str,
    columns_spec: dict[str, re.Pattern],
    required: tuple[str, ...],
    build: Callable[[int, list[str], dict[str, int]], object],
    key: Callable[[object], object],
    flush: Callable[[list], None],
    model: type,
    batch_size: int,
    total_bytes: int | None,
    progress: Progress | None,
) -> ImportResult:
    reader, columns = _reader(stream, columns_spec, what)
    missing = [c for c in required if c not in columns]
    if what == "postcode" and not missing and not any(f in columns for f in UNIT_FIELDS):
        missing = ["ward_code (or lsoa_code, msoa_code, lad_code)"]
    if missing:
        raise ImportFileError(
            f"The {what} file has no {', '.join(missing)} column. The first line must name "
            f"the columns: {', '.join(columns_spec)}."
        )
    rows = 0
    before = model.objects.count()
    batch: dict[object, object] = {}
    for line, row in _rows(reader, what):
        obj = build(line, row, columns)
        batch[key(obj)] = obj  # a repeat within the batch: the last line wins
        rows += 1
        if len(batch) >= batch_size:
            flush(list(batch.values()))
            batch.clear()
            if progress:
                progress(rows, _tell(stream), total_bytes)
    if batch:
        flush(list(batch.values()))
    created = model.objects.count() - before
    if progress:
        progress(rows, total_bytes or _tell(stream), total_bytes)
    return ImportResult(rows=rows, created=created, updated=rows - created)


def _tell(stream: BinaryIO) -> int:
    try:
        return stream.tell()
    except (OSError, ValueError):
        return 0


@transaction.atomic
def geography_import(
    *,
    stream: BinaryIO,
    actor=None,
    total_bytes: int | None = None,
    progress: Progress | None = None,
    batch_size: int = 2000,
) -> ImportResult:
    """Load geography units (code, unit_type, vintage, name, local_authority, imd_decile,
    left_behind) and refresh every neighbourhood's "left behind" flag and decile."""
    from .neighbourhoods import refresh_reference_flags

    fields = ["unit_type", "name", "local_authority", "imd_decile", "left_behind"]

    def flush(items: list) -> None:
        GeographyUnit.objects.bulk_create(
            items,
            update_conflicts=True,
            unique_fields=["code", "vintage"],
            update_fields=fields,
        )

    result = _import(
        stream=stream,
        what="geography",
        columns_spec=GEOGRAPHY_COLUMNS,
        required=GEOGRAPHY_REQUIRED,
        build=_geography_row,
        model=GeographyUnit,
        key=lambda u: (u.code, u.vintage),
        flush=flush,
        batch_size=batch_size,
        total_bytes=total_bytes,
        progress=progress,
    )
    for neighbourhood in Neighbourhood.objects.all():
        refresh_reference_flags(neighbourhood)
    audit_record(
        action="communities.geography_imported",
        actor=actor,
        object_type="communities.geographyunit",
        changes={"rows": result.rows, "created": result.created, "updated": result.updated},
    )
    return result


@transaction.atomic
def postcodes_import(
    *,
    stream: BinaryIO,
    actor=None,
    total_bytes: int | None = None,
    progress: Progress | None = None,
    batch_size: int = 5000,
) -> ImportResult:
    """Load the postcode -> ward/LSOA/MSOA/LAD lookup (postcodes normalised).

    One transaction with batched upserts: memory stays at one batch, and a bad line rolls
    everything back (PostgreSQL and SQLite both handle millions of rows in one transaction).
    """

    # The ORM's bulk_create(update_conflicts=True) spends most of its time compiling SQL per
    # row (about 8,000 rows/s); one prepared upsert run with executemany is several times
    # faster and is the same statement on PostgreSQL and SQLite. On PostgreSQL, COPY into a
    # temporary table and one INSERT ... SELECT ... ON CONFLICT per batch is faster still.
    qn = connection.ops.quote_name
    cols = ("postcode", *UNIT_FIELDS)
    col_list = ", ".join(qn(c) for c in cols)
    table = qn(Postcode._meta.db_table)
    on_conflict = f"ON CONFLICT ({qn('postcode')}) DO UPDATE SET " + ", ".join(
        f"{qn(c)} = excluded.{qn(c)}" for c in UNIT_FIELDS
    )

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Dropped at commit; also dropped first in case an outer transaction
            # (a test, seed_demo) already ran an import.
            cursor.execute("DROP TABLE IF EXISTS cp_postcode_load")
            cursor.execute(
                "CREATE TEMPORARY TABLE cp_postcode_load (postcode varchar(8), "
                "ward_code varchar(9), lsoa_code varchar(9), msoa_code varchar(9), "
                "lad_code varchar(9)) ON COMMIT DROP"
            )

        def flush(items: list) -> None:
            with connection.cursor() as cursor:
                with cursor.cursor.copy(f"COPY cp_postcode_load ({col_list}) FROM STDIN") as copy:
                    for item in items:
                        copy.write_row(item)
                cursor.execute(
                    f"INSERT INTO {table} ({col_list}) SELECT {col_list} "
                    f"FROM cp_postcode_load {on_conflict}"
                )
                cursor.execute("TRUNCATE cp_postcode_load")

    else:
        sql = (
            f"INSERT INTO {table} ({col_list}) VALUES ({', '.join(['%s'] * len(cols))}) "
            f"{on_conflict}"
        )

        def flush(items: list) -> None:
            with connection.cursor() as cursor:
                cursor.executemany(sql, items)

    result = _import(
        stream=stream,
        what="postcode",
        columns_spec=POSTCODE_COLUMNS,
        required=("postcode",),
        build=_postcode_row,
        model=Postcode,
        key=lambda p: p[0],
        flush=flush,
        batch_size=batch_size,
        total_bytes=total_bytes,
        progress=progress,
    )
    audit_record(
        action="communities.postcodes_imported",
        actor=actor,
        object_type="communities.postcode",
        changes={"rows": result.rows, "created": result.created, "updated": result.updated},
    )
    return result
