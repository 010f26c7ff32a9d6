"""Settings from the environment: check --deploy is clean with production variables."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _manage(*args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


def test_check_deploy_is_clean_with_production_variables():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x7!kq2-production-like-secret-" + "a9Zt" * 10,
            "DJANGO_ALLOWED_HOSTS": "commonpurse.example.org",
            "COMMONPURSE_RECEIPT_KEY": "r3ceipt-production-like-key-" + "Qp7w" * 10,
        },
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_flags_the_development_secret_key():
    result = _manage(
        "check", "--deploy", "--fail-level", "WARNING", env_extra={"DJANGO_DEBUG": "0"}
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stdout + result.stderr


def test_check_deploy_flags_the_development_receipt_key():
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        env_extra={
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "x7!kq2-production-like-secret-" + "a9Zt" * 10,
            "DJANGO_ALLOWED_HOSTS": "commonpurse.example.org",
            "COMMONPURSE_RECEIPT_KEY": "",
        },
    )
    assert result.returncode != 0
    assert "COMMONPURSE_RECEIPT_KEY" in result.stdout + result.stderr
