"""One way to paginate a page's list: a Paginator page plus the other query parameters.

Every list a page shows is cut into pages of a fixed size (issue 17), so its time and size do
not grow with the data: Django's Paginator costs one COUNT and one LIMIT/OFFSET query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db import connection
from django.http import HttpRequest


def paginate(request: HttpRequest, items, per_page: int, *, param: str = "page") -> Page:
    """The page of `items` named by `?<param>=` (the first page for a missing or bad number,
    the last for one past the end)."""
    return Paginator(items, per_page).get_page(request.GET.get(param))


def other_params(request: HttpRequest, param: str = "page") -> str:
    """The request's query string without `param`, for previous/next links that keep filters
    and the positions of the page's other lists."""
    query = request.GET.copy()
    query.pop(param, None)
    return query.urlencode()


# --- Seek (keyset) pagination -------------------------------------------------------------
# OFFSET makes the database build and throw away every row before the page: page 100 of the
# member register cost three times page 1. A seek page starts after (or before) the row a link
# names, so a deep page costs what the first one does (issue 17). The order is a small group
# column ascending (a status), then a timestamp and the primary key descending, which an index
# on (..., group, timestamp DESC, id DESC) serves in both directions. Links keep `page=N` as a
# label, so "Page 3 of 400" still reads right, and an old `?page=N` link (no cursor) still
# gives page N: the row before it is found by its keys alone, then the page seeks from it.


@dataclass
class SeekPage:
    """One page of a seek-paginated list, with what the pagination include needs."""

    object_list: list
    number: int
    count: int
    per_page: int
    next_cursor: str = ""
    previous_cursor: str = ""

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def paginator(self) -> SeekPage:  # the templates read page.paginator.count, as on a Page
        return self

    def has_next(self) -> bool:
        return bool(self.next_cursor)

    def has_previous(self) -> bool:
        return bool(self.previous_cursor)

    def has_other_pages(self) -> bool:
        return self.has_next() or self.has_previous()

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return max(1, self.number - 1)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_MICROSECOND = dt.timedelta(microseconds=1)


def seek_cursor(row, group: str, stamp: str) -> str:
    """`<group>.<microseconds since 1970>.<pk>`: exact (no float), short, URL-safe."""
    micros = (getattr(row, stamp) - _EPOCH) // _MICROSECOND
    return f"{getattr(row, group)}.{micros}.{row.pk}"


def _parse_cursor(value: str | None):
    """(group value, aware datetime, pk) from a link's cursor, or None for a bad one."""
    try:
        group, micros, pk = (value or "").split(".")
        at = _EPOCH + int(micros) * _MICROSECOND
        if not group.isidentifier():
            return None
        return group, at, int(pk)
    except (ValueError, OverflowError, OSError):
        return None


def _row_compare(queryset, stamp: str, op: str, at, pk: int):
    """(stamp, id) <op> (at, pk) as one row comparison: an index range the database seeks to,
    where `stamp < at OR (stamp = at AND id < pk)` would be a filter over every row."""
    model = queryset.model
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)
    column = qn(model._meta.get_field(stamp).column)
    key = qn(model._meta.pk.column)
    value = connection.ops.adapt_datetimefield_value(at)
    return queryset.extra(  # noqa: S610 (no user text: the parameters are a datetime and an int)
        where=[f"({table}.{column}, {table}.{key}) {op} (%s, %s)"], params=[value, pk]
    )


def seek(
    request: HttpRequest,
    items,
    per_page: int,
    *,
    group: str,
    stamp: str = "created_at",
    param: str = "page",
) -> SeekPage:
    """The page of `items` (ordered by group, -stamp, -pk) after `?after=` or before
    `?before=` a row, or by number (`?<param>=N`, OFFSET) for links without a cursor.

    Two queries for the rows besides the count: one within the cursor's group (an index range)
    and one in the groups after (or before) it, so a page that spans two groups is whole."""
    count = items.count()
    label = request.GET.get(param)
    number = int(label) if (label or "").isdigit() and int(label) > 0 else 1
    after = _parse_cursor(request.GET.get("after"))
    before = None if after else _parse_cursor(request.GET.get("before"))
    ordered = items.order_by(group, f"-{stamp}", "-pk")
    if not after and not before and 1 < number <= -(-count // per_page):
        # A numbered link (an old one, or typed): find the row before the page by its keys
        # alone (no joins, no row data), then seek from it like a "Next page" link.
        offset = (number - 1) * per_page
        keys = list(ordered.values_list(group, stamp, "pk")[offset - 1 : offset])
        if keys:
            after = keys[0]
    if after:
        g, at, pk = after
        rows = list(
            _row_compare(items.filter(**{group: g}), stamp, "<", at, pk).order_by(
                f"-{stamp}", "-pk"
            )[: per_page + 1]
        )
        rows += list(ordered.filter(**{f"{group}__gt": g})[: per_page + 1 - len(rows)])
        page_rows, more = rows[:per_page], len(rows) > per_page
        return SeekPage(
            page_rows,
            number,
            count,
            per_page,
            next_cursor=seek_cursor(page_rows[-1], group, stamp) if more else "",
            previous_cursor=seek_cursor(page_rows[0], group, stamp) if page_rows else "",
        )
    if before:
        g, at, pk = before
        rows = list(
            _row_compare(items.filter(**{group: g}), stamp, ">", at, pk).order_by(stamp, "pk")[
                : per_page + 1
            ]
        )
        rows += list(
            items.filter(**{f"{group}__lt": g}).order_by(f"-{group}", stamp, "pk")[
                : per_page + 1 - len(rows)
            ]
        )
        if len(rows) > per_page:
            page_rows = rows[:per_page][::-1]
            return SeekPage(
                page_rows,
                max(1, number),
                count,
                per_page,
                next_cursor=seek_cursor(page_rows[-1], group, stamp),
                previous_cursor=seek_cursor(page_rows[0], group, stamp),
            )
        number = 1  # back at the start: show a whole first page
    offset = (number - 1) * per_page
    if offset >= count:  # past the end (an old link, fewer members now): the last page
        number = max(1, -(-count // per_page))
        offset = (number - 1) * per_page
    rows = list(ordered[offset : offset + per_page + 1])
    page_rows, more = rows[:per_page], len(rows) > per_page
    return SeekPage(
        page_rows,
        number,
        count,
        per_page,
        next_cursor=seek_cursor(page_rows[-1], group, stamp) if more else "",
        previous_cursor=seek_cursor(page_rows[0], group, stamp) if number > 1 and page_rows else "",
    )


def seek_params(request: HttpRequest, param: str = "page") -> str:
    """The request's query string without the page number and cursors, for seek links."""
    query = request.GET.copy()
    for name in (param, "after", "before"):
        query.pop(name, None)
    return query.urlencode()
