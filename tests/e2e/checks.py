"""What the journeys check on every page they visit, and the tables the run prints.

- Accessibility: axe-core (the npm package, `make axe-deps`) injected into the page at 320, 375
  and 1280 px wide, run with the WCAG 2.0/2.1/2.2 A and AA tags. Each distinct page (its path
  with numbers as N, its heading, and whether it shows an error summary) is scanned once.
- Page weight: every GET page visited is loaded again in a fresh browser context with the same
  cookies, twice: the first load (cold cache) and a repeat visit (warm cache). Bytes are what
  crossed the wire (Chrome's encodedDataLength: compressed bodies plus headers) for HTML, CSS,
  JS and fonts; user images (/media/) are left out, as the issue says.
- Requests leaving the site: every request of every journey context is recorded; any whose
  host is not the live server's is a failure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
WIDTHS = (320, 375, 1280)
FIRST_LOAD_BUDGET = 100 * 1024
REPEAT_BUDGET = 20 * 1024


@dataclass
class AxeResult:
    key: str
    url: str
    violations: dict[int, list[dict]] = field(default_factory=dict)  # width -> violations

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.violations.values())


@dataclass
class Weight:
    path: str
    first: int
    repeat: int
    requests: int


@dataclass
class Report:
    base: str = ""
    axe: dict[str, AxeResult] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # key -> url
    weights: list[Weight] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)
    readability: list[tuple[str, float, int]] = field(default_factory=list)


REPORT = Report()


def page_key(page) -> str:
    path = re.sub(r"/\d+(?=/|$|\.)", "/N", urlsplit(page.url).path)
    path = re.sub(r"/[^/]{20,}(?=/|$)", "/KEY", path)  # signed keys in emailed links
    heading = (
        (page.locator("h1").first.text_content() or "").strip()
        if page.locator("h1").count()
        else ""
    )
    # "(mouse)", "(nojs)": the journeys' three residents' proposals are one page to check.
    heading = re.sub(r"\s*\([^)]*\)", "", heading)
    heading = re.sub(r"\d+", "N", re.sub(r"\s+", " ", heading))[:60]
    errors = " (with errors)" if page.locator(".error-summary").count() else ""
    return f"{path} · {heading}{errors}"


def watch_requests(context, base: str) -> None:
    """Record every request that goes anywhere but the live server."""
    host = urlsplit(base).netloc

    def _seen(request):
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob", "about", "chrome-error"):
            return
        if parts.netloc != host:
            REPORT.outside.append(request.url)

    context.on("request", _seen)


def inspect(page, *, axe: bool = True) -> None:
    """Check the page the journey is on, once per distinct page: weigh it (when a GET of its
    address shows it) and scan it with axe. Pages without JavaScript cannot run axe; the same
    pages are scanned in the journeys that have it."""
    key = page_key(page)
    if key not in REPORT.pages:
        REPORT.pages[key] = page.url
        weight = measure(page.context.browser, page.url, page.context.storage_state())
        if weight is not None:
            REPORT.weights.append(weight)
    if not axe or key in REPORT.axe:
        return
    result = AxeResult(key=key, url=page.url)
    original = page.viewport_size
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_JS))
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        found = page.evaluate(
            """async (tags) => {
                const r = await axe.run(document, {runOnly: {type: 'tag', values: tags},
                                                   resultTypes: ['violations']});
                return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
                    nodes: v.nodes.length}));
            }""",
            AXE_TAGS,
        )
        result.violations[width] = found
    if original:
        page.set_viewport_size(original)
    REPORT.axe[key] = result


def measure(browser, url: str, state: dict) -> Weight | None:
    """First load and repeat visit of one page, in a fresh context with the same cookies
    (so a cold cache); None when a GET of the address leads elsewhere (a page that only a
    form's answer shows)."""
    context = browser.new_context(storage_state=state)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        urls: dict[str, str] = {}
        sizes: dict[str, int] = {}
        cdp.on(
            "Network.requestWillBeSent",
            lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]),
        )
        cdp.on(
            "Network.loadingFinished",
            lambda e: sizes.__setitem__(e["requestId"], int(e["encodedDataLength"])),
        )

        def load() -> tuple[int, int]:
            urls.clear()
            sizes.clear()
            try:
                response = page.goto(url, wait_until="load")
            except PlaywrightError:  # e.g. 405: the address answers a form's POST only
                return -1, 0
            if response is None or page.url != url or response.status != 200:
                return -1, 0
            page.wait_for_timeout(100)  # let the last loadingFinished events arrive
            counted = {
                rid: size
                for rid, size in sizes.items()
                if not urlsplit(urls.get(rid, "")).path.startswith("/media/")
            }
            return sum(counted.values()), len(counted)

        first, requests = load()
        if first < 0:
            return None
        repeat, _ = load()
        return Weight(path=urlsplit(url).path, first=first, repeat=repeat, requests=requests)
    finally:
        context.close()


def print_report(write) -> None:
    """The axe report and the page-weight table, for the end of the test run."""
    write("")
    write(f"== axe-core report: WCAG A and AA ({', '.join(AXE_TAGS)}) at {WIDTHS} px")
    total = 0
    for result in REPORT.axe.values():
        total += result.count
        write(f"  {result.count:3d} violations  {result.key}")
        for width, violations in result.violations.items():
            for v in violations:
                write(
                    f"        {width}px {v['id']} ({v['impact']}, {v['nodes']} nodes): "
                    f"{v['help']} -> {'; '.join(v['targets'])}"
                )
    write(f"  {len(REPORT.axe)} pages scanned, {total} violations")
    if REPORT.weights:
        write("")
        write(
            f"== page weight (bytes on the wire; HTML, CSS, JS, fonts; user images left out). "
            f"Budgets: first load < {FIRST_LOAD_BUDGET // 1024} KB, repeat < "
            f"{REPEAT_BUDGET // 1024} KB"
        )
        write(f"  {'first load':>10} {'repeat':>8} {'requests':>8}  page")
        for w in sorted(REPORT.weights, key=lambda w: -w.first):
            write(f"  {w.first / 1024:9.1f}K {w.repeat / 1024:7.1f}K {w.requests:8d}  {w.path}")
        write(f"  {len(REPORT.weights)} pages weighed")
    write(f"== requests that left the site: {len(REPORT.outside)}")
    for url in REPORT.outside[:20]:
        write(f"  {url}")
    if REPORT.readability:
        write("")
        write(
            "== readability of resident pages (Flesch-Kincaid grade; see tests/e2e/readability.py)"
        )
        for name, grade, words in REPORT.readability:
            write(f"  grade {grade:4.1f}  {words:5d} words  {name}")
