"""Production guards (issue 9, point 4): no demo accounts and no development secret key
outside DEBUG."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_KEY = "x7!kq2-production-like-secret-" + "a9Zt" * 10


def _manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=1"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not User.objects.exists()


def test_manage_py_refuses_the_development_secret_key_when_debug_is_off():
    # no DJANGO_SECRET_KEY, DEBUG off: even a harmless command does not start
    result = _manage("check", env_extra={"DJANGO_DEBUG": "0"})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY is not set" in result.stderr
    # the development key set explicitly is refused too
    result = _manage(
        "check",
        env_extra={
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "django-insecure-local-only-common-purse-development-key",
        },
    )
    assert result.returncode != 0


def test_seed_demo_exits_non_zero_in_production():
    result = _manage(
        "seed_demo", env_extra={"DJANGO_DEBUG": "0", "DJANGO_SECRET_KEY": PRODUCTION_KEY}
    )
    assert result.returncode != 0
    assert "seed_demo runs only with DJANGO_DEBUG=1" in result.stderr


def test_a_laptop_with_debug_on_starts_without_a_secret_key():
    result = _manage("check", env_extra={"DJANGO_DEBUG": "1"})
    assert result.returncode == 0, result.stderr
