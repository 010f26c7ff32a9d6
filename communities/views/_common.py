"""Helpers shared by the views."""

from __future__ import annotations

from django.http import HttpRequest
from django.shortcuts import redirect

from config.errors import ApplicationError

from .. import permissions as perms
from .. import selectors
from ..models import Neighbourhood


def _form_error(form, exc: ApplicationError) -> None:
    field = exc.extra.get("field")
    form.add_error(field if field in form.fields else None, exc.message)


def _detail(nb: Neighbourhood):
    return redirect("communities:detail", slug=nb.slug)


def _trustee_page(request: HttpRequest, slug: str, action: str) -> Neighbourhood:
    nb = selectors.neighbourhood_get(user=request.user, slug=slug)
    perms.ensure_powers(request.user, nb, perms.TRUSTEE_ROLES, action=action)
    return nb
