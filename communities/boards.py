"""What is happening now in a neighbourhood, and what its trustees have to do.

communities sits below proposals, voting and funds, so those apps register providers here (in
their AppConfig.ready) rather than being imported: the neighbourhood page, the home page and
the trustee's to-do page show their sections without knowing where they come from (the same
pattern as proposals.panels).

A provider gets the neighbourhoods and the user and returns `Section`s. Each provider runs a
fixed number of queries whatever the number of items (it filters and counts in the database),
so the pages' query counts do not grow with what is waiting.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Item:
    """One thing to look at or do: a title, a link and what the link does."""

    title: str
    url: str
    action: str
    note: str = ""


@dataclass
class Section:
    """A heading with its items. `order` places it on the page (lower first)."""

    key: str
    title: str
    hint: str
    items: list[Item] = field(default_factory=list)
    order: int = 50
    empty: str = ""
    # When a section shows a linked summary rather than every item (funds' own to-do page).
    more_url: str = ""
    more_label: str = ""
    # How many are waiting when `items` shows only the first few.
    total: int | None = None
    # False when each item is a summary of several things (funds: one item per fund), so
    # `total` counts things waiting, not items.
    items_are_things: bool = True

    @property
    def count(self) -> int:
        return len(self.items) if self.total is None else self.total

    @property
    def truncated(self) -> bool:
        """Only the first items are listed; the page says how many there are in all."""
        return self.items_are_things and self.count > len(self.items)


# How many items a section lists; the rest are counted and reached through the section's page.
SHOWN = 10


NowProvider = Callable[[Sequence, object], list[Section]]
TodoProvider = Callable[[object, object], list[Section]]

_now: list[NowProvider] = []
_todo: list[TodoProvider] = []


def register_now(func: NowProvider) -> None:
    """func(neighbourhoods, user) -> sections of what is happening now (open votes...)."""
    if func not in _now:
        _now.append(func)


def register_todo(func: TodoProvider) -> None:
    """func(neighbourhood, user) -> sections of a trustee's to-do (proposals to screen...)."""
    if func not in _todo:
        _todo.append(func)


def now_sections(neighbourhoods: Sequence, user) -> list[Section]:
    """The non-empty "now" sections for these neighbourhoods, in page order."""
    if not neighbourhoods:
        return []
    sections = [s for func in _now for s in func(neighbourhoods, user)]
    return sorted((s for s in sections if s.items), key=lambda s: s.order)


def todo_sections(neighbourhood, user) -> list[Section]:
    """Every to-do section for this neighbourhood (empty ones too: "nothing waiting" is news)."""
    sections = [s for func in _todo for s in func(neighbourhood, user)]
    return sorted(sections, key=lambda s: s.order)


def members_waiting(neighbourhood, user) -> list[Section]:
    """Requests to join waiting for a trustee: in-person attestation or refusal."""
    from django.urls import reverse

    from .models import Membership

    pending = Membership.objects.filter(
        neighbourhood=neighbourhood, status=Membership.Status.PENDING
    ).exclude(user_id=getattr(user, "pk", None))
    rows = list(pending.select_related("user").order_by("created_at", "pk")[:SHOWN])
    url = reverse("communities:members", args=[neighbourhood.slug])
    return [
        Section(
            key="members",
            title="People waiting to join",
            hint="Confirm in person those you have met, or refuse a request saying why.",
            items=[
                Item(
                    title=m.user.public_name,
                    url=f"{url}#request-{m.pk}",
                    action="Confirm or refuse",
                    note=f"asked on {m.created_at:%-d %b %Y}",
                )
                for m in rows
            ],
            total=pending.count(),
            order=40,
            empty="Nobody is waiting to join.",
            more_url=url,
            more_label="All members and requests to join",
        )
    ]
