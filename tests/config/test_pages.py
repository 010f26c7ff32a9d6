"""The home page and the base layout."""

import pytest


@pytest.mark.django_db
def test_home_page_explains_the_platform_and_has_landmarks(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="#main"' in html  # skip link
    assert '<main id="main"' in html
    assert '<nav aria-label="Main">' in html
    assert "residents" in html.lower()
    assert 'lang="en-GB"' in html


@pytest.mark.django_db
def test_home_page_lists_only_active_neighbourhoods(client, make_user):
    from communities.models import Neighbourhood

    owner = make_user()
    Neighbourhood.objects.create(
        name="Active Place", slug="active", registrant=owner, status=Neighbourhood.Status.ACTIVE
    )
    Neighbourhood.objects.create(name="Draft Place", slug="draft", registrant=owner)
    html = client.get("/").content.decode()
    assert "Active Place" in html
    assert "Draft Place" not in html


def test_stylesheet_is_small():
    import gzip
    from pathlib import Path

    css = (Path(__file__).resolve().parents[2] / "static/css/site.css").read_bytes()
    assert len(gzip.compress(css)) < 30_000


@pytest.mark.django_db
def test_health_check(client):
    assert client.get("/healthz").json()["database"] == "up"
