"""A favicon: a tiny SVG served from the site, linked from every page."""

from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db


def test_every_page_links_a_small_favicon_from_the_site(client):
    html = client.get("/").content.decode()
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in html
    icon = Path(settings.BASE_DIR) / "static" / "favicon.svg"
    body = icon.read_text()
    assert body.startswith("<svg") and "<script" not in body
    assert len(body.encode()) < 1024
