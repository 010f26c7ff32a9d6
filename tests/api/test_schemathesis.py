"""schemathesis against a live server with the demo data and a demo resident's token: all
checks, no server error, no schema violation.

Heavy (a minute or more): runs when COMMONPURSE_HEAVY_TESTS=1 (CI's PostgreSQL pass, .ci/run),
and then FAILS if schemathesis is missing rather than passing silently.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test.utils import override_settings

HEAVY = os.environ.get("COMMONPURSE_HEAVY_TESTS") == "1"
EXAMPLES = int(os.environ.get("COMMONPURSE_SCHEMATHESIS_EXAMPLES", "100"))

pytestmark = [
    pytest.mark.skipif(not HEAVY, reason="heavy: set COMMONPURSE_HEAVY_TESTS=1 (CI does)"),
    pytest.mark.django_db(transaction=True),
]


def _schemathesis() -> str:
    found = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")
    if not Path(found).exists():
        pytest.fail("COMMONPURSE_HEAVY_TESTS=1 but schemathesis is not installed (dev extras)")
    return found


def test_schemathesis_finds_no_server_error_and_no_schema_violation(
    live_server, settings, tmp_path
):
    from accounts.models import User
    from tests.api.helpers import make_token

    executable = _schemathesis()
    with override_settings(DEBUG=True):  # seed_demo refuses to run without DEBUG
        call_command("seed_demo", stdout=io.StringIO())
    settings.API_THROTTLE_RATES = {"anon": "1000000/min", "user": "1000000/min"}
    token = make_token(User.objects.get(email="resident@example.org"))
    result = subprocess.run(
        [
            executable,
            "--config-file",
            str(Path(__file__).with_name("schemathesis.toml")),
            "run",
            f"{live_server.url}/api/schema/",
            "--checks",
            "all",
            "--max-examples",
            str(EXAMPLES),
            "--header",
            f"Authorization: Bearer {token}",
            # The live server runs the production settings, which redirect plain HTTP to
            # HTTPS; this says the request came through a TLS-terminating proxy.
            "--header",
            "X-Forwarded-Proto: https",
            "--workers",
            "1",
            "--seed",
            "1",
            "--no-color",
        ],
        capture_output=True,
        text=True,
        timeout=1800,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-5000:]
