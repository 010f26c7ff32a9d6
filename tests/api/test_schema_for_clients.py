"""What a client generated from the schema relies on: a default the schema gives is accepted
when a client sends it (generated clients send defaults), and ids in addresses are integers."""

from __future__ import annotations

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from proposals.models import Proposal
from tests.api.helpers import make_token, token_client
from tests.factories import NeighbourhoodFactory, resident

pytestmark = pytest.mark.django_db


def _schema() -> dict:
    response = Client().get("/api/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_every_documented_default_is_valid_input():
    components = _schema()["components"]["schemas"]
    checked = 0
    for name, component in components.items():
        if not name.endswith("Request"):
            continue
        for field, prop in component.get("properties", {}).items():
            if not isinstance(prop.get("default"), str):
                continue
            checked += 1
            default = prop["default"]
            assert prop.get("minLength", 0) <= len(default), f"{name}.{field}"
            assert len(default) <= prop.get("maxLength", len(default)), f"{name}.{field}"
    assert checked >= 5  # location, organisation, the private address, receipt code, reason


def test_ids_in_addresses_are_integers():
    schema = _schema()
    ids = [
        parameter["schema"]
        for item in schema["paths"].values()
        for op in item.values()
        for parameter in op.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"] in {"id", "pk"}
    ]
    assert ids
    assert all(s["type"] == "integer" and s["maximum"] == 10**18 - 1 for s in ids), ids


def test_a_proposal_sent_with_its_blank_defaults_is_accepted():
    nb = NeighbourhoodFactory()
    api = token_client(make_token(resident(nb)))
    created = api.post(
        reverse("api:proposals", kwargs={"slug": nb.slug}),
        {
            "title": "Benches",
            "summary": "Three benches by the pond",
            "description": "Somewhere to sit.",
            "theme": "places_to_meet",
            "location": "",
            "organisation": "",
            "cost_lines": [{"description": "Benches", "amount_pence": 90000}],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    proposal = Proposal.objects.get(pk=created.json()["id"])
    assert (proposal.location, proposal.organisation) == ("", "")
