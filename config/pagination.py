"""One way to paginate a page's list: a Paginator page plus the other query parameters.

Every list a page shows is cut into pages of a fixed size (issue 17), so its time and size do
not grow with the data: Django's Paginator costs one COUNT and one LIMIT/OFFSET query.
"""

from __future__ import annotations

from django.core.paginator import Page, Paginator
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
