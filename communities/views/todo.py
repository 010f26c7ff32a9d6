"""A trustee's to-do page per neighbourhood, and the header's way in to it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from config.errors import ForbiddenError

from .. import boards, selectors
from ._common import _trustee_page


@login_required
def todo_index(request: HttpRequest) -> HttpResponse:
    """Straight to the to-do of the one neighbourhood someone is a trustee of; else a choice."""
    neighbourhoods = selectors.trustee_neighbourhoods(user=request.user)
    if not neighbourhoods:
        raise ForbiddenError("Only trustees have a to-do list.")
    if len(neighbourhoods) == 1:
        return redirect("communities:todo", slug=neighbourhoods[0].slug)
    return render(request, "communities/todo_index.html", {"neighbourhoods": neighbourhoods})


@login_required
def todo(request: HttpRequest, slug: str) -> HttpResponse:
    nb = _trustee_page(request, slug, "see the trustees' to-do list")
    sections = boards.todo_sections(nb, request.user)
    return render(
        request,
        "communities/todo.html",
        {"nb": nb, "sections": sections, "waiting": sum(s.count for s in sections)},
    )
