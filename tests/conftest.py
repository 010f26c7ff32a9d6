"""Shared fixtures. Celery runs tasks inline in tests unless a test starts a real worker."""

from __future__ import annotations

import pytest
from allauth.account.models import EmailAddress

from config.celery import app as celery_app


@pytest.fixture(autouse=True, scope="session")
def _celery_eager():
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _test_settings(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Hashing is not under test: full-strength PBKDF2 costs ~0.3 s per factory-made user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests speak plain HTTP to the test client and do not run collectstatic.
    settings.SECURE_SSL_REDIRECT = False
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def make_user(db):
    """make_user(email=..., verified=True) -> a user with the demo password."""
    from django.contrib.auth import get_user_model

    counter = {"n": 0}

    def _make(email: str | None = None, *, verified: bool = True, **extra):
        counter["n"] += 1
        email = email or f"user{counter['n']}@example.org"
        user = get_user_model().objects.create_user(email=email, password="pw-Secret-123", **extra)
        EmailAddress.objects.create(user=user, email=email, verified=verified, primary=True)
        return user

    return _make
