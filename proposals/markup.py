"""Markdown to sanitised HTML for proposal descriptions (no Django import).

Python-Markdown passes raw HTML through, so its output is never trusted: nh3 (a Rust
sanitiser) keeps only an allow-list of tags and attributes, drops script and style with
their content, removes every on* attribute and keeps only http, https and mailto links.
Headings are moved down two levels so a description never outranks the page's own h1/h2.

Python-Markdown's link and image parsing is quadratic in the number of '[' characters
(20,000 of them take about a minute), so text with more than MAX_OPEN_BRACKETS of them is
refused by markdown_problem() (forms and services) and, should any reach render_markdown()
another way, shown as escaped plain text instead of being parsed.

Python-Markdown parses nested lists and quotes recursively: "1. " * 500 or "*\t" * 600 (1,500
characters) exhausts Python's stack (RecursionError). Text nesting lists or quotes deeper than
MAX_NESTING is refused the same way, and render_markdown() never raises: should any other
input still exhaust the stack, the text is shown escaped, as plain text.
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

# Lists and quotes nested deeper than this are refused: real descriptions nest two or three
# levels; Python-Markdown's recursion runs out of stack at a few hundred.
MAX_NESTING = 20

_HEADING = re.compile(r"<(/?)h([1-6])([^>]*)>", re.IGNORECASE)
# One container opening at the start of a line: a quote '>', a bullet '*', '+' or '-', or a
# number '1.' / '1)', followed by spaces or tabs (or the end of the line).
_CONTAINER = re.compile(r"(?:>|[*+-](?=[ \t]|$)|\d{1,9}[.)](?=[ \t]|$))[ \t]*")


def _demote(match: re.Match) -> str:
    level = min(int(match.group(2)) + 2, 6)
    return f"<{match.group(1)}h{level}{match.group(3)}>"


def nesting_depth(text: str) -> int:
    """How deep lists and quotes nest: on each line, one level per 4 columns of indentation
    (tabs count 4) plus one per list or quote marker opening the line; the deepest line."""
    deepest = 0
    for line in (text or "").splitlines():
        line = line.expandtabs(4)
        rest = line.lstrip(" ")
        depth = (len(line) - len(rest)) // 4
        position = 0
        while (match := _CONTAINER.match(rest, position)) and match.end() > position:
            depth += 1
            position = match.end()
        deepest = max(deepest, depth)
    return deepest


def markdown_problem(text: str) -> str | None:
    """Why this text cannot be rendered as Markdown safely and in reasonable time, or None."""
    if (text or "").count("[") > MAX_OPEN_BRACKETS:
        return (
            f"Use at most {MAX_OPEN_BRACKETS} square brackets '[' (links are written "
            "[text](https://...))."
        )
    if nesting_depth(text) > MAX_NESTING:
        return (
            f"Lists and quotes can be nested at most {MAX_NESTING} levels deep: a line starts "
            "with too many list markers (like “1.”, “*” or “-”), quote marks “>” or indents."
        )
    return None


def _plain(text: str) -> str:
    return f"<p>{html_lib.escape(text or '')}</p>"


def render_plain(text: str) -> str:
    """Plain text (never parsed as Markdown) as sanitised HTML: for text from outside, such as
    an imported file's project ids."""
    return sanitise(_plain(text))


def render_markdown(text: str) -> str:
    """Render Markdown and sanitise it: the result is safe to mark safe in a template."""
    if markdown_problem(text):
        # Never parse pathological input: show it as plain, escaped text.
        html = _plain(text)
    else:
        try:
            html = markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
        except RecursionError:
            # Stored text must never break a page: nesting we did not foresee is shown plain.
            html = _plain(text)
    return sanitise(_HEADING.sub(_demote, html))


def sanitise(html: str) -> str:
    """Keep only the allow-listed tags and attributes (see the module docstring)."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style", "iframe", "object", "embed", "svg", "math"},
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
        strip_comments=True,
    )
