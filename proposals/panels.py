"""Extra panels on the proposal page, registered by higher apps (funds shows the money).

proposals sits below funds, so funds registers a renderer here (in its AppConfig.ready)
rather than being imported: `register_detail_panel(func)` where func(proposal, user) returns
safe HTML or "".
"""

from __future__ import annotations

from collections.abc import Callable

_panels: list[Callable] = []


def register_detail_panel(func: Callable) -> None:
    if func not in _panels:
        _panels.append(func)


def render_detail_panels(proposal, user) -> str:
    return "".join(str(func(proposal, user) or "") for func in _panels)
