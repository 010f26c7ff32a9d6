"""Fixtures for the communities tests: sample reference data, neighbourhoods in each role."""

from __future__ import annotations

from pathlib import Path

import pytest

from communities import services

SAMPLE = Path(__file__).resolve().parents[2] / "communities" / "sample_data"


@pytest.fixture
def geography(db):
    """The sample geography and postcode lookup (Hollin Bank E05011111 is left behind)."""
    with open(SAMPLE / "geography.csv", "rb") as f:
        services.geography_import(stream=f)
    with open(SAMPLE / "postcodes.csv", "rb") as f:
        services.postcodes_import(stream=f)
