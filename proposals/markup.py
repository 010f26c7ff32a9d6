"""Markdown to sanitised HTML for proposal descriptions (no Django import).

Python-Markdown passes raw HTML through, so its output is never trusted: nh3 (a Rust
sanitiser) keeps only an allow-list of tags and attributes, drops script and style with
their content, removes every on* attribute and keeps only http, https and mailto links.
Headings are moved down two levels so a description never outranks the page's own h1/h2.

Python-Markdown's link and image parsing is quadratic in the number of '[' characters
(20,000 of them take about a minute), so text with more than MAX_OPEN_BRACKETS of them is
refused by markdown_problem() (forms and services) and, should any reach render_markdown()
another way, shown as escaped plain text instead of being parsed.
"""

from __future__ import annotations

import html as html_lib
import re

import markdown
import nh3

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "h6",
    "a",
    "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}
MAX_MARKDOWN_CHARS = 20_000
# Each '[' costs Python-Markdown time in proportion to the text after it; 300 is plenty for
# real links (a description with 150 links) and renders in a few hundredths of a second.
MAX_OPEN_BRACKETS = 300

_HEADING = re.compile(r"<(/?)h([1-6])([^>]*)>", re.IGNORECASE)


def _demote(match: re.Match) -> str:
    level = min(int(match.group(2)) + 2, 6)
    return f"<{match.group(1)}h{level}{match.group(3)}>"


def markdown_problem(text: str) -> str | None:
    """Why this text cannot be rendered as Markdown in reasonable time, or None if it can."""
    if (text or "").count("[") > MAX_OPEN_BRACKETS:
        return (
            f"Use at most {MAX_OPEN_BRACKETS} square brackets '[' (links are written "
            "[text](https://...))."
        )
    return None


def render_markdown(text: str) -> str:
    """Render Markdown and sanitise it: the result is safe to mark safe in a template."""
    if markdown_problem(text):
        # Never parse pathological input: show it as plain, escaped text.
        html = f"<p>{html_lib.escape(text)}</p>"
    else:
        html = markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    html = _HEADING.sub(_demote, html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "svg", "math"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )
