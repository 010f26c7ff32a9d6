"""`make screenshots`: small PNGs of key pages at phone (375 px) and desktop (1280 px) width,
into docs/screenshots/ (shown in README). A fresh live server with the demo data, as the
journeys use; the demo resident (Rita) is signed in for the ballot."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
WIDTHS = {"phone": (375, 740), "desktop": (1280, 800)}


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings_test")
    import django

    django.setup()
    from playwright.sync_api import sync_playwright

    from demo.users import DEMO_PASSWORD

    from .browser import launch
    from .browser import sign_in as sign_in_page
    from .server import Server

    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as workdir:
        server = Server(Path(workdir))
        server.prepare()
        server.start()
        media = Path(workdir) / "media"

        def serve_media(route):
            route.fulfill(path=media / route.request.url.split("/media/", 1)[1])

        try:
            with sync_playwright() as pw:
                browser = launch(pw)
                for label, (width, height) in WIDTHS.items():
                    context = browser.new_context(viewport={"width": width, "height": height})
                    # Production serves user images from storage, not from Django: here the
                    # browser reads them from the server's media folder.
                    context.route(f"{server.url}/media/**", serve_media)
                    page = context.new_page()
                    page.goto(f"{server.url}/")
                    page.screenshot(path=OUT / f"home-{label}.png")
                    sign_in_page(page, server.url, "resident@example.org", password=DEMO_PASSWORD)
                    page.goto(f"{server.url}/votes/hollin-bank/")
                    page.locator("main a[href*='/pot/']").first.click()
                    page.wait_for_load_state()
                    page.screenshot(path=OUT / f"ballot-{label}.png")
                    page.goto(f"{server.url}/votes/hollin-bank/")
                    page.locator("main a", has_text="Summer vote").first.click()
                    page.wait_for_load_state()
                    page.locator("main a", has_text="See the results").first.click()
                    page.wait_for_load_state()
                    page.screenshot(path=OUT / f"results-{label}.png")
                    context.close()
                browser.close()
        finally:
            server.stop()
    for path in sorted(OUT.glob("*.png")):
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size // 1024} KB")


if __name__ == "__main__":
    sys.exit(main())
