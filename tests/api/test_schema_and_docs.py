"""The OpenAPI schema documents every operation with typed bodies and its errors; the docs page
is served from this site with its own CSP and a nonce."""

from __future__ import annotations

import re

import pytest
import yaml
from django.test import Client

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_every_operation_documents_its_errors_and_typed_bodies():
    schema = _schema()
    operations = [
        (path, method, op)
        for path, item in schema["paths"].items()
        for method, op in item.items()
        if path.startswith("/api/v1/")
    ]
    assert len(operations) >= 14
    for path, method, op in operations:
        codes = set(op["responses"])
        assert {"400", "401", "404", "429"} <= codes, (path, method)
        if method in ("post", "delete"):
            assert {"403", "409", "413"} <= codes, (path, method)
        for code, response in op["responses"].items():
            if code.startswith("2") and code != "204":
                content = response["content"]
                files = all(c["schema"].get("format") == "binary" for c in content.values())
                # JSON, except a file (a receipt) typed as binary in each of its media types
                assert "application/json" in content or files, (path, method, code)
    assert schema["paths"]["/api/v1/rounds/{id}/ballot/"]["post"]["requestBody"]["required"]
    assert "apiToken" in schema["components"]["securitySchemes"]
    receipt = schema["paths"]["/api/v1/claim-items/{id}/receipt/"]["get"]["responses"]["200"]
    assert set(receipt["content"]) == {"application/pdf", "image/jpeg", "image/png", "image/webp"}


def test_docs_page_loads_only_from_this_site_with_a_nonce():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    assert f'nonce="{nonce}"' in html
    assert "http://" not in html and "https://" not in html  # no CDN, no fonts from elsewhere
    assert (
        "cdn" not in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    )
    assert "/static/drf_spectacular_sidecar/redoc/bundles/redoc.standalone.js" in html
    second = Client().get("/api/docs/")["Content-Security-Policy"]
    assert second != policy  # a fresh nonce per response
